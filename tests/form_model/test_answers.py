"""Answers as text: one function for the case data, read-only fields and the redaction log."""

import datetime as dt

from app.form_model.answers import answer_text
from app.form_model.dates import govuk_date
from app.form_model.fields import form_fields

SCHEMA = {
    "type": "object",
    "properties": {
        "decision": {"type": "string", "oneOf": [{"const": "accept", "title": "Accept"}]},
        "level": {"type": "string", "enum": ["local", "national"]},
        "urgent": {"type": "boolean"},
        "due": {"type": "string", "format": "date"},
        "areas": {"type": "array", "items": {"type": "string", "enum": ["a_b", "c"]}},
        "actions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"text": {"title": "Action", "type": "string"}, "done": {"type": "boolean"}},
            },
        },
        "note": {"type": "string"},
    },
}
UI = {"level": {"ui:enumNames": ["Local", "National"]}}


def _text(name, value):
    field = next(f for f in form_fields(SCHEMA, UI) if f.key == name)
    return answer_text(field, value)


def test_choices_read_as_the_form_labels_them():
    assert _text("decision", "accept") == "Accept"
    assert _text("level", "national") == "National"
    assert _text("urgent", True) == "Yes"
    assert _text("areas", ["a_b", "c"]) == "A b, C"


def test_dates_groups_and_nothing():
    assert _text("due", "2027-03-05") == "5 March 2027"
    assert _text("due", "not a date") == "not a date"
    assert _text("actions", [{"text": "Train", "done": False}, {"text": "Audit"}]) == (
        "Action: Train, Done: No; Action: Audit"
    )
    assert _text("note", "") == _text("note", None) == _text("areas", []) == "Not given"


def test_one_date_format_for_dates_datetimes_and_iso_text():
    assert govuk_date(dt.date(2027, 3, 1)) == "1 March 2027"
    assert govuk_date("2027-03-01T09:00:00") == "1 March 2027"
    assert govuk_date(dt.datetime(2027, 6, 30, 23, 30, tzinfo=dt.UTC)) == "1 July 2027"  # London time
    assert govuk_date(None) == govuk_date("") == ""
