"""Human tasks: inbox queries, the task with its form, claiming, drafts and completion."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from ..models import Task, TaskDraft
from ..services import tasks
from ..services.read_models import inbox_view, task_view
from ..services.tasks import TaskFilters
from .auth import current_user
from .operations import Dumped, operation
from .presenters import Presented, page, present_instance, present_task, task_line
from .schemas import (
    AssignSchema,
    DraftSchema,
    EmptySchema,
    InstanceSchema,
    TaskDataSchema,
    TaskDetailSchema,
    TaskPageSchema,
    TaskQuerySchema,
    TaskSchema,
)

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


@bp.get("")
@operation(
    "The tasks the caller may see: ready ones by due date, or completed ones",
    query=TaskQuerySchema,
    response=TaskPageSchema,
)
def list_tasks(query: TaskFilters) -> dict[str, Any]:
    view = inbox_view(current_user(), query)
    return Dumped(page([task_line(row) for row in view.rows], view.total, query))


@bp.get("/<task_id>")
@operation(
    "A task with its form, documentation, prefilled data and the caller's draft",
    response=TaskDetailSchema,
    errors=(403, 404),
)
def get_task(task_id: str) -> Presented:
    return present_task(task_view(current_user(), task_id))


@bp.post("/<task_id>/claim")
@operation("Pick up a task", body=EmptySchema, response=TaskSchema, errors=(403, 404, 409))
def claim(task_id: str, body: dict[str, Any]) -> Task:
    return tasks.claim_task(current_user(), task_id)


@bp.post("/<task_id>/unclaim")
@operation("Release a task back to its team", body=EmptySchema, response=TaskSchema, errors=(403, 404, 409))
def unclaim(task_id: str, body: dict[str, Any]) -> Task:
    return tasks.release_task(current_user(), task_id)


@bp.post("/<task_id>/assign")
@operation("Assign a task to a user (managers)", body=AssignSchema, response=TaskSchema, errors=(403, 404, 409))
def assign(task_id: str, body: dict[str, Any]) -> Task:
    return tasks.assign_task(current_user(), task_id, body["username"])


@bp.put("/<task_id>/draft")
@operation(
    "Save the caller's draft answers, replacing any earlier draft (assignee only)",
    body=TaskDataSchema,
    response=DraftSchema,
    errors=(403, 404, 409),
)
def save_draft(task_id: str, body: dict[str, Any]) -> TaskDraft:
    return tasks.save_draft(current_user(), task_id, body["data"])


@bp.post("/<task_id>/complete")
@operation(
    "Complete a task with its form data",
    body=TaskDataSchema,
    response=InstanceSchema,
    errors=(403, 404, 409),
    idempotent=True,
    description="The data is checked against the task's form (422 with a message per field). "
    "Returns the case with the next tasks ready for the caller.",
)
def complete(task_id: str, body: dict[str, Any]) -> Presented:
    user = current_user()
    return present_instance(user, tasks.complete_task(user, task_id, body["data"]))
