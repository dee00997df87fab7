"""An answer as text, the one way pages, case data, read-only fields and the redaction log show it:
option titles, Yes or No, dates as '5 March 2027', lists and groups spelled out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .dates import govuk_date
from .fields import Field, Kind

NOTHING = "Not given"


def answer_text(field: Field, value: Any) -> str:
    """``value`` as the answer to ``field`` reads: 'Not given' when it is empty."""
    if value is None or value == "" or value == [] or value == {}:
        return NOTHING
    option = field.option_with(value)
    if option is not None:
        return option.label
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        item = field.item or field
        separator = "; " if item.kind == Kind.GROUP else ", "
        return separator.join(answer_text(item, one) for one in value)
    if isinstance(value, Mapping):
        return _group_text(field, value)
    if field.spec.get("format") == "date":
        return govuk_date(value)
    return str(value)


def _group_text(field: Field, value: Mapping[str, Any]) -> str:
    """'Title: answer, Title: answer' for the group's fields that have a value (every key of the value
    when the form does not ask for the group's fields: a read-only group)."""
    if field.children:
        parts = [
            f"{child.title}: {answer_text(child, value[child.key])}" for child in field.children if child.key in value
        ]
    else:
        parts = [f"{key}: {one}" for key, one in value.items()]
    return ", ".join(parts)
