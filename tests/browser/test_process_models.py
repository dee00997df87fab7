"""A process owner changes the notification deadline and renames a task in the diagram editor, reads the
dry run, deploys version 2, and moves a case started before onto it. The check and the deploy run as
dry-run jobs in a worker (a background thread of the test here, with real child processes): their pages
show progress, update themselves with JavaScript and offer a refresh link without it."""

from __future__ import annotations

import pytest

from app.demo import notification_dates
from app.extensions import db
from app.models import ProcessInstance
from app.services.runtime import now
from app.working_days import add_working_days
from tests.conftest import make_user
from tests.sfo_case import SfoCase

OLD_SCRIPT = "add_working_days(first_court_appearance, 5)"
NEW_SCRIPT = "add_working_days(first_court_appearance, 7)"


pytestmark = pytest.mark.usefixtures("dry_run_worker")


def _until_ended(owner, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Wait on a job page until ``selector`` shows its result: by itself with JavaScript, by following the
    refresh link as a person would without it. The test's own session ends its transaction first: a dry
    run can take longer than the database lets a connection sit idle in one."""
    db.session.commit()
    if owner.javascript:
        owner.page.wait_for_selector(selector)
    else:
        while owner.page.locator(selector).count() == 0:
            owner.page.wait_for_timeout(500)
            owner.follow("Refresh to see the progress")
    owner.check()


def _select(owner, element_id: str) -> None:  # type: ignore[no-untyped-def]
    owner.page.keyboard.press("Escape")
    owner.page.locator("#canvas").click(position={"x": 300, "y": 3})  # clears the selection and its context pad
    # as a person scrolls the canvas to the element (the palette covers the left edge)
    owner.page.evaluate(
        "id => { const c = window.sfoModeler.get('canvas'); c.zoom(1); c.scrollToElement(id, 200); }", element_id
    )
    owner.page.locator(f'#canvas [data-element-id="{element_id}"]').first.click()
    owner.page.wait_for_selector("#properties-fields:not([hidden])")
    assert element_id in owner.page.locator("#prop-type").inner_text()


def test_owner_edits_deploys_and_migrates(people, sfo_definition, person):
    before = SfoCase(people, sfo_definition, "SFO-BEFORE-1")
    owner = person(make_user("process-owner"))
    # The SFO dry run takes 10-20 s on a busy machine (1,221 states); a busy host makes it longer.
    owner.context.set_default_timeout(150_000)

    owner.follow("Process models")
    owner.follow("SFO review")
    owner.follow("Edit the diagram")
    owner.page.wait_for_selector("body[data-modeler-ready='true']")

    _select(owner, "record_notification")
    script = owner.page.get_by_label("Script", exact=True)
    assert OLD_SCRIPT in script.input_value()
    script.fill(script.input_value().replace(OLD_SCRIPT, NEW_SCRIPT))
    script.press("Tab")
    _select(owner, "confirm_eligibility")
    name = owner.page.get_by_label("Name", exact=True)
    name.fill("Confirm SFO eligibility")
    name.press("Tab")
    owner.press("Save to the draft")
    assert "Saved sfo_review.bpmn to the draft" in owner.page.content()

    owner.follow("Check, dry run and deploy")
    assert "Confirm SFO eligibility" in owner.page.content()  # in the changes table
    owner.press("Check and dry run")  # the job page, checked (axe) while the job is queued or running
    _until_ended(owner, "#ends-reached")
    ends = owner.page.locator("#ends-reached").inner_text()
    assert ends == "Closed unpublished, Not an SFO, Published"
    assert "Confirm SFO eligibility" in owner.page.content()  # in the changes table
    owner.press("Deploy as a new version")
    _until_ended(owner, ".govuk-notification-banner--success")
    assert "Deployed sfo_review version 2" in owner.banner()

    after = SfoCase(people, sfo_definition, "SFO-AFTER-1")
    appearance = notification_dates(now().date())["first_court_appearance"]
    assert after.row.definition.version == 2
    assert after.row.data["notification_due"] == add_working_days(appearance, 7)
    assert after.task("confirm_eligibility").name == "Confirm SFO eligibility"
    assert before.row.definition.version == 1
    assert before.row.data["notification_due"] == add_working_days(appearance, 5)

    db.session.commit()  # no transaction of the test's left idle while the browser works
    owner.follow("Back to the process")
    owner.follow("Move to version 2")
    assert "SFO-BEFORE-1" in owner.page.content()
    owner.press("Move every case that can move")
    db.session.expire_all()
    assert db.session.get(ProcessInstance, before.row.id).definition.version == 2
    assert before.task("confirm_eligibility").name == "Confirm SFO eligibility"


def test_compare_highlights_the_changes_on_the_diagram(sfo_definition, person):
    from app.services.definitions import deploy_files

    owner_user = make_user("process-owner")
    bpmn = sfo_definition.bpmn["sfo_review.bpmn"].replace(
        'name="Confirm eligibility"', 'name="Confirm SFO eligibility"'
    )
    deploy_files({**sfo_definition.files(), "sfo_review.bpmn": bpmn.encode()}, owner_user.username)
    owner = person(owner_user)
    owner.visit("/process-models/sfo_review/compare?old=1&new=2")
    owner.page.wait_for_selector("body[data-viewer-ready='true']")
    assert owner.page.locator('[data-element-id="eligibility"].sfo-changed').count() == 1  # the stage, on top
    owner.page.locator('.djs-overlays[data-container-id="eligibility"] .bjs-drilldown').click()
    assert owner.page.locator('[data-element-id="confirm_eligibility"].sfo-changed').count() == 1


def test_without_javascript_the_xml_and_form_editors_work(sfo_definition, person):
    owner = person(make_user("process-owner"), javascript=False)
    owner.context.set_default_timeout(60_000)
    owner.visit("/process-models/sfo_review")
    owner.follow("Edit the diagram")
    xml = owner.page.get_by_label("BPMN XML")
    xml.fill(xml.input_value().replace(OLD_SCRIPT, NEW_SCRIPT))
    owner.press("Save to the draft")
    owner.follow("Check, dry run and deploy")
    owner.press("Check and dry run")
    assert "Refresh to see the progress" in owner.page.content() or owner.page.locator("#ends-reached").count()
    _until_ended(owner, "#ends-reached")
    assert owner.page.locator("#ends-reached").inner_text() == "Closed unpublished, Not an SFO, Published"

    owner.visit("/process-models/sfo_review/forms/confirm_eligibility.schema.json")
    assert owner.page.locator("#form-preview .govuk-radios, #form-preview .govuk-checkboxes").count() >= 1
    schema = owner.page.get_by_label("JSON Schema")
    schema.fill(schema.input_value().replace("Reasons for your decision", "Revised: reasons", 1))
    owner.press("Preview")
    assert "Revised: reasons" in owner.page.locator("#form-preview").inner_text()


def test_the_form_preview_follows_the_schema_as_it_is_typed(sfo_definition, person):
    owner = person(make_user("process-owner"))
    owner.visit("/process-models/sfo_review/forms/confirm_eligibility.schema.json")
    editor = owner.page.locator("#form-editor .CodeMirror").first  # the highlighted JSON editor
    assert editor.locator(".cm-string").count() > 10  # strings highlighted
    assert editor.evaluate("node => node.CodeMirror.lineCount()") > 20  # formatted, one key a line
    editor.evaluate(
        "(node, args) => node.CodeMirror.setValue(node.CodeMirror.getValue().replace(args[0], args[1]))",
        ["Reasons for your decision", "Live: reasons"],
    )
    owner.page.wait_for_selector("#form-preview[data-updated]")
    assert "Live: reasons" in owner.page.locator("#form-preview").inner_text()
    owner.check()

    editor.evaluate("node => node.CodeMirror.setValue(JSON.stringify(JSON.parse(node.CodeMirror.getValue())))")
    assert editor.evaluate("node => node.CodeMirror.lineCount()") == 1
    owner.page.get_by_role("button", name="Format the JSON").click()
    assert editor.evaluate("node => node.CodeMirror.lineCount()") > 20  # formatted again, two spaces a level

    dialogs: list[str] = []
    owner.page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    owner.page.get_by_role("link", name="Back to the process").click()
    owner.page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]  # unsaved changes: asked before leaving
    owner.press("Save to the draft")
    assert "Live: reasons" in owner.page.locator("#form-preview").inner_text()
