"""A process owner changes a form's labels, hints, required answers and options in the field list of
the form editor: without JavaScript by posting the list (the server writes the JSON Schema), with
JavaScript the JSON editor and the preview follow as they type. Mistakes show the error summary."""

from __future__ import annotations

import json

import pytest

from app.extensions import db
from app.models import ProcessDraft
from tests.conftest import make_user

URL = "/process-models/sfo_review/forms/confirm_eligibility.schema.json"


def row(owner, field_name: str):  # type: ignore[no-untyped-def]
    return owner.page.locator(f'.sfo-field-row[data-field-name="{field_name}"]')


def saved_schema() -> dict:
    db.session.expire_all()
    draft = db.session.get(ProcessDraft, "sfo_review")
    assert draft is not None
    return json.loads(draft.files["confirm_eligibility.schema.json"])


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_the_field_list_changes_the_form(sfo_definition, person, javascript):
    owner = person(make_user("process-owner"), javascript=javascript)
    owner.visit(URL)
    rationale = row(owner, "eligibility_rationale")
    owner.fill("Label", "", within=rationale)
    owner.press("Save the field changes to the draft", status=422)  # a label cannot be blanked
    summary = owner.page.locator(".govuk-error-summary")
    assert "Enter a label for the field eligibility_rationale" in summary.inner_text()
    summary.get_by_role("link").first.click()
    assert owner.page.evaluate("document.activeElement.name").endswith("-title")

    rationale = row(owner, "eligibility_rationale")
    owner.fill("Label", "Why you decided this", within=rationale)
    owner.fill("Hint", "Give the facts you relied on.", within=rationale)
    rationale.get_by_label("The answer is required").uncheck()
    if javascript:  # the JSON editor and the preview follow the list as it is typed
        owner.page.wait_for_function(
            "() => document.getElementById('form-preview').innerText.includes('Give the facts you relied on.')"
        )
        editor = owner.page.locator("#form-editor .CodeMirror").first
        typed = json.loads(editor.evaluate("node => node.CodeMirror.getValue()"))
        assert typed["properties"]["eligibility_rationale"]["title"] == "Why you decided this"
        assert "eligibility_rationale" not in typed["required"]
    else:
        owner.press("Preview the field changes")
        assert "Why you decided this" in owner.page.locator("#form-preview").inner_text()
        assert "Why you decided this" in owner.page.get_by_label("JSON Schema").input_value()
        rationale = row(owner, "eligibility_rationale")
    owner.press("Save the field changes to the draft")
    assert "Saved confirm_eligibility.schema.json to the draft." in owner.banner()
    saved = saved_schema()
    field = saved["properties"]["eligibility_rationale"]
    assert (field["title"], field["description"]) == ("Why you decided this", "Give the facts you relied on.")
    assert saved["required"] == ["eligible"]
    assert "Why you decided this" in owner.page.locator("#form-preview").inner_text()
    assert row(owner, "eligibility_rationale").get_by_label("Label").input_value() == "Why you decided this"


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_the_field_list_changes_the_options(sfo_definition, person, javascript):
    owner = person(make_user("process-owner"), javascript=javascript)
    owner.visit("/process-models/sfo_review/forms/anonymise_report.schema.json")
    checks = row(owner, "anonymisation_checks")
    options = checks.get_by_label("Options")
    assert (
        options.input_value().splitlines()[0] == "person | The name of the person on probation is removed or replaced"
    )
    options.fill(options.input_value().replace("Addresses are removed", "Addresses and places are removed"))
    if javascript:
        owner.page.wait_for_function(
            "() => document.getElementById('form-preview').innerText.includes('Addresses and places are removed')"
        )
    else:
        owner.press("Preview the field changes")
        assert "Addresses and places are removed" in owner.page.locator("#form-preview").inner_text()
    owner.press("Save the field changes to the draft")
    db.session.expire_all()
    draft = db.session.get(ProcessDraft, "sfo_review")
    assert draft is not None
    saved = json.loads(draft.files["anonymise_report.schema.json"])
    titles = [o["title"] for o in saved["properties"]["anonymisation_checks"]["items"]["oneOf"]]
    assert titles[-1] == "Addresses and places are removed" and len(titles) == 4
