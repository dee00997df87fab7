"""Adding and removing list items without JavaScript: the Add and Remove buttons submit the form
with ``form_action=add:<list path>`` or ``form_action=remove:<item path>``, and the page is shown
again with one item more or fewer and every other answer kept."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ...form_model.fields import Field, Kind, find, form_fields
from .display import blank
from .render import FORM_ACTION

_VERBS = ("add", "remove")


def list_action(form: Any) -> str | None:
    """The add or remove action a post asks for, or None when the form was submitted."""
    action = form.get(FORM_ACTION) if hasattr(form, "get") else None
    if isinstance(action, str) and action.partition(":")[0] in _VERBS:
        return action
    return None


def apply_form_action(schema: Mapping[str, Any], values: Mapping[str, Any] | None, action: str) -> dict[str, Any]:
    """A copy of ``values`` (stored data or ``ParsedForm.values``) with an item added to or removed
    from a list. An action that does not fit the form changes nothing."""
    result = copy.deepcopy(dict(values or {}))
    verb, _, path = (action or "").partition(":")
    fields = form_fields(schema)
    if verb == "add":
        _add(fields, result, path)
    elif verb == "remove":
        _remove(fields, result, path)
    return result


def _add(fields: tuple[Field, ...], values: dict[str, Any], path: str) -> None:
    field = find(fields, path)
    parent_path, _, key = path.rpartition(".")
    parent = _lookup(values, parent_path)
    if field is None or field.kind != Kind.LIST or field.item is None or not isinstance(parent, dict):
        return
    items = parent.get(key)
    if not isinstance(items, list):
        items = parent[key] = []
    items.extend(blank(field.item) for _ in range(field.fewest_items - len(items)))
    if len(items) < field.most_items:
        items.append(blank(field.item))


def _remove(fields: tuple[Field, ...], values: dict[str, Any], path: str) -> None:
    list_path, _, index = path.rpartition(".")
    field = find(fields, list_path)
    items = _lookup(values, list_path)
    if field is None or field.kind != Kind.LIST or not isinstance(items, list) or not index.isdigit():
        return
    if int(index) < len(items) and len(items) > field.fewest_items:
        del items[int(index)]


def _lookup(values: Any, path: str) -> Any:
    current = values
    for segment in path.split(".") if path else []:
        if isinstance(current, dict):
            current = current.get(segment)
        elif isinstance(current, list) and segment.isdigit() and int(segment) < len(current):
            current = current[int(segment)]
        else:
            return None
    return current
