"""Which JSON file of a process model is a form's UI schema, and which UI schema goes with a form.

Our forms are ``x.schema.json`` with ``x.uischema.json``; SpiffArena's form editor pairs
``x-schema.json`` with ``x-uischema.json``. A task names both files it uses; these rules are for the
pages and checks that look at the files on their own (the editor, sample data, the dry run)."""

from __future__ import annotations

FORM_PAIRS = ((".schema.json", ".uischema.json"), ("-schema.json", "-uischema.json"))


def is_ui_schema(name: str) -> bool:
    return "uischema" in name.lower()


def ui_schema_name(schema_name: str) -> str:
    """The UI schema file that goes with a form file, by either naming convention (ours for a form
    named by neither: ``x.json`` goes with ``x.uischema.json``)."""
    for schema_suffix, ui_suffix in FORM_PAIRS:
        if schema_name.endswith(schema_suffix):
            return schema_name[: -len(schema_suffix)] + ui_suffix
    return schema_name.removesuffix(".json") + ".uischema.json"
