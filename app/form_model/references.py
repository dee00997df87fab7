"""How deep a form's JSON Schema goes, and where its ``$ref`` lead, checked before anything else reads it.

The JSON Schema validator, the form model and the sample data all walk a schema recursively, following
``$ref``: a form nested thousands of levels deep, or whose references lead back to themselves, would end
in a RecursionError (or loop) when the form is deployed, shown or answered; a reference to nothing, or to
another document, only when someone answers it. A form is one document of fields people fill in:

- nested at most ``MAX_DEPTH`` levels (objects and lists), counting the levels its references add;
- each ``$ref`` pointing inside it (``#`` or ``#/...``), at something that is there;
- no reference leading back, through any number of others, to where it started;
- an ``$id`` at its top at most (one inside would change what the references below it mean).

Everything here walks with its own stack, so a hostile form cannot make the check itself recurse.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

MAX_DEPTH = 40
REFERENCES = ("$ref", "$dynamicRef")
# Keywords whose value is a schema, a list of schemas, or a mapping of names to schemas
ONE = (
    *("not", "if", "then", "else", "items", "contains", "additionalItems", "additionalProperties"),
    *("propertyNames", "unevaluatedItems", "unevaluatedProperties"),
)
MANY = ("allOf", "anyOf", "oneOf", "prefixItems", "items")
NAMED = ("properties", "patternProperties", "dependentSchemas", "$defs", "definitions")
STORED = ("$defs", "definitions")  # schemas kept to be referred to, not applied where they stand

Path = tuple[str, ...]


def depth_problem(document: Any) -> str | None:
    """A problem when a JSON document is nested more than MAX_DEPTH levels (read before anything recurses)."""
    stack = [(document, 1)]
    while stack:
        node, level = stack.pop()
        if level > MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} levels deep"
        if isinstance(node, dict):
            stack.extend((value, level + 1) for value in node.values())
        elif isinstance(node, list):
            stack.extend((value, level + 1) for value in node)
    return None


def reference_problems(schema: dict[str, Any]) -> list[str]:
    """Every problem with the schema's depth and references; empty when the form can be used."""
    problem = depth_problem(schema)
    if problem is not None:
        return [problem]
    subschemas = dict(_subschemas(schema))
    problems: list[str] = []
    edges: dict[Path, list[tuple[Path, int]]] = {}
    for path, node in subschemas.items():
        if "$id" in node and path:
            problems.append(f"{_where(path)} has an $id of its own: a form is one document, with an $id at its top")
        edges[path] = list(_applied(path, node))
        for keyword in REFERENCES:
            if keyword in node:
                target, problem = _target(node[keyword], subschemas)
                if problem is not None:
                    problems.append(f"the {keyword} {node[keyword]!r} at {_where(path)} {problem}")
                else:
                    edges[path].append((target, 0))
    return problems or _loop_or_depth(edges)


def _where(path: Path) -> str:
    return ".".join(path) or "the top of the form"


def _subschemas(schema: Any) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every schema inside the form (applied or kept in $defs), by its path."""
    stack: list[tuple[Path, Any]] = [((), schema)]
    while stack:
        path, node = stack.pop()
        if not isinstance(node, dict):
            continue
        yield path, node
        stack.extend(_children(path, node, STORED))


def _applied(path: Path, node: dict[str, Any]) -> Iterator[tuple[Path, int]]:
    """The schemas applied with this one, and how many levels each is below it."""
    for child, _ in _children(path, node, ()):
        yield child, len(child) - len(path)


def _children(path: Path, node: dict[str, Any], stored: tuple[str, ...]) -> Iterator[tuple[Path, Any]]:
    for keyword in ONE:
        if isinstance(node.get(keyword), dict):
            yield (*path, keyword), node[keyword]
    for keyword in MANY:
        if isinstance(node.get(keyword), list):
            yield from (((*path, keyword, str(n)), item) for n, item in enumerate(node[keyword]))
    for keyword in NAMED:
        if isinstance(node.get(keyword), dict) and (keyword not in STORED or keyword in stored):
            yield from (((*path, keyword, str(name)), item) for name, item in node[keyword].items())


def _target(reference: Any, subschemas: dict[Path, Any]) -> tuple[Path, str | None]:
    if not isinstance(reference, str) or not reference.startswith("#"):
        return (), "points outside the form: only references within it (#/...) are allowed"
    if reference not in ("#", "#/") and not reference.startswith("#/"):
        return (), "names an anchor: refer to a part of the form by its path (#/$defs/...)"
    path = tuple(unquote(part).replace("~1", "/").replace("~0", "~") for part in reference[2:].split("/") if part)
    if path not in subschemas:
        return (), "points to nothing in the form"
    return path, None


def _loop_or_depth(edges: dict[Path, list[tuple[Path, int]]]) -> list[str]:
    """A reference leading back to where it started, or the deepest way through the form too deep; checked
    depth first, with a stack of its own. Each schema's depth below it is worked out once."""
    below: dict[Path, int] = {}
    on_way: set[Path] = set()
    stack: list[tuple[Path, int]] = [((), 0)]
    while stack:
        path, next_edge = stack.pop()
        on_way.add(path)
        if next_edge < len(edges.get(path, [])):
            stack.append((path, next_edge + 1))
            child, _ = edges[path][next_edge]
            if child in on_way:
                return [f"{_where(path)} leads back to {_where(child)} through a $ref: the form would never end"]
            if child not in below:
                stack.append((child, 0))
            continue
        on_way.discard(path)
        below[path] = max((levels + below[child] for child, levels in edges.get(path, [])), default=0)
        if below[path] >= MAX_DEPTH:
            return [f"nested more than {MAX_DEPTH} levels deep through its references"]
    return []
