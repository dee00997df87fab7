"""Checking submitted task data against the task's JSON Schema form, in plain English."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError

from ..form_model.dates import govuk_date
from ..form_model.fields import form_fields
from ..form_model.patterns import matches
from ..form_model.unknown_keys import unknown_keys

USER_GROUP_KEYWORD = "x-sfo-user-group"
ERROR_MESSAGES_KEYWORD = "x-error-messages"  # per-field overrides: {"required": "Select yes if ..."}
COPY_KEYWORD = "x-sfo-copy-of"  # a field that starts as a copy of another case variable
# Dates outside this range are mistakes (a year typed as 9999) that would only fail later, inside the
# engine's deadline arithmetic, leaving the case in error. Refuse them with the form instead.
EARLIEST_DATE, LATEST_DATE = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_format_checker = FormatChecker(formats=("email",))


def _pattern_matched_by_re2(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Any:
    """JSON Schema's ``pattern``, matched in linear time (app/form_model/patterns.py)."""
    if isinstance(instance, str) and not matches(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_FormValidator = validators.extend(Draft202012Validator, {"pattern": _pattern_matched_by_re2})


@_format_checker.checks("date")
def _is_date_in_range(value: object) -> bool:
    day = _iso_date(value)
    return not isinstance(value, str) or (day is not None and EARLIEST_DATE <= day <= LATEST_DATE)


def _iso_date(value: object) -> dt.date | None:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def field_path(path: Iterable[Any]) -> str:
    return ".".join(str(part) for part in path) or "_form"


def validate_form_data(
    schema: dict[str, Any],
    data: Any,
    user_in_group: Callable[[str, str], bool] | None = None,
) -> dict[str, list[str]]:
    """Every problem with ``data`` keyed by field path; empty when the data is acceptable."""
    if not isinstance(data, dict):
        return {"_form": ["The form data must be an object of field values."]}
    problems: dict[str, list[str]] = {}
    for path in sorted(unknown_keys(schema, data)):
        problems.setdefault(path, []).append("This is not a field of this form.")
    validator = _FormValidator(schema, format_checker=_format_checker)
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        path, message = _describe(error, schema)
        problems.setdefault(path, []).append(message)
    if user_in_group is not None:
        for path, value, group in _user_fields(schema, data):
            if value and not user_in_group(value, group):
                problems.setdefault(path, []).append(f"There is no {group} with the username '{value}'.")
    return problems


def _title(schema: dict[str, Any], fallback: str) -> str:
    return str(schema.get("title") or fallback.replace("_", " ").capitalize())


def _noun(title: str) -> str:
    """'Case reference' -> 'case reference'; acronyms ('CRN') keep their case."""
    first = title.split(" ", 1)[0]
    return title if first.isupper() else title[:1].lower() + title[1:]


def _custom(schema: dict[str, Any], kind: str) -> str | None:
    messages = schema.get(ERROR_MESSAGES_KEYWORD)
    return str(messages[kind]) if isinstance(messages, dict) and kind in messages else None


def _with_field_title(schema: dict[str, Any], root: dict[str, Any], path: list[Any]) -> dict[str, Any]:
    """A rule from a conditional part of the form (``then``: "required if you return it") has no
    title of its own: it names the field by the title the form gives it."""
    if schema.get("title") or not path:
        return schema
    field: Any = root
    for part in path:
        if isinstance(part, int):
            field = field.get("items") if isinstance(field, dict) else None
        else:
            field = ((field.get("properties") or {}) if isinstance(field, dict) else {}).get(part)
    if not isinstance(field, dict):
        return schema
    return {
        **{k: v for k, v in field.items() if k in ("title", "oneOf", "enum", "type", "format", ERROR_MESSAGES_KEYWORD)},
        **schema,
    }


def _describe(error: ValidationError, root: dict[str, Any]) -> tuple[str, str]:
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        properties = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        field_schema = _with_field_title(properties.get(missing, {}), root, [*path, missing])
        return field_path([*path, missing]), _custom(field_schema, "required") or _required_message(
            field_schema, missing
        )
    schema = _with_field_title(error.schema if isinstance(error.schema, dict) else {}, root, path)
    title = _title(schema, str(path[-1]) if path else "this answer")
    return field_path(path), _custom(schema, str(error.validator)) or _message_for(error, schema, title)


def _required_message(schema: dict[str, Any], name: str) -> str:
    title = _title(schema, name)
    if title.endswith("?"):
        return f"Answer the question: {title}"
    verb = "Select" if _is_choice(schema) else "Enter"
    return f"{verb} {_noun(title)}"


def _is_choice(schema: dict[str, Any]) -> bool:
    return bool(schema.get("enum") or schema.get("oneOf") or schema.get("type") in ("boolean", "array"))


def _message_for(error: ValidationError, schema: dict[str, Any], title: str) -> str:
    kind = error.validator
    noun = _noun(title.rstrip("?"))
    if kind == "format" and schema.get("format") == "date":
        if _iso_date(error.instance) is not None:
            return f"{title.rstrip('?')} must be between {govuk_date(EARLIEST_DATE)} and {govuk_date(LATEST_DATE)}"
        return f"{title.rstrip('?')} must be a real date"
    if kind == "format":
        return f"Enter {noun} in the correct format"
    if kind in ("enum", "oneOf", "const"):
        return f"Select one of the options for {noun}"
    if kind == "type":
        return _type_message(schema.get("type"), title.rstrip("?"))
    if kind == "minLength":
        return (
            f"Enter {noun}"
            if schema.get("minLength") == 1
            else f"{title} must be {schema['minLength']} characters or more"
        )
    if kind == "maxLength":
        return f"{title} must be {schema['maxLength']} characters or fewer"
    if kind == "minimum":
        return f"{title} must be {schema['minimum']} or more"
    if kind == "maximum":
        return f"{title} must be {schema['maximum']} or less"
    if kind == "minItems":
        return f"Select or add at least {schema['minItems']} for {noun}"
    if kind == "maxItems":
        return f"{title} can have at most {schema['maxItems']}"
    if kind == "pattern":
        return f"{title} is not in the expected format"
    return f"{title}: {error.message}"


def _type_message(expected: Any, title: str) -> str:
    messages = {
        "integer": f"{title} must be a whole number",
        "number": f"{title} must be a number",
        "boolean": f"Select yes or no for {_noun(title)}",
        "array": f"{title} must be a list",
        "object": f"{title} must be a group of answers",
        "string": f"{title} must be text",
    }
    return messages.get(str(expected), f"{title} is not the right kind of answer")


def _user_fields(schema: dict[str, Any], data: dict[str, Any]) -> list[tuple[str, str, str]]:
    found = []
    for name, field in (schema.get("properties") or {}).items():
        if isinstance(field, dict) and field.get(USER_GROUP_KEYWORD) and isinstance(data.get(name), str):
            found.append((name, data[name], str(field[USER_GROUP_KEYWORD])))
    return found


def prefill_copies(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Starting values for fields marked ``x-sfo-copy-of`` that have no value of their own: the named
    variable's value (list items trimmed to the fields the form's items have)."""
    values: dict[str, Any] = {}
    for name, field in (schema.get("properties") or {}).items():
        source = field.get(COPY_KEYWORD) if isinstance(field, dict) else None
        if not source or data.get(name) not in (None, "", []) or data.get(str(source)) in (None, "", []):
            continue
        value = data[str(source)]
        keep = set((field.get("items") or {}).get("properties") or {})
        if isinstance(value, list) and keep:
            value = [{k: v for k, v in item.items() if k in keep} for item in value if isinstance(item, dict)]
        values[name] = value
    return values


def fixed_lists(schema: dict[str, Any], ui_schema: dict[str, Any]) -> list[str]:
    """The list fields of the form itself whose rows the process sets (``Field.fixed_rows``)."""
    properties = schema.get("properties") or {}
    return [field.key for field in form_fields(schema, ui_schema) if field.fixed_rows and field.key in properties]


def _fixed_keys(field: dict[str, Any]) -> set[str]:
    items = field.get("items")
    return _read_only_keys(items if isinstance(items, dict) else {})


def _read_only_keys(schema: dict[str, Any]) -> set[str]:
    properties = schema.get("properties") or {}
    return {key for key, spec in properties.items() if isinstance(spec, dict) and spec.get("readOnly")}


def with_fixed_rows(
    schema: dict[str, Any], ui_schema: dict[str, Any], stored: dict[str, Any], data: Any
) -> tuple[Any, dict[str, list[str]]]:
    """``data`` with the form's read-only fields (the decision table's proposal, the comments another team
    returned the work with) and each fixed list's read-only item fields (a recommendation's number and
    text) as the process set them in ``stored``, whatever was sent; and a problem for each fixed list
    sent with more or fewer rows than it has."""
    if not isinstance(data, dict):
        return data, {}
    merged, problems = dict(data), {}
    for name in _read_only_keys(schema):  # shown, not asked: the page never posts them, the API may
        if name in stored:
            merged[name] = stored[name]
        else:
            merged.pop(name, None)
    for name in fixed_lists(schema, ui_schema):
        found = stored.get(name)
        rows: list[Any] = found if isinstance(found, list) else []
        sent = data.get(name)
        if sent is None and not rows:
            continue
        if not isinstance(sent, list) or len(sent) != len(rows):
            title = str(schema["properties"][name].get("title") or name).lower()
            problems[name] = [f"Answer each of the {len(rows)} rows of {title}; rows cannot be added or removed"]
            continue
        keys = _fixed_keys(schema["properties"][name])
        merged[name] = [
            {**item, **{k: row[k] for k in keys if isinstance(row, dict) and k in row}}
            if isinstance(item, dict)
            else item
            for item, row in zip(sent, rows, strict=True)
        ]
    return merged, problems
