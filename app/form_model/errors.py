"""The GOV.UK error summary: one link per problem, each to the element to fix. For a task form, in the
order the fields are shown (the first date box in error, the first radio, the input itself)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .dates import parts_in_error
from .fields import Field, Kind, element_id, form_fields, join_path

FORM_ERRORS = "_form"  # the path of problems with the form as a whole
FORM_ANCHOR = "form-answers"  # the id of the element wrapping a form's fields: form-wide errors link here
_LAST = 1_000_000


def error_summary_items(
    errors: Mapping[str, list[str]],
    schema: Mapping[str, Any],
    ui_schema: Mapping[str, Any] | None = None,
) -> list[dict[str, str]]:
    """``errorList`` items for ``govukErrorSummary``: ``{"text", "href"}``, in form order, one for
    every message (a field can have several problems, such as two names left in one text)."""
    fields = form_fields(schema, ui_schema)
    entries = []
    for path, messages in errors.items():
        if messages:
            target, order = _target(fields, path, str(messages[0]))
            entries += [(order, summary_item(target, str(message))) for message in messages]
    entries.sort(key=lambda entry: entry[0])
    return [item for _, item in entries]


def error_items(errors: Mapping[str, list[str]]) -> list[dict[str, str]]:
    """The summary for the service's own fixed forms: {field name: [messages]}, in the order given; a
    field's id is its name with ``_`` spelled ``-``."""
    return [summary_item(name.replace("_", "-"), message) for name, messages in errors.items() for message in messages]


def summary_item(element: str, message: str) -> dict[str, str]:
    """One ``errorList`` item of ``govukErrorSummary``: the message, linking to the element to fix."""
    return {"text": message, "href": f"#{element}"}


def merge_errors(*sources: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Problems from several checks, the first source winning for a path: pass ``parse_form``'s
    errors first, so 'must be a real date' is shown rather than 'Enter the date'."""
    merged: dict[str, list[str]] = {}
    for source in sources:
        for path, messages in source.items():
            if messages and path not in merged:
                merged[path] = list(messages)
    return merged


def _target(fields: tuple[Field, ...], path: str, message: str) -> tuple[str, tuple[int, ...]]:
    """The id to link to and the position in the form. A path the form does not show (a read-only or
    unknown field) links to the nearest part of the form that contains it."""
    if path == FORM_ERRORS:
        return FORM_ANCHOR, (-1,)
    target, prefix = FORM_ANCHOR, ""
    order: list[int] = []
    current: Field | None = None
    children = fields
    for segment in path.split("."):
        if current is not None and current.kind == Kind.LIST and current.item is not None:
            if not segment.isdigit():
                return target, (*order, _LAST)
            current, position = current.item, int(segment)
        else:
            position = next((i for i, field in enumerate(children) if field.key == segment), -1)
            if position < 0:
                return target, (*order, _LAST)
            current = children[position]
        order.append(position)
        prefix = join_path(prefix, segment)
        if current.kind != Kind.READONLY:
            target = _focus(current, prefix, message)
        children = current.children
    return target, tuple(order)


def _focus(field: Field, path: str, message: str) -> str:
    if field.kind == Kind.DATE:
        return f"{element_id(path)}-{parts_in_error(message)[0]}"
    return element_id(path)  # inputs, the first radio or checkbox, or the fieldset of a group or list
