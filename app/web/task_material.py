"""What a task's decision is made on, shown on the task page: the draft report with what changed since
quality assurance last saw it, and the public page as publishing would make it, with the redaction log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..form_model.answers import answer_text
from ..form_model.dates import govuk_date
from ..form_model.fields import Field, Kind, find, form_fields
from ..models import ProcessInstance, Task
from ..services.forms import USER_GROUP_KEYWORD
from ..services.publication import preview_snapshot
from ..services.publication_check import items_of
from ..services.publication_record import CHECK_KEYWORD, check_mode
from ..services.report_changes import DraftForDecision, draft_for_decision
from ..services.runtime import model_of_instance
from ..services.users import Workload, workloads
from .forms.render import PersonChoice
from .published import page_context

QA_DECISION = "qa_decision"  # a form that asks for it decides on the draft report


@dataclass(frozen=True)
class Redaction:
    category: str
    original: str
    replacement: str
    location: str


@dataclass(frozen=True)
class Material:
    draft: DraftForDecision | None = None
    public_page: dict[str, Any] | None = None  # the public page template's context
    redactions: tuple[Redaction, ...] = ()
    preview_missing: bool = False


def material_for(task: Task, schema: dict[str, Any]) -> Material | None:
    row = task.instance
    if QA_DECISION in (schema.get("properties") or {}):
        return Material(draft=draft_for_decision(row))
    if check_mode(row, task.bpmn_id) == "approve":
        preview = preview_snapshot(row)
        return Material(
            public_page=page_context(preview) if preview is not None else None,
            redactions=redaction_log(row),
            preview_missing=preview is None,
        )
    return None


def redaction_log(row: ProcessInstance) -> tuple[Redaction, ...]:
    """The case's redaction log, with each category's title from the anonymisation form."""
    item = (_anonymisation_schema(row).get("properties") or {}).get("redaction_log", {}).get("items") or {}
    category = find(form_fields(item), "category") or Field("category", Kind.TEXT, "Category")
    return tuple(
        Redaction(
            category=answer_text(category, entry.get("category")),
            original=str(entry.get("original") or ""),
            replacement=str(entry.get("replacement") or ""),
            location=str(entry.get("location") or ""),
        )
        for entry in items_of((row.data or {}).get("redaction_log"))
    )


def _anonymisation_schema(row: ProcessInstance) -> dict[str, Any]:
    model = model_of_instance(row)
    for spec in model.all_task_specs():
        form = model.form_for(spec)
        if form is not None and form.schema.get(CHECK_KEYWORD) == "anonymise":
            return form.schema
    return {}


def people_for(schema: dict[str, Any]) -> dict[str, list[PersonChoice]]:
    """For each group a field of the form names a person of: its people with their workload."""
    groups = {
        str(spec[USER_GROUP_KEYWORD])
        for spec in (schema.get("properties") or {}).values()
        if isinstance(spec, dict) and spec.get(USER_GROUP_KEYWORD)
    }
    return {group: [_choice(w) for w in workloads(group)] for group in sorted(groups)}


def _choice(workload: Workload) -> PersonChoice:
    cases = {0: "No open cases", 1: "1 open case"}.get(workload.open_cases, f"{workload.open_cases} open cases")
    due = f", next task due {govuk_date(workload.next_due)}" if workload.next_due else ", no tasks due"
    text = workload.username if workload.label == workload.username else f"{workload.label} ({workload.username})"
    return PersonChoice(workload.username, text, cases + due)
