"""Which file is a UI schema, and which goes with a form, by our naming and SpiffArena's."""

from app.form_model.files import is_ui_schema, ui_schema_name


def test_each_naming_pairs_a_form_with_its_own_ui_schema():
    assert ui_schema_name("triage.schema.json") == "triage.uischema.json"
    assert ui_schema_name("triage-schema.json") == "triage-uischema.json"  # was the form itself
    assert ui_schema_name("triage.json") == "triage.uischema.json"
    assert is_ui_schema("triage-uischema.json") and not is_ui_schema("triage-schema.json")
