"""What a field shows in its inputs: its value as the boxes and options a person sees.

``render_form`` takes either stored JSON data (typed: dates as ISO strings, booleans, numbers) or the
answers as entered (``ParsedForm.values``: strings, date boxes); both come out the same here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...form_model.dates import date_parts
from ...form_model.fields import Field, Kind, option_key


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


def _key_of(field: Field, value: Any) -> str:
    if isinstance(value, str) and field.option_for(value) is not None:
        return value
    option = field.option_with(value)
    if option is not None:
        return option.key
    return "" if value is None else option_key(value)
