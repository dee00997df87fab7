from app.services.forms import validate_form_data

SCHEMA = {
    "type": "object",
    "required": ["case_reference", "eligible", "crn", "offence_date"],
    "properties": {
        "case_reference": {"type": "string", "title": "Case reference", "minLength": 1},
        "eligible": {"type": "boolean", "title": "Is this an SFO?"},
        "crn": {"type": "string", "title": "CRN", "pattern": "^[A-Z][0-9]{6}$"},
        "offence_date": {"type": "string", "title": "Offence date", "format": "date"},
        "victim_count": {"type": "integer", "title": "Number of victims", "minimum": 1},
        "level": {
            "type": "string",
            "title": "Level",
            "enum": ["local", "national"],
            "x-error-messages": {"enum": "Select local or national"},
        },
        "reviewer": {"type": "string", "title": "Reviewer", "x-sfo-user-group": "reviewer"},
    },
}


def test_missing_answers_get_plain_english_messages():
    problems = validate_form_data(SCHEMA, {})
    assert problems == {
        "case_reference": ["Enter case reference"],
        "eligible": ["Answer the question: Is this an SFO?"],
        "crn": ["Enter CRN"],
        "offence_date": ["Enter offence date"],
    }


def test_wrong_answers_are_explained_and_unknown_fields_refused():
    problems = validate_form_data(
        SCHEMA,
        {
            "case_reference": "",
            "eligible": "yes",
            "crn": "123",
            "offence_date": "2027-02-30",
            "victim_count": 0,
            "level": "regional",
            "hacked": True,
        },
    )
    assert problems["case_reference"] == ["Enter case reference"]
    assert problems["eligible"] == ["Select yes or no for is this an SFO"]
    assert problems["crn"] == ["CRN is not in the expected format"]
    assert problems["offence_date"] == ["Offence date must be a real date"]
    assert problems["victim_count"] == ["Number of victims must be 1 or more"]
    assert problems["level"] == ["Select local or national"]
    assert problems["hacked"] == ["This is not a field of this form."]


def test_user_fields_must_name_a_member_of_the_group():
    data = {"case_reference": "A", "eligible": True, "crn": "X123456", "offence_date": "2027-01-01", "reviewer": "bob"}
    assert validate_form_data(SCHEMA, data, lambda user, group: user == "alice") == {
        "reviewer": ["There is no reviewer with the username 'bob'."]
    }
    assert validate_form_data(SCHEMA, {**data, "reviewer": "alice"}, lambda user, group: user == "alice") == {}


GROUPS = {
    "type": "object",
    "$defs": {"address": {"type": "object", "properties": {"town": {"type": "string"}}}},
    "properties": {
        "contact": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "address": {"$ref": "#/$defs/address"}},
        },
        "rows": {"type": "array", "items": {"type": "object", "properties": {"text": {"type": "string"}}}},
        "proposal": {"type": "object", "readOnly": True},
    },
}


def test_unknown_keys_inside_groups_and_list_rows_are_refused():
    data = {
        "contact": {"name": "A", "extra": 1, "address": {"town": "B", "postcode": "C"}},
        "rows": [{"text": "fine"}, {"text": "x", "hidden": True}],
        "proposal": {"set": "by the process"},
    }
    assert validate_form_data(GROUPS, data) == {
        "contact.extra": ["This is not a field of this form."],
        "contact.address.postcode": ["This is not a field of this form."],
        "rows.1.hidden": ["This is not a field of this form."],
    }
    assert validate_form_data(GROUPS, {"contact": {"name": "A"}, "rows": [{"text": "x"}]}) == {}
