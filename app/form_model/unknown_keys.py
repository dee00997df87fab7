"""Keys an answer has that its form does not ask for, at any depth: in the form itself, in its groups and
in every row of its lists. Answers come from the browser or the API; a key no field names would be stored
with the case unseen, so it is refused rather than kept."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .fields import _mapping, _properties, _resolved, join_path, schema_type


def unknown_keys(schema: Mapping[str, Any], data: Any) -> Iterator[str]:
    """The dotted path of every key of ``data`` that no property of the schema at its place names.

    Read-only parts are what the process set, not answers, and are not looked into; nor are objects whose
    schema names no properties at all (free-form, such as a decision table's proposal)."""
    root = _mapping(schema)
    yield from _unknown(root, data, root, "")


def _unknown(schema: Mapping[str, Any], value: Any, root: Mapping[str, Any], path: str) -> Iterator[str]:
    schema = _resolved(schema, root)
    if schema.get("readOnly") or "const" in schema:
        return
    kind = schema_type(schema)
    if kind == "object" and isinstance(value, Mapping):
        properties = _properties(schema)
        for key, answer in value.items():
            if key in properties:
                yield from _unknown(properties[key], answer, root, join_path(path, key))
            elif properties or not path:  # the form itself always names its fields
                yield join_path(path, key)
    elif kind == "array" and isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, list):  # an old-style tuple of item schemas: the form asks the first
            items = items[0] if items else {}
        for number, row in enumerate(value):
            yield from _unknown(_mapping(items), row, root, join_path(path, number))
