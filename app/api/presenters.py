"""What a response shows of a case or task, gathered from the services for the caller."""

from __future__ import annotations

from typing import Any

from ..models import AuditEvent, ProcessInstance, Task, User
from ..services import instances, tasks
from ..services.access import tasks_seen_on


class Presented:
    """A row plus the values a response adds to it; other attributes are read from the row."""

    def __init__(self, row: Any, **extra: Any):
        self._row = row
        self.__dict__.update(extra)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)


def present_instance(user: User, row: ProcessInstance) -> Presented:
    seen = tasks_seen_on(user, row, instances.tasks_of(row, "ready", "completed"))
    return Presented(
        row,
        data=instances.visible_data(user, row),
        ready_tasks=[task for task in seen if task.state == "ready"],
        completed_tasks=[task for task in seen if task.state == "completed"],
    )


def present_task(user: User, task: Task) -> Presented:
    return Presented(
        task,
        form=tasks.form_of(task),
        documentation=tasks.documentation_of(task),
        data=tasks.prefill_of(task),
        draft=tasks.draft_of(user, task),
    )


def present_events(user: User, events: list[AuditEvent]) -> list[Any]:
    """Providers see what happened and when, but not the data other teams entered or received."""
    if not user.is_provider:
        return events
    return [Presented(event, detail=None) for event in events]


def page(items: list[Any], total: int, filters: Any) -> dict[str, Any]:
    return {"items": items, "total": total, "page": filters.page, "per_page": filters.per_page}
