"""What a response shows of a case or task, gathered from the services for the caller."""

from __future__ import annotations

from typing import Any

from ..models import AuditEvent, ProcessInstance, User
from ..services.read_models import CaseView, Presented, TaskView, case_view_of, error_seen_by, events_seen_by
from ..services.tasks import TaskRow


def present_instance(user: User, row: ProcessInstance) -> Presented:
    return present_case(case_view_of(user, row))


def present_case(view: CaseView) -> Presented:
    return Presented(
        view.row,
        data=view.data,
        ready_tasks=view.ready_tasks,
        completed_tasks=view.completed_tasks,
        error_message=view.error_message,
    )


def present_instances(user: User, rows: list[ProcessInstance]) -> list[Any]:
    """A page of cases: a provider is told that a case failed, not the message (see ``error_seen_by``)."""
    if not user.is_provider:
        return list(rows)
    return [Presented(row, error_message=error_seen_by(user, row)) for row in rows]


def present_task(view: TaskView) -> Presented:
    return Presented(view.task, form=view.form, documentation=view.documentation, data=view.prefill, draft=view.draft)


def present_events(user: User, events: list[AuditEvent]) -> list[Any]:
    """Providers see what happened and when, but not the data other teams entered or received."""
    if not user.is_provider:
        return events
    return [Presented(event, detail=None) for event in events_seen_by(user, events)]


def page(items: list[Any], total: int, filters: Any) -> dict[str, Any]:
    return {"items": items, "total": total, "page": filters.page, "per_page": filters.per_page}


def task_line(row: TaskRow) -> dict[str, Any]:
    """A line of a task list as ``TaskSchema`` dumps it, written directly: through marshmallow, a page of
    100 lines took longer to write than to find (``tests/api/test_read_models.py`` keeps the two equal)."""
    return {
        "id": row.id,
        "name": row.name,
        "bpmn_id": row.bpmn_id,
        "lane": row.lane,
        "stage": row.stage,
        "process_instance_id": row.instance_id,
        "business_key": row.business_key,
        "assignee": row.assignee,
        "candidate_groups": row.candidate_groups,
        "due_at": row.due_on.isoformat() if row.due_on else None,
        "state": row.state,
        "created_at": row.created_at.isoformat(),
        "completed_by": row.completed_by,
        "completed_at": row.completed_at.isoformat() if row.completed_at else None,
    }
