"""Plausible, valid answers generated from a form's JSON Schema.

Used to load demo cases and to drive the process in tests; ``choices`` pins the answers that steer
the process (``eligible``, ``qa_decision``, ``court_outcome``...). Deterministic on purpose: the same
form always gets the same answers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..working_days import as_date

DEADLINE_AHEAD_DAYS = 42


def sample_for(
    schema: dict[str, Any], choices: dict[str, Any] | None = None, today: dt.date | None = None
) -> dict[str, Any]:
    choices = choices or {}
    value = _sample(schema, "", today or as_date(dt.datetime.now(dt.UTC)))
    data = value if isinstance(value, dict) else {}
    properties = schema.get("properties") or {}
    data.update({k: v for k, v in choices.items() if k in properties})
    return data


def _sample(schema: dict[str, Any], name: str, today: dt.date) -> Any:
    if "const" in schema:
        return schema["const"]
    if "default" in schema:
        return schema["default"]
    if schema.get("examples"):
        return schema["examples"][0]
    if _options(schema):
        return _options(schema)[0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return _SAMPLERS.get(str(kind), _string)(schema, name, today)


def _object(schema: dict[str, Any], name: str, today: dt.date) -> dict[str, Any]:
    properties = schema.get("properties") or {}
    return {key: _sample(field, key, today) for key, field in properties.items() if isinstance(field, dict)}


def _array(schema: dict[str, Any], name: str, today: dt.date) -> list[Any]:
    items = schema.get("items") or {"type": "string"}
    count = max(1, int(schema.get("minItems", 1)))
    options = _options(items)
    if options:
        return options[:count]
    return [_sample(items, name, today) for _ in range(count)]


def _options(schema: dict[str, Any]) -> list[Any]:
    if schema.get("enum"):
        return list(schema["enum"])
    return [o["const"] for o in schema.get("oneOf") or [] if isinstance(o, dict) and "const" in o]


def _string(schema: dict[str, Any], name: str, today: dt.date) -> str:
    if schema.get("format") == "date":  # a deadline is set ahead; any other date is today
        return (today + dt.timedelta(days=DEADLINE_AHEAD_DAYS) if name.endswith("_deadline") else today).isoformat()
    if schema.get("format") == "email":
        return "someone@example.org"
    text = f"Example {str(schema.get('title') or name or 'answer').lower()}"
    minimum, maximum = int(schema.get("minLength", 0)), int(schema.get("maxLength", 10_000))
    text = text.ljust(minimum, ".")
    return text[:maximum]


def _integer(schema: dict[str, Any], name: str, today: dt.date) -> int:
    return int(schema.get("minimum", 1))


def _number(schema: dict[str, Any], name: str, today: dt.date) -> float:
    return float(schema.get("minimum", 1))


def _boolean(schema: dict[str, Any], name: str, today: dt.date) -> bool:
    return True


_SAMPLERS = {
    "object": _object,
    "array": _array,
    "string": _string,
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
}
