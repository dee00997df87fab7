"""The form editor's field list: the common edits of a form's JSON Schema (each top-level field's
label, hint, whether it is required and its options) read from the schema and written back to it.

The schema is untrusted (a process owner's upload or typing): anything that is not the expected
shape is left alone and shown as not editable here, never an error of the page.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_FIELDS = 200  # the list shows at most this many fields (the JSON editor has them all)
MAX_TITLE = 300
MAX_HINT = 2000
MAX_OPTIONS = 100
MAX_VALUE = 100
SEPARATOR = "|"


@dataclass(frozen=True)
class Option:
    value: str
    title: str


@dataclass(frozen=True)
class FieldEdit:
    """One field as the field list shows and posts it."""

    index: int
    name: str
    title: str
    hint: str
    required: bool
    options: tuple[Option, ...] | None  # None: the field has no options to edit here
    enum_only: bool = False  # options are a plain ``enum`` (values without labels)
    on_items: bool = False  # the options are those of an array's items (checkboxes)

    @property
    def options_text(self) -> str:
        if self.options is None:
            return ""
        return "\n".join(o.value if o.title == o.value else f"{o.value} {SEPARATOR} {o.title}" for o in self.options)


@dataclass
class Edits:
    schema: dict[str, Any]
    problems: dict[str, list[str]] = field(default_factory=dict)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _required(schema: Mapping[str, Any]) -> list[str]:
    required = schema.get("required")
    return [r for r in required if isinstance(r, str)] if isinstance(required, list) else []


def _option_holder(prop: dict[str, Any]) -> tuple[dict[str, Any] | None, bool]:
    """Where a field's options are (the field, or an array field's items), if they are editable."""
    if prop.get("type") == "array" and isinstance(prop.get("items"), dict):
        return prop["items"], True
    return prop, False


def _options(holder: dict[str, Any]) -> tuple[tuple[Option, ...] | None, bool]:
    """The holder's string options (``oneOf`` of const and title, or a plain ``enum``)."""
    one_of, enum = holder.get("oneOf"), holder.get("enum")
    if isinstance(one_of, list) and one_of:
        if all(isinstance(o, dict) and isinstance(o.get("const"), str) for o in one_of):
            return tuple(Option(o["const"], _text(o.get("title")) or o["const"]) for o in one_of), False
        return None, False
    if isinstance(enum, list) and enum and all(isinstance(v, str) for v in enum):
        return tuple(Option(v, v) for v in enum), True
    return None, False


def fields_of(schema: Mapping[str, Any]) -> list[FieldEdit]:
    """The schema's top-level fields, in order, as the field list edits them."""
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return []
    required = set(_required(schema))
    found = []
    for index, (name, prop) in enumerate(list(properties.items())[:MAX_FIELDS]):
        if not isinstance(prop, dict):
            continue
        holder, on_items = _option_holder(prop)
        options, enum_only = _options(holder) if holder is not None else (None, False)
        found.append(
            FieldEdit(
                index=index,
                name=str(name),
                title=_text(prop.get("title")),
                hint=_text(prop.get("description")),
                required=name in required,
                options=options,
                enum_only=enum_only,
                on_items=on_items,
            )
        )
    return found


def _parse_options(text: str, where: str) -> tuple[list[Option], list[str]]:
    options: list[Option] = []
    problems: list[str] = []
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip():
            continue
        value, _, title = (part.strip() for part in line.partition(SEPARATOR))
        if not value:
            problems.append(f"{where}: option {number} has no value before “{SEPARATOR}”")
        elif len(value) > MAX_VALUE:
            problems.append(f"{where}: option {number}'s value must be {MAX_VALUE} characters or fewer")
        elif len(title) > MAX_TITLE:
            problems.append(f"{where}: option {number}'s label must be {MAX_TITLE} characters or fewer")
        elif any(o.value == value for o in options):
            problems.append(f"{where}: the value “{value}” is given twice")
        else:
            options.append(Option(value, title or value))
    if not options and not problems:
        problems.append(f"Enter at least one option for {where}")
    if len(options) > MAX_OPTIONS:
        problems.append(f"{where} can have at most {MAX_OPTIONS} options")
    return options, problems


def _where(edit: FieldEdit) -> str:
    return edit.title or edit.name


def apply_edits(schema: Mapping[str, Any], posted: Mapping[str, str]) -> Edits:
    """The schema with the posted field list applied, or the problems (and the schema unchanged).

    ``posted`` has, for each field index ``i``: ``field-i-name`` (which field the row was: the row
    is refused if the schema no longer has that field there), ``field-i-title``, ``field-i-hint``,
    ``field-i-required`` ("yes" when ticked) and, for fields with options, ``field-i-options``.
    """
    result = copy.deepcopy(dict(schema))
    problems: dict[str, list[str]] = {}
    properties = result.get("properties")
    if not isinstance(properties, dict):
        return Edits(dict(schema), {"fields": ["The schema has no fields to edit"]})
    required = _required(result)
    for edit in fields_of(schema):
        prefix = f"field-{edit.index}"
        if f"{prefix}-name" not in posted:
            continue  # a row not on the page posted: left as it is
        if posted[f"{prefix}-name"] != edit.name:
            problems.setdefault(f"{prefix}-title", []).append(
                "The fields changed since the list was shown: check the JSON and try again"
            )
            continue
        prop = properties[edit.name]
        title = " ".join((posted.get(f"{prefix}-title") or "").split())
        hint = (posted.get(f"{prefix}-hint") or "").replace("\r\n", "\n").strip()
        if not title and edit.title:  # a field without a label may stay so (the form shows its name)
            problems.setdefault(f"{prefix}-title", []).append(f"Enter a label for the field {edit.name}")
        elif len(title) > MAX_TITLE:
            problems.setdefault(f"{prefix}-title", []).append(
                f"The label of {edit.name} must be {MAX_TITLE} characters or fewer"
            )
        if len(hint) > MAX_HINT:
            problems.setdefault(f"{prefix}-hint", []).append(
                f"The hint of {_where(edit)} must be {MAX_HINT} characters or fewer"
            )
        if title:
            prop["title"] = title
        if hint:
            prop["description"] = hint
        else:
            prop.pop("description", None)
        if posted.get(f"{prefix}-required") == "yes":
            required = [*required, edit.name] if edit.name not in required else required
        else:
            required = [r for r in required if r != edit.name]
        if edit.options is not None and f"{prefix}-options" in posted:
            options, option_problems = _parse_options(posted[f"{prefix}-options"], _where(edit))
            if option_problems:
                problems.setdefault(f"{prefix}-options", []).extend(option_problems)
            else:
                holder, _ = _option_holder(prop)
                _write_options(holder or prop, options, edit.enum_only)
    if problems:
        return Edits(dict(schema), problems)
    if required:
        result["required"] = required
    else:
        result.pop("required", None)
    return Edits(result)


def _write_options(holder: dict[str, Any], options: list[Option], enum_only: bool) -> None:
    """Plain ``enum`` stays plain while no option has a label of its own; otherwise ``oneOf``, keeping
    what else each existing option said (its description, for example)."""
    if enum_only and all(o.title == o.value for o in options):
        holder["enum"] = [o.value for o in options]
        return
    before = {
        o.get("const"): o for o in holder.get("oneOf") or [] if isinstance(o, dict) and isinstance(o.get("const"), str)
    }
    holder.pop("enum", None)
    holder["oneOf"] = [{**before.get(o.value, {}), "const": o.value, "title": o.title} for o in options]
