"""Diagrams people can use (issue 11): the editor opens fitted on a large canvas beside the palette, with
zoom in, zoom out, fit and full-screen buttons; saving keeps the view; leaving with unsaved changes asks
first. The compare view zooms to what changed."""

from __future__ import annotations

import pytest

from tests.conftest import make_user

SCALE = "() => window.sfoModeler.get('canvas').viewbox().scale"


def open_editor(person):  # type: ignore[no-untyped-def]
    owner = person(make_user("process-owner"))
    owner.visit("/process-models/sfo_review/editor")
    owner.page.wait_for_selector("body[data-modeler-ready='true']")
    owner.check()
    return owner


def test_the_editor_opens_large_and_fitted_with_view_buttons(sfo_definition, person):
    owner = open_editor(person)
    viewport = owner.page.viewport_size
    box = owner.page.locator("#canvas").bounding_box()
    assert box["width"] >= 0.65 * viewport["width"] and box["height"] >= 0.6 * viewport["height"], box
    fitted = owner.page.evaluate(SCALE)
    assert fitted >= 0.2, fitted  # readable, not a speck
    inner = owner.page.evaluate("() => { const b = window.sfoModeler.get('canvas').viewbox(); return b.inner; }")
    outer = owner.page.evaluate("() => window.sfoModeler.get('canvas').viewbox()")
    palette = owner.page.locator(".djs-palette").bounding_box()
    left_edge = (inner["x"] - outer["x"]) * fitted + box["x"]
    assert left_edge >= palette["x"] + palette["width"] - 5  # the palette does not cover the diagram

    owner.page.get_by_role("button", name="Zoom in").click()
    assert owner.page.evaluate(SCALE) > fitted
    owner.page.get_by_role("button", name="Zoom out").click()
    owner.page.get_by_role("button", name="Zoom out").click()
    assert owner.page.evaluate(SCALE) < fitted
    owner.page.get_by_role("button", name="Fit to the screen").click()
    assert abs(owner.page.evaluate(SCALE) - fitted) < 0.01

    owner.page.locator("#canvas").click(position={"x": box["width"] // 2, "y": box["height"] - 10})  # an empty edge
    assert owner.page.evaluate("() => document.activeElement.tagName.toLowerCase()") == "svg"
    owner.page.keyboard.press("Control+Minus")
    assert owner.page.evaluate(SCALE) < fitted  # keyboard shortcuts work once the diagram has focus
    owner.page.get_by_role("button", name="Fit to the screen").click()

    owner.page.get_by_role("button", name="Full screen").click()
    owner.page.wait_for_function("() => document.fullscreenElement && document.fullscreenElement.id === 'modeler-area'")
    owner.page.get_by_role("button", name="Leave full screen").click()
    owner.page.wait_for_function("() => !document.fullscreenElement")


def test_saving_keeps_the_view_and_leaving_unsaved_changes_asks(sfo_definition, person):
    owner = open_editor(person)
    owner.page.get_by_role("button", name="Zoom in").click()
    owner.page.get_by_role("button", name="Zoom in").click()
    zoomed = owner.page.evaluate("() => window.sfoModeler.get('canvas').viewbox()")
    owner.page.evaluate(
        "() => { const m = window.sfoModeler; const e = m.get('elementRegistry').get('eligibility');"
        " m.get('modeling').updateLabel(e, 'Eligibility and triage (renamed)'); }"
    )
    dialogs: list[str] = []
    owner.page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    owner.page.get_by_role("link", name="Check, dry run and deploy").click()
    owner.page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]

    owner.press("Save to the draft")
    owner.page.wait_for_selector("body[data-modeler-ready='true']")
    kept = owner.page.evaluate("() => window.sfoModeler.get('canvas').viewbox()")
    assert abs(kept["scale"] - zoomed["scale"]) < 0.01 and abs(kept["x"] - zoomed["x"]) < 1
    owner.page.get_by_role("link", name="Check, dry run and deploy").click()  # saved: no question
    owner.page.wait_for_url("**/check")
    assert dialogs == ["beforeunload"]


def test_compare_zooms_to_what_changed(sfo_definition, person):
    from app.services.definitions import deploy_files

    owner_user = make_user("process-owner")
    bpmn = sfo_definition.bpmn["sfo_review.bpmn"].replace(
        'name="Confirm eligibility"', 'name="Confirm SFO eligibility"'
    )
    deploy_files({**sfo_definition.files(), "sfo_review.bpmn": bpmn.encode()}, owner_user.username)
    owner = person(owner_user)
    owner.visit("/process-models/sfo_review/compare?old=1&new=2")
    owner.page.wait_for_selector("body[data-viewer-ready='true']")
    stage = owner.page.locator('#diagram [data-element-id="eligibility"]').first.bounding_box()
    canvas = owner.page.locator("#diagram").bounding_box()
    assert stage["width"] >= 0.15 * canvas["width"]  # zoomed in on the changed stage, not the whole diagram
    assert canvas["x"] <= stage["x"] and stage["x"] + stage["width"] <= canvas["x"] + canvas["width"]


def test_the_dashboard_diagram_is_fitted_with_neutral_and_red_marks_and_task_names(
    people, sfo_definition, person, clock
):
    import datetime as dt

    from tests.conftest import START
    from tests.sfo_case import SfoCase

    late = SfoCase(people, sfo_definition, "SFO-LATE-1")
    SfoCase(people, sfo_definition, "SFO-LATE-2")
    late.do("confirm_eligibility", eligible=True)  # allocate_reviewer has no deadline: waiting, never late
    clock.set(START + dt.timedelta(days=20))  # the other case's triage deadline has passed

    manager = person(people.manager)
    manager.visit("/monitoring")
    manager.page.wait_for_selector("#heatmap[data-ready='true']")
    scale = manager.page.evaluate(
        "() => document.querySelector('#heatmap .viewport').transform.baseVal.consolidate().matrix.a"
    )
    assert 0.3 <= scale <= 1, scale  # the whole top plane fitted and readable
    diagram = manager.page.locator("#heatmap")
    assert diagram.locator('[data-element-id="eligibility"].sfo-overdue').count() == 1
    assert diagram.locator('[data-element-id="scoping"].sfo-waiting').count() == 1
    assert "1 overdue" in diagram.locator(".sfo-count--overdue").first.inner_text()
    table = manager.page.locator("#waiting-table").inner_text()
    assert "Confirm eligibility" in table and "Allocate a reviewer" in table
    assert "confirm_eligibility" not in table


@pytest.mark.real_dry_runs  # the job must still be running when the second press would start another
def test_check_and_dry_run_is_started_once_however_often_it_is_pressed(sfo_definition, person):
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import DryRunJob

    owner = person(make_user("process-owner"))
    owner.visit("/process-models/sfo_review/check")
    posts: list[str] = []
    owner.page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    with owner.page.expect_navigation():
        owner.page.evaluate(
            "() => { const form = document.querySelector('form[data-module=\"sfo-submit-once\"]');"
            " form.requestSubmit(); form.requestSubmit(); }"
        )
    assert len(posts) == 1
    owner.check()  # the job's page, with its progress
    assert "Check and dry run" in owner.h1()
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(DryRunJob)) == 1
