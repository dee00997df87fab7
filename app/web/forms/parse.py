"""Posted form fields back into JSON data typed as the schema says, plus the answers as entered.

Names follow the paths: ``summary``, ``recommendations.0.text``, date boxes ``offence_date-day``,
and a hidden ``recommendations-count`` for each list. Names the form does not have are ignored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from ...form_model.dates import PARTS, parse_date
from ...form_model.fields import MOST_ITEMS, Field, Kind, count_name, form_fields, join_path, lower_first

_MISSING = object()
_WHOLE = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


class ParsedForm(tuple[dict[str, Any], dict[str, list[str]]]):
    """``(data, errors)``, to unpack as a pair, plus ``values``: every answer as it was entered
    (half-filled dates, numbers that are not numbers), to show the form again with
    ``render_form(schema, ui_schema, parsed.values, errors)``."""

    values: dict[str, Any]

    def __new__(cls, data: dict[str, Any], errors: dict[str, list[str]], values: dict[str, Any]) -> ParsedForm:
        parsed = super().__new__(cls, (data, errors))
        parsed.values = values
        return parsed

    @property
    def data(self) -> dict[str, Any]:
        return self[0]

    @property
    def errors(self) -> dict[str, list[str]]:
        return self[1]


def parse_form(schema: Mapping[str, Any], ui_schema: Mapping[str, Any] | None, form: Any) -> ParsedForm:
    """Turn posted fields (a werkzeug ``MultiDict``, or a plain dict) into the form's JSON data.

    Returns ``(data, errors)``: data typed as the schema says, empty answers left out (an empty list
    of checkboxes or items is ``[]`` where the form requires the list, left out where it is optional);
    errors for answers that cannot be what the field asks for (an impossible date, a number that is
    not one), keyed by path. Whether required answers are there is for ``validate_form_data`` to say.
    """
    errors: dict[str, list[str]] = {}
    data, values = _parse_fields(form_fields(schema, ui_schema), "", form, errors)
    return ParsedForm(data, errors, values)


def _parse_fields(fields: tuple[Field, ...], prefix: str, form: Any, errors: dict[str, list[str]]) -> tuple[dict, dict]:
    data: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for field in fields:
        value, shown = _PARSERS[field.kind](field, join_path(prefix, field.key), form, errors)
        if value is not _MISSING:
            data[field.key] = value
        if shown is not _MISSING:
            values[field.key] = shown
    return data, values


def _readonly(field: Field, path: str, form: Any, errors: dict[str, list[str]]) -> tuple[Any, Any]:
    """Read-only answers are not posted; a fixed value (``const``) is always the same."""
    return field.spec.get("const", _MISSING), _MISSING


def _text(field: Field, path: str, form: Any, errors: dict[str, list[str]]) -> tuple[Any, Any]:
    text = _posted(form, path)
    return (text or _MISSING), text


def _number(field: Field, path: str, form: Any, errors: dict[str, list[str]]) -> tuple[Any, Any]:
    text = _posted(form, path)
    if not text:
        return _MISSING, text
    number = _to_number(text, whole=field.kind == Kind.INTEGER)
    if number is None:
        kind = "a whole number" if field.kind == Kind.INTEGER else "a number"
        errors[path] = [f"{_subject(field, 'The answer')} must be {kind}"]
        return _MISSING, text
    return number, text


def _to_number(text: str, whole: bool) -> int | float | None:
    cleaned = text.replace(",", "").replace(" ", "")
    if _WHOLE.fullmatch(cleaned):
        return int(cleaned)
    if whole or not _DECIMAL.fullmatch(cleaned):
        return None
    number = float(cleaned)
    return number if math.isfinite(number) else None


def _date(field: Field, path: str, form: Any, errors: dict[str, list[str]]) -> tuple[Any, Any]:
    parts = {part: _posted(form, f"{path}-{part}") for part in PARTS}
    iso, message = parse_date(parts, _subject(field, "The date"))
    if message:
        errors[path] = [message]
    return (iso or _MISSING), parts


def _choice(field: Field, path: str, form: Any, errors: dict[str, list[str]]) -> tuple[Any, Any]:
    key = _posted(form, path)
    option = field.option_for(key)
    if not key:
        return _MISSING, key
    if option is None:
        errors[path] = [_unknown_option(field)]
        return _MISSING, ""
    return option.value, key


def _checkboxes(field: Field, path: str, form: Any, errors: dict[str, list[str]]) -> tuple[Any, Any]:
    keys = [key for key in (_clean(v) for v in _posted_list(form, path)) if key]
    if any(field.option_for(key) is None for key in keys):
        errors[path] = [_unknown_option(field)]
    chosen = [option for option in field.options if option.key in keys]
    value = [option.value for option in chosen]
    return (value if value or not field.optional else _MISSING), [option.key for option in chosen]


def _group(field: Field, path: str, form: Any, errors: dict[str, list[str]]) -> tuple[Any, Any]:
    data, values = _parse_fields(field.children, path, form, errors)
    return (data if data or not field.optional else _MISSING), values


def _list(field: Field, path: str, form: Any, errors: dict[str, list[str]]) -> tuple[Any, Any]:
    """Items by index. A blank item of fields stays (its required answers are then missing); a blank
    single answer is left out of the data but kept on the page."""
    assert field.item is not None  # noqa: S101 - every list field has an item
    data: list[Any] = []
    values: list[Any] = []
    for index in range(_item_count(form, path)):
        item_path = join_path(path, index)
        if field.item.kind == Kind.GROUP:
            item, shown = _parse_fields(field.item.children, item_path, form, errors)
        else:
            item, shown = _PARSERS[field.item.kind](field.item, item_path, form, errors)
        if item is not _MISSING:
            data.append(item)
        values.append(shown if shown is not _MISSING else "")
    return (data if data or not field.optional else _MISSING), values


def _item_count(form: Any, path: str) -> int:
    """The count the page posted, or more if fields of further items were posted."""
    counted = _posted(form, count_name(path))
    count = int(counted) if counted.isdigit() else 0
    pattern = re.compile(rf"{re.escape(path)}\.(\d+)(?:[.-]|$)")
    for name in _names(form):
        match = pattern.match(name)
        if match:
            count = max(count, int(match.group(1)) + 1)
    return min(count, MOST_ITEMS)


def _subject(field: Field, instead_of_question: str) -> str:
    """The field's title to start an error message, unless it is a question ('Date of birth')."""
    return instead_of_question if field.title.rstrip().endswith("?") else field.title


def _unknown_option(field: Field) -> str:
    return f"Select one of the options for {lower_first(field.title.rstrip('?'))}"


def _posted(form: Any, name: str) -> str:
    value = form.get(name) if hasattr(form, "get") else None
    return _clean(value)


def _posted_list(form: Any, name: str) -> list[Any]:
    if hasattr(form, "getlist"):
        return list(form.getlist(name))
    value = form.get(name) if hasattr(form, "get") else None
    return value if isinstance(value, list) else [] if value is None else [value]


def _names(form: Any) -> list[str]:
    return [str(name) for name in form] if hasattr(form, "keys") else []


def _clean(value: Any) -> str:
    """Trimmed text with the browser's CRLF line endings made plain newlines."""
    if not isinstance(value, str):
        return ""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


_PARSERS: dict[str, Callable[[Field, str, Any, dict[str, list[str]]], tuple[Any, Any]]] = {
    Kind.READONLY: _readonly,
    Kind.TEXT: _text,
    Kind.EMAIL: _text,
    Kind.URL: _text,
    Kind.TEXTAREA: _text,
    Kind.INTEGER: _number,
    Kind.NUMBER: _number,
    Kind.DATE: _date,
    Kind.CHOICE: _choice,
    Kind.CHECKBOXES: _checkboxes,
    Kind.GROUP: _group,
    Kind.LIST: _list,
}
