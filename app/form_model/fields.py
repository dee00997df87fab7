"""What a form asks: the fields of a JSON Schema form and its UI schema, in the order they are shown.

The one reading of a form's UI schema (``ui:order``, ``ui:title``, ``ui:options``...): rendering,
parsing, list actions, the error summary, answers shown as text and the checks of submitted data all
walk the same tree of ``Field`` objects, so they agree on names, ids, titles and order. Paths are
dotted (``recommendations.0.text``), as in the problems ``validate_form_data`` reports; the id of an
element is its path with hyphens (``recommendations-0-text``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """How a field is asked."""

    TEXT = "text"
    TEXTAREA = "textarea"
    EMAIL = "email"
    URL = "url"
    INTEGER = "integer"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"  # radios or a select
    CHECKBOXES = "checkboxes"
    GROUP = "group"  # a fieldset of fields
    LIST = "list"  # items added and removed
    READONLY = "readonly"  # shown, not asked


RADIOS, SELECT = "radios", "select"
MOST_RADIOS = 8  # more options than this become a select, unless the UI schema asks for radios
MOST_ITEMS = 200  # lists are cut to this many items, whatever is posted or the schema asks for
MOST_LEVELS = 10  # groups and lists nested deeper than this (a schema referring to itself) are not asked
LONG_TEXT = 500  # a maximum length above this gets a textarea without being asked
_BRANCH_KEYWORDS = ("then", "else", "anyOf", "oneOf")


@dataclass(frozen=True)
class Option:
    key: str  # what the browser posts
    label: str
    value: Any  # the JSON value it stands for
    hint: str = ""


@dataclass(frozen=True)
class Field:
    key: str
    kind: Kind
    title: str
    hint: str = ""
    optional: bool = True
    schema: Mapping[str, Any] | None = None
    ui: Mapping[str, Any] | None = None
    options: tuple[Option, ...] = ()
    widget: str = ""
    children: tuple[Field, ...] = ()  # a group's fields
    item: Field | None = None  # one item of a list

    @property
    def spec(self) -> Mapping[str, Any]:
        return self.schema or {}

    def option_for(self, key: str) -> Option | None:
        return next((option for option in self.options if option.key == key), None)

    def option_with(self, value: Any) -> Option | None:
        """The option standing for a JSON value (True is not 1 here)."""
        return next((option for option in self.options if _same(option.value, value)), None)

    @property
    def fewest_items(self) -> int:
        return min(_int(self.spec.get("minItems"), 0), MOST_ITEMS)

    @property
    def most_items(self) -> int:
        return min(_int(self.spec.get("maxItems"), MOST_ITEMS), MOST_ITEMS)

    def ui_option(self, name: str) -> Any:
        """A setting of the UI schema's ``ui:options`` (``rows``, ``inline``, ``addable``...), or None."""
        options = (self.ui or {}).get("ui:options")
        return options.get(name) if isinstance(options, Mapping) else None

    @property
    def addable(self) -> bool:
        """Whether people may add items (``"ui:options": {"addable": false}`` fixes the rows)."""
        return self.ui_option("addable") is not False

    @property
    def removable(self) -> bool:
        return self.ui_option("removable") is not False

    @property
    def fixed_rows(self) -> bool:
        """A list whose rows the process sets (``addable`` and ``removable`` both false, as in
        SpiffArena): people answer each row, never add or remove one."""
        return self.kind in (Kind.LIST, Kind.CHECKBOXES) and not self.addable and not self.removable


def join_path(prefix: str, key: str | int) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


def element_id(path: str) -> str:
    return path.replace(".", "-")


def count_name(path: str) -> str:
    """The hidden input that tells the server how many items a list shows (items may be all blank)."""
    return f"{path}-count"


def form_fields(schema: Mapping[str, Any], ui_schema: Mapping[str, Any] | None = None) -> tuple[Field, ...]:
    """The top-level fields of a form, in display order."""
    root = _resolved(_mapping(schema), _mapping(schema))
    return _object_fields(root, _mapping(ui_schema), _mapping(schema), 0)


def walk(fields: tuple[Field, ...]) -> Iterator[Field]:
    for field in fields:
        yield field
        yield from walk(field.children)
        if field.item is not None:
            yield from walk((field.item,))


def option_key(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def humanise(name: Any) -> str:
    """'quality-assurance' or 'quality_assurance' -> 'Quality assurance'; nothing -> ''."""
    text = ("" if name is None else str(name)).replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def lower_first(title: str) -> str:
    """'Recommendation' -> 'recommendation'; acronyms ('MAPPA review') keep their case."""
    first = title.split(" ", 1)[0]
    return title if first.isupper() and len(first) > 1 else title[:1].lower() + title[1:]


def _same(a: Any, b: Any) -> bool:
    return isinstance(a, bool) == isinstance(b, bool) and a == b


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _resolved(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow a local ``$ref`` ('#/$defs/address'); the referring schema's own keywords win."""
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return schema
    target: Any = root
    for part in ref[2:].split("/"):
        target = _mapping(target).get(part.replace("~1", "/").replace("~0", "~"))
    merged = {**_mapping(target), **{k: v for k, v in schema.items() if k != "$ref"}}
    return merged if target is not None else schema


def _object_fields(
    schema: Mapping[str, Any],
    ui: Mapping[str, Any],
    root: Mapping[str, Any],
    depth: int,
) -> tuple[Field, ...]:
    properties = _properties(schema)
    always, sometimes = _required(schema)
    fields = []
    for key in ordered(list(properties), ui.get("ui:order")):
        field_schema = _resolved(properties[key], root)
        optional = key not in always and key not in sometimes
        fields.append(_field(key, field_schema, _mapping(ui.get(key)), optional, root, depth))
    return tuple(fields)


def _properties(schema: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The schema's own properties, then any that appear only in conditional or combined parts."""
    properties = {k: _mapping(v) for k, v in _mapping(schema.get("properties")).items()}
    for branch in _branches(schema):
        for key, value in _mapping(branch.get("properties")).items():
            properties.setdefault(key, _mapping(value))
    return properties


def _branches(schema: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Sub-schemas that add fields to an object: allOf/anyOf/oneOf parts, then/else, dependentSchemas."""
    parts: list[Any] = list(schema.get("allOf") or [])
    for keyword in _BRANCH_KEYWORDS:
        value = schema.get(keyword)
        parts.extend(value if isinstance(value, list) else [value])
    parts.extend(_mapping(schema.get("dependentSchemas")).values())
    for part in parts:
        if isinstance(part, Mapping):
            yield part
            yield from _branches(part)


def _required(schema: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """Names always required, and names required only in some cases (which are not marked optional)."""
    always = set(_names(schema.get("required")))
    for part in schema.get("allOf") or []:
        if isinstance(part, Mapping):
            always |= _required(part)[0]
    sometimes: set[str] = set()
    for branch in _branches(schema):
        sometimes |= set(_names(branch.get("required")))
    for names in _mapping(schema.get("dependentRequired")).values():
        sometimes |= set(_names(names))
    return always, sometimes


def _names(value: Any) -> list[str]:
    return [str(name) for name in value] if isinstance(value, list) else []


def ordered(names: list[str], order: Any) -> list[str]:
    """Apply ``ui:order``: listed names first, '*' standing for the rest; unlisted names go last."""
    if not isinstance(order, list):
        return names
    rest = [name for name in names if name not in order]
    result: list[str] = []
    for name in order:
        if name == "*":
            result.extend(rest)
        elif name in names and name not in result:
            result.append(name)
    return result if "*" in order else result + rest


def _field(
    key: str,
    schema: Mapping[str, Any],
    ui: Mapping[str, Any],
    optional: bool,
    root: Mapping[str, Any],
    depth: int,
) -> Field:
    kind = _kind(schema, ui)
    if kind in (Kind.GROUP, Kind.LIST) and depth >= MOST_LEVELS:
        kind = Kind.READONLY
    common: dict[str, Any] = {
        "key": key,
        "kind": kind,
        "title": _title(schema, ui, key),
        "hint": _hint(schema, ui),
        "optional": optional,
        "schema": schema,
        "ui": ui,
        "options": _options(schema, ui),
    }
    if kind == Kind.CHOICE:
        common["widget"] = _choice_widget(ui, common["options"])
    elif kind == Kind.CHECKBOXES:
        common["options"] = _options(_resolved(_mapping(schema.get("items")), root), _mapping(ui.get("items")))
    elif kind == Kind.GROUP:
        common["children"] = _object_fields(schema, ui, root, depth + 1)
    elif kind == Kind.LIST:
        common["item"] = _item(schema, ui, root, depth + 1)
    return Field(**common)


def _item(schema: Mapping[str, Any], ui: Mapping[str, Any], root: Mapping[str, Any], depth: int) -> Field:
    items = schema.get("items")
    if isinstance(items, list):  # an old-style tuple of item schemas: use the first
        items = items[0] if items else {}
    item_schema = _resolved(_mapping(items) or {"type": "string"}, root)
    item_ui = _mapping(ui.get("items"))
    field = _field("", item_schema, item_ui, False, root, depth)
    if not item_schema.get("title") and not item_ui.get("ui:title"):
        field = replace(field, title="Item")
    return field


def _kind(schema: Mapping[str, Any], ui: Mapping[str, Any]) -> Kind:
    kind = schema_type(schema)
    widget = ui.get("ui:widget")
    if schema.get("readOnly") or "const" in schema:
        return Kind.READONLY
    if kind == "object":
        return Kind.GROUP
    if kind == "array":
        return Kind.CHECKBOXES if _options(_mapping(schema.get("items")), {}) else Kind.LIST
    if kind == "boolean" or _options(schema, ui):
        return Kind.CHOICE
    if kind in (Kind.INTEGER, Kind.NUMBER):
        return Kind(kind)
    formats = {"date": Kind.DATE, "email": Kind.EMAIL, "uri": Kind.URL, "url": Kind.URL}
    if schema.get("format") in formats:
        return formats[str(schema["format"])]
    if widget == "textarea" or _int(schema.get("maxLength"), 0) > LONG_TEXT:
        return Kind.TEXTAREA
    return Kind.TEXT


def schema_type(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


def _options(schema: Mapping[str, Any], ui: Mapping[str, Any]) -> tuple[Option, ...]:
    for keyword in ("oneOf", "anyOf"):
        choices = schema.get(keyword)
        if isinstance(choices, list) and choices and all(isinstance(c, Mapping) and "const" in c for c in choices):
            return tuple(
                Option(
                    option_key(c["const"]),
                    str(c.get("title") or humanise(c["const"])),
                    c["const"],
                    str(c.get("description") or ""),
                )
                for c in choices
                if c["const"] is not None
            )
    if isinstance(schema.get("enum"), list):
        names = ui.get("ui:enumNames") or []
        values = [v for v in schema["enum"] if v is not None]
        return tuple(
            Option(option_key(v), str(names[i]) if i < len(names) else _label(v), v) for i, v in enumerate(values)
        )
    if schema_type(schema) == "boolean":
        return (Option("yes", "Yes", True), Option("no", "No", False))
    return ()


def _label(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return humanise(value)


def _choice_widget(ui: Mapping[str, Any], options: tuple[Option, ...]) -> str:
    widget = ui.get("ui:widget")
    if widget in ("radio", "radios"):
        return RADIOS
    if widget == "select" or len(options) > MOST_RADIOS:
        return SELECT
    return RADIOS


def _title(schema: Mapping[str, Any], ui: Mapping[str, Any], key: str) -> str:
    return str(ui.get("ui:title") or schema.get("title") or humanise(key) or "Answer")


def _hint(schema: Mapping[str, Any], ui: Mapping[str, Any]) -> str:
    parts = [ui.get("ui:description") or schema.get("description"), ui.get("ui:help")]
    return " ".join(str(part).strip() for part in parts if part)


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def find(fields: tuple[Field, ...], path: str) -> Field | None:
    """The field at a path; for a list item ('recommendations.1') the list's item field."""
    current: Field | None = None
    children = fields
    for segment in path.split(".") if path else []:
        if current is not None and current.kind == Kind.LIST:
            if not segment.isdigit() or current.item is None:
                return None
            current = current.item
        else:
            current = next((field for field in children if field.key == segment), None)
            if current is None:
                return None
        children = current.children
    return current
