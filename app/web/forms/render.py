"""A JSON Schema form as GOV.UK Frontend components, with errors shown against each field.

Only the fields are rendered: the page supplies the ``<form>`` (method, action, CSRF token), the
heading and the buttons that submit it. Lists of items get "Add" and "Remove" buttons that are plain
submit buttons (``name="form_action"``), so they work without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from markupsafe import Markup, escape

from ...form_model.answers import answer_text
from ...form_model.dates import PARTS, parts_in_error
from ...form_model.errors import FORM_ANCHOR
from ...form_model.fields import (
    MOST_ITEMS,
    SELECT,
    Field,
    Kind,
    count_name,
    element_id,
    form_fields,
    join_path,
    lower_first,
    schema_type,
    walk,
)
from .components import component
from .display import blank, shown

FORM_ACTION = "form_action"  # the name of the add and remove buttons: "add:<list path>", "remove:<item path>"
DATE_EXAMPLE = "For example, 27 3 2007"
WIDTHS = (2, 3, 4, 5, 10, 20, 30)  # the GOV.UK fixed-width input classes, in characters
_DEFAULT_BUTTON = Markup(
    # Pressing Enter in a field submits the form with its first submit button. This one comes before
    # any "Add" or "Remove" button, so Enter submits the form instead of changing a list.
    '<button type="submit" class="govuk-visually-hidden" tabindex="-1" aria-hidden="true">Continue</button>'
)


@dataclass(frozen=True)
class PersonChoice:
    """Someone a user field (``x-sfo-user-group``) can name, offered as a radio with a hint."""

    username: str
    text: str
    hint: str = ""


class _Errors:
    """The errors to show against each field, and the people each user field offers by group."""

    def __init__(
        self, errors: Mapping[str, list[str]] | None, people: Mapping[str, Sequence[PersonChoice]] | None = None
    ):
        self._errors = errors or {}
        self.people = people or {}

    def message(self, path: str) -> str | None:
        messages = self._errors.get(path) or []
        return str(messages[0]) if messages else None

    def param(self, path: str) -> dict[str, str] | None:
        message = self.message(path)
        return {"text": message} if message else None


def render_form(
    schema: Mapping[str, Any],
    ui_schema: Mapping[str, Any] | None = None,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, list[str]] | None = None,
    people: Mapping[str, Sequence[PersonChoice]] | None = None,
) -> Markup:
    """Every field of the form as GOV.UK components, filled in from ``values`` (stored data or
    ``ParsedForm.values``), with the first message for each path in ``errors`` shown inline. A user
    field whose group is in ``people`` offers those people to choose from."""
    fields = form_fields(schema, ui_schema)
    body = _fields_html(fields, "", values or {}, _Errors(errors, people))
    default = _DEFAULT_BUTTON if any(field.kind == Kind.LIST for field in walk(fields)) else Markup("")
    return Markup('<div class="sfo-form" id="{}">{}{}</div>').format(FORM_ANCHOR, default, body)


def _fields_html(fields: tuple[Field, ...], prefix: str, values: Mapping[str, Any], errors: _Errors) -> Markup:
    parts: list[Markup] = []
    readonly: list[tuple[Field, Any]] = []
    for field in fields:
        value = values.get(field.key) if isinstance(values, Mapping) else None
        if field.kind == Kind.READONLY:
            readonly.append((field, value))
            continue
        if readonly:
            parts.append(_summary(readonly))
            readonly = []
        parts.append(_RENDERERS[field.kind](field, join_path(prefix, field.key), value, errors))
    if readonly:
        parts.append(_summary(readonly))
    return Markup("").join(parts)


def _summary(rows: list[tuple[Field, Any]]) -> Markup:
    """Read-only answers (what the process already knows) as a summary list, not as inputs."""
    return component(
        "summary-list",
        {
            "rows": [
                {"key": {"text": field.title}, "value": {"html": _lines(answer_text(field, _fixed(field, value)))}}
                for field, value in rows
            ]
        },
    )


def _fixed(field: Field, value: Any) -> Any:
    return field.spec.get("const") if value is None else value


def _lines(text: str) -> Markup:
    return Markup("<br>").join(escape(line) for line in text.split("\n"))


def _label(field: Field) -> dict[str, str]:
    return {"text": _question(field), "classes": "govuk-label--s"}


def _legend(field: Field, size: str = "s") -> dict[str, str]:
    return {"text": _question(field), "classes": f"govuk-fieldset__legend--{size}"}


def _question(field: Field) -> str:
    return f"{field.title} (optional)" if field.optional else field.title


def _hint(*texts: str) -> dict[str, str] | None:
    text = " ".join(t for t in texts if t)
    return {"text": text} if text else None


def _input(field: Field, path: str, value: Any, errors: _Errors) -> Markup:
    choices = errors.people.get(str(field.spec.get("x-sfo-user-group") or ""))
    if choices:
        return _people(field, path, value, errors, choices)
    params: dict[str, Any] = {
        "id": element_id(path),
        "name": path,
        "label": _label(field),
        "hint": _hint(field.hint),
        "value": shown(field, value) or None,
        "errorMessage": errors.param(path),
        "classes": _width_class(field),
    }
    if field.kind == Kind.EMAIL:
        params.update(type="email", autocomplete="email", spellcheck=False)
    elif field.kind == Kind.URL:
        params.update(type="url", spellcheck=False)
    elif field.kind == Kind.INTEGER:
        params.update(inputmode="numeric", spellcheck=False)
    elif field.kind == Kind.NUMBER:
        params.update(inputmode="decimal", spellcheck=False)
    elif field.spec.get("pattern") or field.spec.get("x-sfo-user-group"):
        params.update(spellcheck=False, autocomplete="off")
    return component("input", params)


def _people(field: Field, path: str, value: Any, errors: _Errors, choices: Sequence[PersonChoice]) -> Markup:
    items = [
        {
            "value": c.username,
            "text": c.text,
            "checked": c.username == value,
            "hint": {"text": c.hint} if c.hint else None,
        }
        for c in choices
    ]
    if value and all(c.username != value for c in choices):  # someone no longer in the group stays visible
        items.append({"value": value, "text": str(value), "checked": True})
    return component(
        "radios",
        {
            "idPrefix": element_id(path),
            "name": path,
            "fieldset": {"legend": _legend(field)},
            "hint": _hint(field.hint),
            "errorMessage": errors.param(path),
            "items": items,
        },
    )


def _width_class(field: Field) -> str | None:
    """A fixed width where the answer's length is known (numbers, codes); otherwise full width."""
    spec = field.spec
    if field.kind in (Kind.INTEGER, Kind.NUMBER):
        maximum, minimum = spec.get("maximum"), spec.get("minimum")
        digits = len(str(int(abs(maximum)))) if isinstance(maximum, int | float) else 0
        digits += 1 if digits and isinstance(minimum, int | float) and minimum < 0 else 0
        fallback = 10 if field.kind == Kind.NUMBER else 4
        characters = (digits + 3 if field.kind == Kind.NUMBER else digits) if digits else fallback  # 3: decimals
    elif isinstance(spec.get("maxLength"), int):
        characters = spec["maxLength"]
    elif spec.get("pattern") and isinstance(spec.get("examples"), list) and spec["examples"]:
        characters = max(len(str(example)) for example in spec["examples"]) + 2
    else:
        return None
    width = next((w for w in WIDTHS if w >= characters), None)
    return f"govuk-input--width-{width}" if width else None


def _textarea(field: Field, path: str, value: Any, errors: _Errors) -> Markup:
    rows = field.ui_option("rows")
    params = {
        "id": element_id(path),
        "name": path,
        "label": _label(field),
        "hint": _hint(field.hint),
        "value": shown(field, value),
        "errorMessage": errors.param(path),
        "rows": rows if isinstance(rows, int) else 5,
    }
    limit = field.spec.get("maxLength")
    if isinstance(limit, int):
        return component("character-count", {**params, "maxlength": limit})
    return component("textarea", params)


def _date(field: Field, path: str, value: Any, errors: _Errors) -> Markup:
    parts = shown(field, value)
    message = errors.message(path)
    wrong = parts_in_error(message) if message else ()
    items = [
        {
            "name": part,
            "value": parts[part] or None,
            "classes": ("govuk-input--width-4" if part == "year" else "govuk-input--width-2")
            + (" govuk-input--error" if part in wrong else ""),
        }
        for part in PARTS
    ]
    return component(
        "date-input",
        {
            "id": element_id(path),
            "namePrefix": path,
            "fieldset": {"legend": _legend(field)},
            "hint": _hint(field.hint, DATE_EXAMPLE),
            "errorMessage": errors.param(path),
            "items": items,
        },
    )


def _choice(field: Field, path: str, value: Any, errors: _Errors) -> Markup:
    chosen = shown(field, value)
    if field.widget == SELECT:
        return component(
            "select",
            {
                "id": element_id(path),
                "name": path,
                "label": _label(field),
                "hint": _hint(field.hint),
                "errorMessage": errors.param(path),
                "items": [{"value": "", "text": "Select an option", "selected": not chosen}]
                + [
                    {"value": option.key, "text": option.label, "selected": option.key == chosen}
                    for option in field.options
                ],
            },
        )
    return component(
        "radios",
        {
            "idPrefix": element_id(path),
            "name": path,
            "fieldset": {"legend": _legend(field)},
            "hint": _hint(field.hint),
            "errorMessage": errors.param(path),
            "classes": "govuk-radios--inline" if _inline(field) else None,
            "items": _items(field, [chosen]),
        },
    )


def _inline(field: Field) -> bool:
    """Side by side only for short yes/no answers, as GOV.UK recommends."""
    inline = field.ui_option("inline")
    if inline is not None:
        return bool(inline)
    return schema_type(field.spec) == "boolean" and all(len(option.label) <= 12 for option in field.options)


def _items(field: Field, chosen: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "value": option.key,
            "text": option.label,
            "checked": option.key in chosen,
            "hint": {"text": option.hint} if option.hint else None,
        }
        for option in field.options
    ]


def _checkboxes(field: Field, path: str, value: Any, errors: _Errors) -> Markup:
    return component(
        "checkboxes",
        {
            "idPrefix": element_id(path),
            "name": path,
            "fieldset": {"legend": _legend(field)},
            "hint": _hint(field.hint or "Select all that apply."),
            "errorMessage": errors.param(path),
            "items": _items(field, shown(field, value)),
        },
    )


def _group(field: Field, path: str, value: Any, errors: _Errors) -> Markup:
    inner = _fields_html(field.children, path, shown(field, value), errors)
    return _fieldset(element_id(path), _legend(field, "m"), field.hint, errors.message(path), inner)


def _fieldset(
    element: str,
    legend: dict[str, str],
    hint: str,
    message: str | None,
    inner: Markup,
    group_classes: str = "govuk-form-group",
    classes: str | None = None,
) -> Markup:
    """A fieldset with its hint and error, for groups of fields the components do not cover."""
    described = [f"{element}-hint"] if hint else []
    top = component("hint", {"id": f"{element}-hint", "text": hint}) if hint else Markup("")
    if message:
        described.append(f"{element}-error")
        top += component("error-message", {"id": f"{element}-error", "text": message})
    fieldset = component(
        "fieldset",
        {
            "legend": legend,
            "describedBy": " ".join(described) or None,
            "attributes": {"id": element},
            "classes": classes,
            "html": top + inner,
        },
    )
    error_class = " govuk-form-group--error" if message else ""
    return Markup('<div class="{}{}">{}</div>').format(group_classes, error_class, fieldset)


def _list(field: Field, path: str, value: Any, errors: _Errors) -> Markup:
    """A list of items, one fieldset each, with Remove and Add buttons that submit the form."""
    assert field.item is not None  # noqa: S101 - every list field has an item
    items = list(shown(field, value))
    items = items[:MOST_ITEMS] + [blank(field.item)] * (field.fewest_items - len(items))
    removable = field.removable and len(items) > field.fewest_items
    rendered = [_list_item(field.item, path, index, item, removable, errors) for index, item in enumerate(items)]
    add = _add_button(field, path, bool(items)) if field.addable and len(items) < field.most_items else Markup("")
    inner = Markup('<input type="hidden" name="{}" value="{}"><div class="moj-add-another__items">{}</div>{}').format(
        count_name(path),
        len(items),
        Markup("").join(rendered),
        add,
    )
    return _fieldset(
        element_id(path),
        _legend(field, "m"),
        field.hint,
        errors.message(path),
        inner,
        group_classes="govuk-form-group moj-add-another",
    )


def _list_item(item: Field, path: str, index: int, value: Any, removable: bool, errors: _Errors) -> Markup:
    item_path = join_path(path, index)
    name = f"{item.title} {index + 1}"
    remove = _remove_button(item_path, name) if removable else Markup("")
    if item.kind != Kind.GROUP:  # a list of single answers: the answer is the item
        single = replace(item, title=name, optional=False)
        inner = _RENDERERS[item.kind](single, item_path, value, errors)
        return Markup('<div class="moj-add-another__item">{}{}</div>').format(inner, remove)
    container = Markup('<div class="moj-add-another__item-container">{}{}</div>').format(
        _fields_html(item.children, item_path, shown(item, value), errors),
        remove,
    )
    legend = {"text": name, "classes": "moj-add-another__item-title govuk-fieldset__legend--s"}
    return _fieldset(
        element_id(item_path),
        legend,
        "",
        errors.message(item_path),
        container,
        group_classes="moj-add-another__item",
        classes="moj-add-another__fieldset",
    )


def _remove_button(item_path: str, name: str) -> Markup:
    label = Markup('Remove<span class="govuk-visually-hidden"> {}</span>').format(lower_first(name))
    return Markup('<div class="moj-add-another__remove-button-container">{}</div>').format(
        component(
            "button",
            {
                "html": label,
                "name": FORM_ACTION,
                "value": f"remove:{item_path}",
                "classes": "govuk-button--secondary moj-add-another__remove-button",
            },
        )
    )


def _add_button(field: Field, path: str, has_items: bool) -> Markup:
    assert field.item is not None  # noqa: S101
    noun = lower_first(field.item.title)
    text = f"Add another {noun}" if has_items else f"Add {'an' if noun[:1] in 'aeiou' else 'a'} {noun}"
    return Markup('<div class="moj-add-another__add-button-container">{}</div>').format(
        component(
            "button",
            {
                "text": text,
                "name": FORM_ACTION,
                "value": f"add:{path}",
                "id": f"{element_id(path)}-add",
                "classes": "govuk-button--secondary moj-add-another__add-button",
            },
        )
    )


def _readonly(field: Field, path: str, value: Any, errors: _Errors) -> Markup:
    return _summary([(field, value)])


_RENDERERS: dict[str, Callable[[Field, str, Any, _Errors], Markup]] = {
    Kind.READONLY: _readonly,
    Kind.TEXT: _input,
    Kind.EMAIL: _input,
    Kind.URL: _input,
    Kind.INTEGER: _input,
    Kind.NUMBER: _input,
    Kind.TEXTAREA: _textarea,
    Kind.DATE: _date,
    Kind.CHOICE: _choice,
    Kind.CHECKBOXES: _checkboxes,
    Kind.GROUP: _group,
    Kind.LIST: _list,
}
