"""Case data as people read it: each completed task's answers, labelled with its form's titles."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .filters import govuk_date
from .forms.fields import _ordered


@dataclass(frozen=True)
class Answer:
    label: str
    text: str


def _choice_title(schema: dict[str, Any], value: Any) -> str | None:
    for option in schema.get("oneOf") or []:
        if isinstance(option, dict) and option.get("const") == value:
            return str(option.get("title") or value)
    return None


def display_value(schema: dict[str, Any], value: Any) -> str:
    """One answer as text: dates as '3 March 2027', yes/no, option titles, lists joined."""
    if value is None or value == "" or value == []:
        return "Not given"
    title = _choice_title(schema, value)
    if title is not None:
        return title
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if schema.get("format") == "date" and isinstance(value, str):
        try:
            return govuk_date(dt.date.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, list):
        items = schema.get("items") or {}
        return "; ".join(_item_text(items, item) for item in value)
    if isinstance(value, dict):
        return _item_text(schema, value)
    return str(value)


def _item_text(schema: dict[str, Any], item: Any) -> str:
    if not isinstance(item, dict):
        return display_value(schema, item)
    properties = schema.get("properties") or {}
    parts = [
        f"{(properties.get(k) or {}).get('title', k)}: {display_value(properties.get(k) or {}, v)}"
        for k, v in item.items()
        if k in properties
    ]
    return ", ".join(parts)


def answers_for(schema: dict[str, Any], data: dict[str, Any], ui_schema: dict[str, Any] | None = None) -> list[Answer]:
    """The form's fields that have a value in ``data``, in the order the form asks them (its UI
    schema's ``ui:order``: a deployed schema does not keep the order its properties were written in)."""
    properties = schema.get("properties") or {}
    names = _ordered(list(properties), (ui_schema or {}).get("ui:order"))  # the order the form asks in
    return [
        Answer(str(properties[name].get("title") or name), display_value(properties[name], data[name]))
        for name in names
        if isinstance(properties[name], dict) and name in data
    ]
