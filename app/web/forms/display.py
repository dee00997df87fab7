"""What a field shows: its value as the boxes, options and text a person sees.

``render_form`` takes either stored JSON data (typed: dates as ISO strings, booleans, numbers) or the
answers as entered (``ParsedForm.values``: strings, date boxes); both come out the same here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .dates import date_parts, readable_date
from .fields import Field, Kind, option_key

NOTHING = "Not given"


def shown(field: Field, value: Any) -> Any:
    """The display value for one field: a string, date boxes, chosen option keys, or nested values."""
    if field.kind == Kind.DATE:
        return date_parts(value)
    if field.kind == Kind.CHOICE:
        return _key_of(field, value)
    if field.kind == Kind.CHECKBOXES:
        items = value if isinstance(value, list) else []
        return [_key_of(field, item) for item in items]
    if field.kind == Kind.GROUP:
        return value if isinstance(value, Mapping) else {}
    if field.kind == Kind.LIST:
        return value if isinstance(value, list) else []
    return "" if value is None else str(value)


def blank(item: Field) -> Any:
    """The value of a newly added item of a list."""
    return {} if item.kind == Kind.GROUP else [] if item.kind in (Kind.LIST, Kind.CHECKBOXES) else ""


def readonly_text(field: Field, value: Any) -> str:
    """A read-only answer as a sentence fragment: option titles, readable dates, Yes/No."""
    if value is None or value == "" or value == []:
        return NOTHING
    if isinstance(value, list):
        return ", ".join(readonly_text(field, item) for item in value)
    option = next((o for o in field.options if _same(o.value, value)), None)
    if option is not None:
        return option.label
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if field.spec.get("format") == "date":
        return readable_date(value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _key_of(field: Field, value: Any) -> str:
    if isinstance(value, str) and field.option_for(value) is not None:
        return value
    option = next((o for o in field.options if _same(o.value, value)), None)
    if option is not None:
        return option.key
    return "" if value is None else option_key(value)


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same kind: True is not 1 here."""
    return isinstance(a, bool) == isinstance(b, bool) and a == b
