"""Case data as people read it: each completed task's answers, labelled with its form's titles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..form_model.answers import answer_text
from ..form_model.fields import form_fields


@dataclass(frozen=True)
class Answer:
    label: str
    text: str


def answers_for(schema: dict[str, Any], data: dict[str, Any], ui_schema: dict[str, Any] | None = None) -> list[Answer]:
    """The form's fields that have a value in ``data``, in the order the form asks them (its UI
    schema's ``ui:order``: a deployed schema does not keep the order its properties were written in)."""
    return [
        Answer(field.title, answer_text(field, data[field.key]))
        for field in form_fields(schema, ui_schema)
        if field.key in data
    ]
