"""The form editor's field list: label, hint, required and options of each field, edited as a plain
GOV.UK form (no JavaScript needed), written into the JSON Schema; bad input changes nothing."""

from __future__ import annotations

import json

import pytest

from app.services import form_fields

URL = "/process-models/small/forms/triage.schema.json"
SCHEMA = {
    "type": "object",
    "title": "Triage",
    "required": ["eligible"],
    "properties": {
        "eligible": {"type": "boolean", "title": "Is this an SFO?"},
        "category": {
            "type": "string",
            "title": "Category",
            "oneOf": [
                {"const": "a", "title": "Alpha", "description": "kept"},
                {"const": "b", "title": "Beta"},
            ],
        },
        "colour": {"type": "string", "enum": ["red", "green"]},
        "tags": {"type": "array", "title": "Tags", "items": {"type": "string", "enum": ["x", "y"]}},
        "notes": {"type": "string", "title": "Notes", "description": "Anything else."},
    },
}


@pytest.fixture
def owner(signed_in):  # type: ignore[no-untyped-def]
    from tests.conftest import make_user

    return signed_in(make_user("process-owner"))


def rows(**changes: str) -> dict[str, str]:
    """The field list as the page posts it, unchanged except for ``changes``."""
    posted = {"schema": json.dumps(SCHEMA), "ui_schema": "{}"}
    for f in form_fields.fields_of(SCHEMA):
        prefix = f"field-{f.index}"
        posted.update({f"{prefix}-name": f.name, f"{prefix}-title": f.title, f"{prefix}-hint": f.hint})
        if f.required:
            posted[f"{prefix}-required"] = "yes"
        if f.options is not None:
            posted[f"{prefix}-options"] = f.options_text
    posted.update(changes)
    return {k: v for k, v in posted.items() if v is not None}


def draft_schema(owner) -> dict:
    return json.loads(owner.client.get("/process-models/small/draft/files/triage.schema.json").get_data())


def test_the_field_list_shows_each_field(owner, small_definition):
    page = owner.get(URL)
    assert 'id="field-list"' in page.html and 'name="field-0-title"' in page.html
    assert (
        page.html.count('name="field-0-required"') == 1
        and "checked" in page.html.split('name="field-0-required"')[1][:80]
    )
    fields = form_fields.fields_of(SCHEMA)
    assert [f.name for f in fields] == ["eligible", "category", "colour", "tags", "notes"]
    assert fields[1].options_text == "a | Alpha\nb | Beta" and fields[2].options_text == "red\ngreen"
    assert fields[3].on_items and fields[3].options_text == "x\ny" and fields[0].options is None


def test_field_changes_preview_then_save_to_the_draft(owner, small_definition):
    changes = {
        "field-0-title": "Is this a serious further offence?",
        "field-0-required": None,
        "field-4-hint": "",
        "field-4-required": "yes",
        "field-1-options": "a | Alpha one\nc | Gamma",
        "field-2-options": "red\nblue",
        "field-3-options": "x | Ex\ny",
    }
    preview = owner.post(URL, {**rows(**changes), "action": "fields-preview"}, expect=200)
    assert "Is this a serious further offence?" in preview.text and "Gamma" in preview.text
    assert 'id="fields-applied"' in preview.html
    assert "Is this a serious further offence?" in preview.html.split('id="schema"')[1].split("</textarea>")[0]
    owner.post(URL, {**rows(**changes), "action": "fields-save"}, expect=302)
    saved = draft_schema(owner)
    props = saved["properties"]
    assert props["eligible"]["title"] == "Is this a serious further offence?"
    assert saved["required"] == ["notes"]
    assert "description" not in props["notes"]
    assert props["category"]["oneOf"] == [
        {"const": "a", "title": "Alpha one", "description": "kept"},
        {"const": "c", "title": "Gamma"},
    ]
    assert props["colour"] == {"type": "string", "enum": ["red", "blue"]}  # plain values stay an enum
    assert props["tags"]["items"]["oneOf"] == [{"const": "x", "title": "Ex"}, {"const": "y", "title": "y"}]


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"field-0-title": "  "}, "Enter a label for the field eligible"),
        ({"field-0-title": "x" * 301}, "The label of eligible must be 300 characters or fewer"),
        ({"field-4-hint": "x" * 2001}, "The hint of Notes must be 2000 characters or fewer"),
        ({"field-1-options": ""}, "Enter at least one option for Category"),
        ({"field-1-options": "a | One\na | Again"}, "Category: the value “a” is given twice"),
        ({"field-1-options": " | No value"}, "Category: option 1 has no value"),
        ({"field-1-name": "renamed"}, "The fields changed since the list was shown"),
    ],
)
def test_bad_field_changes_show_the_error_summary_and_change_nothing(owner, small_definition, changes, message):
    before = owner.client.get("/process-models/small/draft/files/triage.schema.json")
    page = owner.post(URL, {**rows(**changes), "action": "fields-save"}, expect=422)
    html = page.get_data(as_text=True)
    assert "govuk-error-summary" in html and message in html
    assert 'href="#field-' in html.split('class="govuk-error-summary"')[1].split("</ul>")[0]
    after = owner.client.get("/process-models/small/draft/files/triage.schema.json")
    assert after.status_code == before.status_code and after.get_data() == before.get_data()


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"a": True, "b": {"oneOf": [{"const": 1}, {"const": "x"}]}}},
        {"type": "object", "required": ["b", "zzz"], "properties": {"b": {"type": "string", "enum": [1, "x"]}}},
        {"type": "object"},
        {"type": "object", "properties": {f"f{n}": {"type": "string"} for n in range(300)}},
    ],
)
def test_strange_schemas_are_shown_without_breaking_the_page(owner, small_definition, schema):
    page = owner.post(URL, {"schema": json.dumps(schema), "ui_schema": "{}", "action": "preview"}, expect=200)
    assert page.html.count("sfo-field-row") <= form_fields.MAX_FIELDS
    for f in form_fields.fields_of(schema):
        assert f.options is None or all(isinstance(o.value, str) for o in f.options)


def test_the_field_list_needs_the_csrf_token_and_a_process_owner(owner, small_definition, signed_in):
    owner.post(URL, {**rows(), "action": "fields-save"}, expect=400, csrf=False)
    from tests.conftest import make_user

    signed_in(make_user("reviewer")).post(URL, {**rows(), "action": "fields-save"}, expect=403)
