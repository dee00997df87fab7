"""Task forms rendered as GOV.UK components and read back from what a browser would post.

Every form in forms/ is rendered, submitted empty, and round-tripped: stored data -> HTML -> the
fields a browser submits (collected from the HTML as a browser would) -> parse_form -> the same data.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from app.form_model.errors import FORM_ANCHOR, FORM_ERRORS, error_summary_items, merge_errors
from app.services.forms import validate_form_data
from app.services.sample_data import sample_for
from app.web.forms import FORM_ACTION, apply_form_action, list_action, parse_form, render_form

FORMS = Path(__file__).resolve().parents[2] / "forms"
FORM_NAMES = sorted(path.name.removesuffix(".schema.json") for path in FORMS.glob("*.schema.json"))
TODAY = dt.date(2027, 3, 1)
JARGON = re.compile(
    r"\b(schema|oneOf|anyOf|allOf|const|enum|properties|minLength|minItems|maxLength|array|object|boolean|"
    r"integer|null|undefined|True|False)\b|[{}]"
)


def load(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    schema = json.loads((FORMS / f"{name}.schema.json").read_text())
    ui_path = FORMS / f"{name}.uischema.json"
    return schema, (json.loads(ui_path.read_text()) if ui_path.exists() else {})


def item_lists(schema: dict[str, Any]) -> list[str]:
    """The fields that are lists of items (recommendations, other reviews...)."""
    return [key for key, field in schema["properties"].items() if (field.get("items") or {}).get("type") == "object"]


class Page(HTMLParser):
    """What a browser makes of the rendered fields: the values it would submit (without clicking any
    button), the ids on the page and the text a person reads."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.fields: list[tuple[str, str]] = []
        self.ids: dict[str, str] = {}  # id -> tag
        self.id_order: list[str] = []
        self.text: list[str] = []
        self.checked: set[str] = set()
        self._textarea: tuple[str, list[str]] | None = None
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._option: list[str] | None = None
        self.feed(str(html))
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids[str(attributes["id"])] = tag
            self.id_order.append(str(attributes["id"]))
        name = attributes.get("name")
        if tag == "input" and name and "disabled" not in attributes:
            self._input(str(name), attributes)
        elif tag == "textarea" and name:
            self._textarea = (str(name), [])
        elif tag == "select" and name:
            self._select = (str(name), [])
        elif tag == "option" and self._select is not None:
            self._select[1].append((str(attributes.get("value") or ""), "selected" in attributes))

    def _input(self, name: str, attributes: dict[str, str | None]) -> None:
        kind = attributes.get("type") or "text"
        value = attributes.get("value") or ""
        if kind in ("radio", "checkbox"):
            if "checked" in attributes:
                self.fields.append((name, value or "on"))
                self.checked.add(str(attributes.get("id")))
        elif kind not in ("submit", "button", "image", "reset", "file"):
            self.fields.append((name, value.replace("\r", "").replace("\n", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            text = "".join(parts)
            self.fields.append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            name, options = self._select
            chosen = [value for value, selected in options if selected] or [options[0][0]] if options else []
            self.fields.extend((name, value) for value in chosen[:1])
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)
        elif data.strip():
            self.text.append(data.strip())

    def submitted(self, **changes: str) -> MultiDict:
        """The posted fields, with some answers changed before submitting."""
        posted = MultiDict(self.fields)
        for name, value in changes.items():
            posted.setlist(name, [value])
        return posted

    def visible_text(self) -> str:
        return " ".join(self.text)


def answerable(schema: dict[str, Any], data: Any) -> Any:
    """The data without read-only answers, which are shown, not asked, and without empty optional
    lists (a form posts nothing for them, so they come back left out, as ``without_lists`` has it)."""
    if isinstance(data, dict):
        properties = schema.get("properties") or {}
        return {
            key: answerable(properties.get(key) or {}, value)
            for key, value in data.items()
            if not (properties.get(key) or {}).get("readOnly")
            and not (value == [] and key not in schema.get("required", []))
        }
    if isinstance(data, list):
        return [answerable(schema.get("items") or {}, item) for item in data]
    return data


def options(schema: dict[str, Any]) -> list[Any]:
    if schema.get("enum"):
        return list(schema["enum"])
    return [choice["const"] for choice in schema.get("oneOf") or [] if "const" in choice]


def alternative(schema: dict[str, Any], ui: dict[str, Any], number: int = 1) -> Any:
    """Other valid-looking answers than sample_for gives: last options, False, 0, leap days, two items,
    text with markup, quotes and line breaks (in text areas)."""
    kind = schema.get("type")
    if kind == "object":
        return {
            key: alternative(value, ui.get(key) or {}, number)
            for key, value in (schema.get("properties") or {}).items()
            if not value.get("readOnly")
        }
    if kind == "array":
        items = schema.get("items") or {}
        if options(items):
            return options(items)
        return [alternative(items, ui.get("items") or {}, n) for n in (number, number + 1)]
    if options(schema):
        return options(schema)[-1]
    if kind == "boolean":
        return False
    if kind == "integer":
        return int(schema.get("minimum", 0)) + (41 if schema.get("minimum", 0) > 0 else 0)
    if kind == "number":
        return 2.5
    if schema.get("format") == "date":
        return f"{2024 + 4 * number}-02-29"
    if schema.get("format") == "email":
        return "case.worker+sfo@example.org"
    if ui.get("ui:widget") == "textarea":
        return f'First line {number}\nSecond <script>alert("x")</script> & “quotes”'
    return f'Answer {number} <b>bold</b> & "quoted"'


def without_lists(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Lists of items emptied (or left out where the list is optional)."""
    result = copy.deepcopy(data)
    for key, value in (schema.get("properties") or {}).items():
        if value.get("type") == "array" and not options(value.get("items") or {}) and not value.get("minItems"):
            if key in schema.get("required", []):
                result[key] = []
            else:
                result.pop(key, None)
    return result


def round_trip(name: str, data: dict[str, Any]) -> Any:
    schema, ui = load(name)
    page = Page(render_form(schema, ui, data, {}))
    return parse_form(schema, ui, page.submitted())


def same_json(a: Any, b: Any) -> bool:
    """Equal including types: 1 is not 1.0 and True is not 1."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


# --- every form -------------------------------------------------------------------------------


def test_the_form_library_is_there():
    assert len(FORM_NAMES) >= 20


@pytest.mark.parametrize("name", FORM_NAMES)
def test_every_form_renders_in_plain_english(name):
    schema, ui = load(name)
    html = render_form(schema, ui, {}, {})
    page = Page(html)
    assert page.ids[FORM_ANCHOR] == "div"
    for key, field in schema["properties"].items():
        assert field.get("title", key) in page.visible_text()
    assert not JARGON.search(page.visible_text()), JARGON.search(page.visible_text())


@pytest.mark.parametrize("name", FORM_NAMES)
def test_every_required_field_is_reported_and_linked_when_submitted_empty(name):
    schema, ui = load(name)
    parsed = parse_form(schema, ui, MultiDict())
    errors = merge_errors(parsed.errors, validate_form_data(schema, parsed.data))
    for key in schema["required"]:
        field = schema["properties"][key]
        if field.get("type") == "array" and not field.get("minItems"):
            assert parsed.data[key] == []  # "Leave the list empty if there are none": an answer
        else:
            assert key in errors
    assert_errors_shown_and_linked(schema, ui, parsed.values, errors)


@pytest.mark.parametrize("name", [name for name in FORM_NAMES if item_lists(load(name)[0])])
def test_every_required_field_of_a_blank_list_item_is_reported_and_linked(name):
    schema, ui = load(name)
    lists = item_lists(schema)
    parsed = parse_form(schema, ui, MultiDict({f"{key}-count": "1" for key in lists}))
    errors = merge_errors(parsed.errors, validate_form_data(schema, parsed.data))
    for key in lists:
        for required in schema["properties"][key]["items"]["required"]:
            assert f"{key}.0.{required}" in errors
    assert_errors_shown_and_linked(schema, ui, parsed.values, errors)


def assert_errors_shown_and_linked(schema, ui, values, errors):
    html = render_form(schema, ui, values, errors)
    page = Page(html)
    summary = error_summary_items(errors, schema, ui)
    assert len(summary) == len(errors)
    for item in summary:
        target = item["href"].removeprefix("#")
        assert page.ids.get(target) in ("input", "textarea", "select", "fieldset"), item
        assert item["text"] in page.visible_text()
    positions = [page.id_order.index(item["href"][1:]) for item in summary]
    assert positions == sorted(positions), "the summary lists problems in the order of the form"
    assert not JARGON.search(page.visible_text())


@pytest.mark.parametrize("name", FORM_NAMES)
def test_sample_answers_round_trip_exactly(name):
    schema, _ = load(name)
    data = sample_for(schema, today=TODAY)
    parsed = round_trip(name, data)
    assert parsed.errors == {}
    assert same_json(parsed.data, answerable(schema, data))


@pytest.mark.parametrize("name", FORM_NAMES)
def test_other_answers_round_trip_exactly(name):
    schema, ui = load(name)
    data = alternative(schema, ui)
    parsed = round_trip(name, data)
    assert parsed.errors == {}
    assert same_json(parsed.data, data)


@pytest.mark.parametrize("name", FORM_NAMES)
def test_empty_lists_round_trip(name):
    schema, _ = load(name)
    data = without_lists(schema, answerable(schema, sample_for(schema, today=TODAY)))
    parsed = round_trip(name, data)
    assert same_json(parsed.data, data)


@pytest.mark.parametrize("name", FORM_NAMES)
def test_answers_entered_are_shown_again_as_entered(name):
    schema, ui = load(name)
    first = Page(render_form(schema, ui, alternative(schema, ui), {}))
    parsed = parse_form(schema, ui, first.submitted())
    again = Page(render_form(schema, ui, parsed.values, {}))
    assert again.fields == first.fields


# --- fields -----------------------------------------------------------------------------------


def field_html(html: str, element_id: str) -> str:
    """The form group holding an element."""
    start = html.index(f'id="{element_id}"')
    group = html.rindex('<div class="govuk-form-group', 0, start)
    return html[group : html.index("</fieldset>", start) if "<fieldset" in html[group:start] else start + 400]


def test_field_types_become_the_gov_uk_component_a_caseworker_expects():
    schema, ui = load("notification")
    html = render_form(schema, ui, {}, {})
    assert re.search(
        r'<input class="govuk-input[^"]*" id="victim_count" name="victim_count" type="text"[^>]*'
        r'inputmode="numeric"',
        html,
    )
    assert 'class="govuk-input govuk-input--width-4" id="victim_count"' in html
    assert '<textarea class="govuk-textarea" id="offence_description"' in html
    assert 'id="offence_date-day" name="offence_date-day"' in html
    assert 'id="offence_date-month" name="offence_date-month"' in html
    assert 'id="offence_date-year" name="offence_date-year"' in html
    assert 'class="govuk-input govuk-date-input__input govuk-input--width-4" id="offence_date-year"' in html
    assert 'type="radio" value="murder"' in html  # 10 options, but the UI schema asks for radios
    assert "<select" not in html
    assert 'class="govuk-radios govuk-radios--inline"' in field_html(html, "media_interest")
    assert 'class="govuk-input govuk-input--width-10" id="crn"' in html


def test_a_long_list_of_options_is_a_select_unless_radios_are_asked_for():
    choices = [{"const": f"c{n}", "title": f"Choice {n}"} for n in range(9)]
    schema = {"type": "object", "properties": {"pick": {"type": "string", "title": "Pick", "oneOf": choices}}}
    html = render_form(schema, {}, {"pick": "c3"}, {})
    assert '<select class="govuk-select" id="pick" name="pick"' in html
    assert '<option value="c3" selected>Choice 3</option>' in html
    assert "<select" not in render_form(schema, {"pick": {"ui:widget": "radio"}}, {}, {})
    assert parse_form(schema, {}, Page(html).submitted()).data == {"pick": "c3"}
    assert parse_form(schema, {}, MultiDict({"pick": ""})).data == {}


def test_emails_numbers_and_booleans():
    schema = {
        "type": "object",
        "required": ["email", "agreed"],
        "properties": {
            "email": {"type": "string", "format": "email", "title": "Email address"},
            "ratio": {"type": "number", "title": "Ratio"},
            "agreed": {"type": "boolean", "title": "Agreed"},
        },
    }
    html = render_form(schema, {}, {"agreed": False, "ratio": 0.5}, {})
    assert re.search(r'id="email" name="email" type="email" spellcheck="false" autocomplete="email"', html)
    assert 'inputmode="decimal"' in html
    assert re.search(r'id="agreed-2" name="agreed" type="radio" value="no" checked', html)
    assert "govuk-radios--inline" in html
    assert Page(html).submitted()["agreed"] == "no"
    parsed = parse_form(schema, {}, MultiDict({"agreed": "yes", "ratio": "1,250.75", "email": " a@b.org "}))
    assert same_json(parsed.data, {"email": "a@b.org", "ratio": 1250.75, "agreed": True})


def test_whole_numbers():
    schema, ui = load("notification")
    for entered, expected in (("3", 3), ("1,000", 1000), (" 0 ", 0), ("-2", -2)):
        assert parse_form(schema, ui, MultiDict({"victim_count": entered})).data["victim_count"] == expected
    for entered in ("three", "2.5", "1e3"):
        parsed = parse_form(schema, ui, MultiDict({"victim_count": entered}))
        assert "victim_count" not in parsed.data
        assert parsed.errors == {"victim_count": ["Number of victims must be a whole number"]}
        assert parsed.values["victim_count"] == entered.strip()
        assert f'value="{entered}"' in render_form(schema, ui, parsed.values, parsed.errors)


def test_labels_say_optional_only_for_optional_fields():
    schema, ui = load("allocate_reviewer")
    text = Page(render_form(schema, ui, {}, {})).visible_text()
    assert "Reviewer (optional)" not in text and "Reviewer" in text
    assert "Notes for the reviewer (optional)" in text
    schema, ui = load("quality_assurance")  # comments are required when the report is returned
    text = Page(render_form(schema, ui, {}, {})).visible_text()
    assert "Comments for the reviewer" in text and "(optional)" not in text
    schema, ui = load("anonymise_report")
    assert "Where in the report (optional)" in Page(render_form(schema, ui, {}, {})).visible_text()


def test_hints_come_from_descriptions_and_ui_help():
    schema, ui = load("notification")
    html = render_form(schema, ui, {}, {})
    assert re.search(r'id="crn-hint" class="govuk-hint">\s*One letter followed by 6 digits, for example X123456.', html)
    assert 'aria-describedby="crn-hint"' in html
    assert "The notification is due 5 working days after this date. For example, 27 3 2007" in html
    assert "The SFO team uses this to propose whether the case is eligible for a review." in html
    schema, ui = load("terms_of_reference")
    text = Page(render_form(schema, ui, {}, {})).visible_text()
    assert "Leave the list empty if there are none. You will get one liaison task for each review in this list." in text


def test_fields_follow_the_ui_order_with_a_wildcard():
    schema = {"type": "object", "properties": {key: {"type": "string", "title": key.upper()} for key in "abcd"}}
    page = Page(render_form(schema, {"ui:order": ["c", "*", "a"]}, {}, {}))
    assert [name for name, _ in page.fields] == ["c", "b", "d", "a"]
    page = Page(render_form(schema, {"ui:order": ["d", "b"]}, {}, {}))
    assert [name for name, _ in page.fields] == ["d", "b", "a", "c"]


def test_read_only_answers_are_shown_not_asked():
    schema, ui = load("confirm_eligibility")
    values = {"within_supervision_window": True, "eligibility_proposed": False, "eligibility_reason": "Line 1\nLine 2"}
    html = render_form(schema, ui, values, {})
    page = Page(html)
    assert {name for name, _ in page.fields} <= {"eligible", "eligibility_rationale"}
    assert "govuk-summary-list" in html
    text = page.visible_text()
    assert "Proposed: eligible for an SFO review No" in text
    assert "Offence during supervision or within 28 working days after it ended Yes" in text
    assert "Line 1<br>Line 2" in html
    posted = MultiDict({"eligibility_proposed": "yes", "eligible": "no", "eligibility_rationale": "Agreed"})
    assert parse_form(schema, ui, posted).data == {"eligible": False, "eligibility_rationale": "Agreed"}


def test_a_fixed_value_is_not_an_input_but_is_part_of_the_data():
    schema = {
        "type": "object",
        "properties": {"kind": {"const": "sfo", "title": "Kind"}, "note": {"type": "string", "title": "Note"}},
    }
    html = render_form(schema, {}, {}, {})
    assert 'name="kind"' not in html and "sfo" in Page(html).visible_text()
    assert parse_form(schema, {}, MultiDict({"kind": "other", "note": "x"})).data == {"kind": "sfo", "note": "x"}


def test_nested_objects_are_fieldsets_with_a_legend():
    schema = {
        "type": "object",
        "properties": {
            "address": {
                "type": "object",
                "title": "Address",
                "required": ["town"],
                "properties": {
                    "street": {"type": "string", "title": "Street"},
                    "town": {"type": "string", "title": "Town"},
                    "moved_on": {"type": "string", "format": "date", "title": "Moved on"},
                },
            }
        },
    }
    data = {"address": {"street": "1 High St", "town": "Leeds", "moved_on": "2020-01-31"}}
    html = render_form(schema, {}, data, {"address.town": ["Enter town"]})
    assert re.search(r'<fieldset class="govuk-fieldset" id="address">\s*<legend[^>]*>\s*Address \(optional\)', html)
    assert 'id="address-town" name="address.town"' in html
    assert 'id="address-moved_on-day" name="address.moved_on-day" type="text" value="31"' in html
    assert parse_form(schema, {}, Page(html).submitted()).data == data
    assert parse_form(schema, {}, MultiDict()).data == {}
    summary = error_summary_items({"address.town": ["Enter town"]}, schema)
    assert summary == [{"text": "Enter town", "href": "#address-town"}]


def test_fields_only_in_conditional_parts_are_still_asked():
    schema = {
        "type": "object",
        "properties": {"known": {"type": "boolean", "title": "Known?"}},
        "if": {"properties": {"known": {"const": True}}},
        "then": {"required": ["when"], "properties": {"when": {"type": "string", "format": "date", "title": "When"}}},
        "allOf": [{"properties": {"extra": {"type": "string", "title": "Extra"}}}],
    }
    page = Page(render_form(schema, {}, {}, {}))
    assert {"known", "when-day", "extra"} <= set(page.ids)
    assert "When For example" in page.visible_text()  # required in some cases: not marked optional
    assert "Extra (optional)" in page.visible_text()


def test_checkboxes_post_lists():
    schema, ui = load("tag_themes")
    posted = MultiDict([("themes", "mappa"), ("themes", "domestic_abuse"), ("themes", "mappa")])
    assert parse_form(schema, ui, posted).data["themes"] == ["domestic_abuse", "mappa"]
    assert parse_form(schema, ui, MultiDict()).data == {"themes": []}  # required: "none" is an answer to check
    html = render_form(schema, ui, {"themes": ["mappa"]}, {})
    assert Page(html).checked == {"themes-9"}
    optional = {"type": "object", "properties": {"tags": {"type": "array", "items": {"enum": ["a", "b"]}}}}
    assert parse_form(optional, {}, MultiDict()).data == {}
    assert "Select all that apply." in render_form(optional, {}, {}, {})


def test_values_are_trimmed_empty_answers_left_out_and_unknown_names_ignored():
    schema, ui = load("chase_court_outcome")
    posted = MultiDict(
        {
            "outcome_known": "no",
            "chase_notes": "  Spoke to the court\r\nNo date yet  ",
            "court_outcome": "",
            "outcome_date-day": "",
            "unknown": "x",
            "chase_notes.0": "y",
        }
    )
    expected = {"outcome_known": False, "chase_notes": "Spoke to the court\nNo date yet"}
    assert parse_form(schema, ui, posted) == (expected, {})


def test_an_option_that_is_not_offered_is_an_error():
    schema, ui = load("quality_assurance")
    parsed = parse_form(schema, ui, MultiDict({"qa_decision": "publish"}))
    assert parsed == ({}, {"qa_decision": ["Select one of the options for your decision"]})


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "month", "year", "expected"),
    [
        ("5", "3", "2027", "2027-03-05"),
        ("05", "03", "2027", "2027-03-05"),
        ("29", "2", "2028", "2028-02-29"),
        ("1", "Feb", "2027", "2027-02-01"),
        (" 31 ", "December", "2026", "2026-12-31"),
    ],
)
def test_dates_from_three_boxes(day, month, year, expected):
    schema, ui = load("notification")
    posted = MultiDict({"offence_date-day": day, "offence_date-month": month, "offence_date-year": year})
    assert parse_form(schema, ui, posted).data == {"offence_date": expected, "other_reviews": []}


@pytest.mark.parametrize(
    ("day", "month", "year", "message", "boxes"),
    [
        ("31", "2", "2027", "Date of the alleged offence must be a real date", ["day", "month", "year"]),
        ("5", "13", "2027", "Date of the alleged offence must be a real date", ["day", "month", "year"]),
        ("x", "3", "2027", "Date of the alleged offence must be a real date", ["day", "month", "year"]),
        ("5", "", "2027", "Date of the alleged offence must include a month", ["month"]),
        ("", "", "2027", "Date of the alleged offence must include a day and month", ["day", "month"]),
        ("5", "3", "", "Date of the alleged offence must include a year", ["year"]),
        ("5", "3", "27", "Date of the alleged offence must include a year with 4 numbers", ["year"]),
    ],
)
def test_date_errors_keep_the_boxes_and_link_to_the_first_box_in_error(day, month, year, message, boxes):
    schema, ui = load("notification")
    posted = MultiDict({"offence_date-day": day, "offence_date-month": month, "offence_date-year": year})
    parsed = parse_form(schema, ui, posted)
    assert "offence_date" not in parsed.data
    assert parsed.errors == {"offence_date": [message]}
    errors = merge_errors(parsed.errors, validate_form_data(schema, parsed.data))
    assert errors["offence_date"] == [message]
    html = render_form(schema, ui, parsed.values, errors)
    for part, entered in (("day", day), ("month", month), ("year", year)):
        element = re.search(rf'<input class="([^"]*)" id="offence_date-{part}"[^>]*>', html)
        assert element is not None
        assert ("govuk-input--error" in element.group(1)) == (part in boxes)
        assert (f'value="{entered.strip()}"' in element.group(0)) == bool(entered.strip())
    summary = error_summary_items(errors, schema, ui)
    assert {"text": message, "href": f"#offence_date-{boxes[0]}"} in summary


def test_a_date_asked_as_a_question_gets_a_plain_message():
    schema, ui = load("liaison")
    posted = MultiDict(
        {
            "expected_publication_date-day": "40",
            "expected_publication_date-month": "1",
            "expected_publication_date-year": "2027",
        }
    )
    assert parse_form(schema, ui, posted).errors == {"expected_publication_date": ["The date must be a real date"]}


def test_a_stored_date_fills_the_three_boxes():
    schema, ui = load("progress_summary")
    html = render_form(schema, ui, {"progress_as_at": "2027-03-05"}, {})
    assert Page(html).submitted().to_dict() == {
        "progress_summary": "",
        "progress_as_at-day": "5",
        "progress_as_at-month": "3",
        "progress_as_at-year": "2027",
        "recommendation_progress-count": "0",
    }


# --- lists of items ---------------------------------------------------------------------------


def test_each_item_is_a_fieldset_with_a_numbered_legend_and_remove_button():
    schema, ui = load("draft_report")
    data = alternative(schema, ui)
    html = render_form(schema, ui, data, {})
    assert re.search(r'id="recommendations-1">\s*<legend[^>]*>\s*Recommendation 2\s*</legend>', html)
    assert 'name="form_action" value="remove:recommendations.1"' not in html  # the macro orders attributes
    assert re.search(r'value="remove:recommendations\.1" name="form_action"', html)
    assert 'Remove<span class="govuk-visually-hidden"> recommendation 2</span>' in html
    assert re.search(r'value="add:recommendations" name="form_action"[^>]*id="recommendations-add"', html)
    assert "Add another recommendation" in html
    assert 'id="recommendations-1-text" name="recommendations.1.text"' in html
    empty = render_form(schema, ui, {"recommendations": []}, {})
    assert "Add a recommendation" in empty and "Remove" not in empty


def test_pressing_enter_submits_the_form_rather_than_adding_or_removing():
    schema, ui = load("terms_of_reference")
    html = str(render_form(schema, ui, {}, {}))
    first_button = re.search(r"<button[^>]*>", html)
    assert first_button is not None
    assert "name=" not in first_button.group(0) and 'aria-hidden="true"' in first_button.group(0)
    schema, ui = load("escalation")
    assert "<button" not in render_form(schema, ui, {}, {})


def test_a_list_that_needs_an_item_starts_with_one_and_keeps_it():
    schema, ui = load("anonymise_report")  # the redaction log needs at least one entry
    html = render_form(schema, ui, {}, {})
    assert 'id="redaction_log-0-original"' in html
    assert "remove:redaction_log.0" not in html


def test_add_another_without_javascript_keeps_every_other_answer():
    schema, ui = load("notification")
    data = answerable(schema, sample_for(schema, today=TODAY))
    page = Page(render_form(schema, ui, data, {}))
    posted = page.submitted(**{FORM_ACTION: "add:other_reviews", "offence_date-day": "31", "offence_date-month": ""})
    action = list_action(posted)
    assert action == "add:other_reviews"
    parsed = parse_form(schema, ui, posted)
    values = apply_form_action(schema, parsed.values, action)
    html = render_form(schema, ui, values, {})
    assert re.search(r'id="other_reviews-1-agency" name="other_reviews.1.agency" type="text" aria-describedby', html)
    assert 'id="offence_date-day" name="offence_date-day" type="text" value="31"' in html  # half-entered date kept
    again = parse_form(schema, ui, Page(html).submitted())
    expected = {**data, "other_reviews": [*data["other_reviews"], {}]}
    del expected["offence_date"]
    assert same_json(again.data, expected)


def test_remove_without_javascript_keeps_every_other_answer():
    schema, ui = load("draft_report")
    data = alternative(schema, ui)
    page = Page(render_form(schema, ui, data, {}))
    posted = page.submitted(**{FORM_ACTION: "remove:recommendations.0", "summary": "Changed"})
    values = apply_form_action(schema, parse_form(schema, ui, posted).values, list_action(posted))
    html = render_form(schema, ui, values, {})
    again = parse_form(schema, ui, Page(html).submitted())
    assert same_json(again.data, {**data, "summary": "Changed", "recommendations": data["recommendations"][1:]})
    assert "Recommendation 2" not in html


def test_list_actions_that_do_not_fit_the_form_change_nothing():
    schema, ui = load("anonymise_report")
    values = {"redaction_log": [{"original": "A"}], "anonymised_report": "x"}
    for action in (
        "remove:redaction_log.0",
        "remove:redaction_log.5",
        "remove:anonymised_report.0",
        "add:anonymised_report",
        "add:nothing",
        "remove:",
        "explode:redaction_log",
        "",
    ):
        assert apply_form_action(schema, values, action) == values
    assert apply_form_action(schema, values, "add:redaction_log")["redaction_log"] == [{"original": "A"}, {}]
    assert values == {"redaction_log": [{"original": "A"}], "anonymised_report": "x"}  # not changed in place
    assert list_action(MultiDict({FORM_ACTION: "submit"})) is None
    assert list_action(MultiDict()) is None


def test_lists_of_single_answers():
    schema = {
        "type": "object",
        "properties": {"names": {"type": "array", "title": "Names", "items": {"type": "string", "title": "Name"}}},
    }
    html = render_form(schema, {}, {"names": ["Ann", "Bob"]}, {})
    assert 'id="names-1" name="names.1" type="text" value="Bob"' in html
    assert "Name 2" in html
    assert parse_form(schema, {}, Page(html).submitted()).data == {"names": ["Ann", "Bob"]}
    assert apply_form_action(schema, {"names": ["Ann"]}, "add:names") == {"names": ["Ann", ""]}


def test_a_posted_list_cannot_be_made_huge():
    schema, ui = load("draft_report")
    parsed = parse_form(schema, ui, MultiDict({"recommendations-count": "10000000"}))
    assert len(parsed.data["recommendations"]) == 200


# --- errors and escaping ----------------------------------------------------------------------


def test_error_summary_is_in_form_order_with_form_wide_problems_first():
    schema, ui = load("draft_report")
    errors = {
        "recommendations.1.level": ["Select level"],
        "lessons": ["Enter lessons"],
        "summary": ["Enter summary", "Second problem"],
        "recommendations": ["Too many"],
        "recommendations.0": ["Check this recommendation"],
        "mystery": ["This is not a field of this form."],
        FORM_ERRORS: ["The form data must be an object of field values."],
    }
    assert error_summary_items(errors, schema, ui) == [
        {"text": "The form data must be an object of field values.", "href": f"#{FORM_ANCHOR}"},
        {"text": "Enter summary", "href": "#summary"},
        {"text": "Second problem", "href": "#summary"},  # the summary lists every problem of a field
        {"text": "Enter lessons", "href": "#lessons"},
        {"text": "Too many", "href": "#recommendations"},
        {"text": "Check this recommendation", "href": "#recommendations-0"},
        {"text": "Select level", "href": "#recommendations-1-level"},
        {"text": "This is not a field of this form.", "href": f"#{FORM_ANCHOR}"},
    ]
    html = render_form(schema, ui, alternative(schema, ui), errors)
    assert "Second problem" not in html  # one message next to each field, as GOV.UK shows them
    assert re.search(
        r'id="recommendations-0" aria-describedby="recommendations-0-error"|'
        r'aria-describedby="recommendations-0-error" id="recommendations-0"',
        html,
    )
    assert 'class="govuk-radios__input" id="recommendations-1-level"' in html


def test_inline_errors_use_the_gov_uk_error_message():
    schema, ui = load("escalation")
    errors = {"escalation_action": ["Select what you did"], "escalation_notes": ["Enter details"]}
    html = render_form(schema, ui, {}, errors)
    assert re.search(
        r'<p id="escalation_action-error" class="govuk-error-message">\s*'
        r'<span class="govuk-visually-hidden">Error:</span> Select what you did',
        html,
    )
    assert 'class="govuk-textarea govuk-textarea--error" id="escalation_notes"' in html
    assert html.count("govuk-form-group--error") == 2


def test_answers_and_messages_are_escaped():
    schema, ui = load("escalation")
    attack = '<script>alert("x")</script>'
    values = {"escalation_notes": attack, "escalation_action": attack}
    html = str(render_form(schema, ui, values, {"escalation_notes": [attack]}))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    hostile = {"type": "object", "properties": {"a": {"type": "string", "title": attack, "description": attack}}}
    html = str(render_form(hostile, {}, {"a": f'"><img src=x onerror=alert(1)>{attack}'}, {}))
    assert "<script>" not in html and "<img" not in html
    summary = error_summary_items({"a": [attack]}, hostile)
    assert summary == [{"text": attack, "href": "#a"}]  # plain text: the error summary macro escapes it


def test_odd_schemas_still_render():
    schema = {
        "type": "object",
        "properties": {
            "maybe": {"type": ["string", "null"], "title": "Maybe"},
            "untyped": {"title": "Untyped"},
            "ref": {"$ref": "#/$defs/colour"},
            "tuple": {"type": "array", "items": [{"type": "string"}]},
            "levels": {"type": "integer", "enum": [1, 2, 3]},
        },
        "$defs": {"colour": {"type": "string", "title": "Colour", "enum": ["red", "green"]}},
    }
    html = render_form(schema, {}, {"levels": 2}, {})
    page = Page(html)
    assert "Colour (optional)" in page.visible_text()
    assert 'type="radio" value="2" checked' in html
    assert parse_form(schema, {}, MultiDict({"levels": "3", "ref": "green", "maybe": "x"})).data == {
        "maybe": "x",
        "ref": "green",
        "levels": 3,
    }
