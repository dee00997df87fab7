"""Deadline extensions: a manager moves a task's due date; the task's timers follow the new date."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ..engine.inspection import move_deadline
from ..extensions import db
from ..form_model.dates import govuk_date
from ..models import DeadlineExtension, ProcessInstance, Task, User
from .access import MANAGING_ROLES, check_task_visible, require_role
from .audit import record_event
from .errors import Conflict, Invalid
from .instances import tasks_of
from .progress import advance, locked_task
from .runtime import london_today, now, transactional


def check_extension(task: Task, new_due: dt.date | None, reason: str, today: dt.date) -> dict[str, list[str]]:
    """What is wrong with a requested extension (field -> messages); empty when it can be granted."""
    problems: dict[str, list[str]] = {}
    if new_due is None:
        problems["new_due"] = ["Enter the new due date"]
    elif task.due_on is not None and new_due <= task.due_on:
        problems["new_due"] = [f"The new due date must be after the current one, {govuk_date(task.due_on)}"]
    elif new_due < today:
        problems["new_due"] = ["The new due date must be today or in the future"]
    if not reason.strip():
        problems["reason"] = ["Enter the reason for the extension"]
    return problems


@transactional
def extend_deadline(user: User, task_id: str, new_due: dt.date | None, reason: str) -> DeadlineExtension:
    require_role(user, MANAGING_ROLES, "extend deadlines")
    task = check_task_visible(user, locked_task(task_id))
    if task.state != "ready":
        raise Conflict("This task has already been completed or is no longer needed.")
    if task.due_on is None:
        raise Conflict("This task has no deadline to extend.")
    if task.instance.status not in ("running", "waiting", "suspended"):
        raise Conflict(f"The case is {task.instance.status}; its deadlines cannot be changed.")
    problems = check_extension(task, new_due, reason, london_today())
    if problems:
        raise Invalid("The extension has errors.", problems)
    assert new_due is not None
    previous_due = task.due_on
    running = task.instance.status != "suspended"  # a suspended case stands still: none of its timers fire
    answer = {
        "escalation_action": "extension_agreed",
        "escalation_notes": f"Extended to {govuk_date(new_due)}: {reason.strip()}",
    }
    moved = advance(
        task.instance,
        user.username,
        lambda instance: move_deadline(instance, task.id, new_due, run=running, settle_with=answer),
    )
    if moved is None:
        raise Conflict("The deadline could not be moved: the case went into error.")
    variable, sharing = moved.variable, moved.sharing
    also = [t.name for t in tasks_of(task.instance, "ready") if t.id in sharing]
    _record_settled(user, task.instance, moved.settled, answer)
    extension = DeadlineExtension(
        instance_id=task.instance_id,
        task_id=task.id,
        bpmn_id=task.bpmn_id,
        stage=task.stage,
        due_variable=variable,
        previous_due=previous_due,
        new_due=new_due,
        reason=reason.strip(),
        approved_by=user.username,
        approved_at=now(),
    )
    db.session.add(extension)
    record_event(
        task.instance,
        user.username,
        "deadline-extended",
        f"'{task.name}' extended from {govuk_date(previous_due)} to {govuk_date(new_due)}"
        + "".join(f" (with '{name}', due on the same date)" for name in also)
        + f": {reason.strip()}",
        task_id=task.id,
        previous_due=previous_due.isoformat(),
        new_due=new_due.isoformat(),
        reason=reason.strip(),
        approved_by=user.username,
        variable=variable,
        also_moved=sharing,
    )
    return extension


def _record_settled(user: User, instance: ProcessInstance, task_ids: list[str], answer: dict[str, str]) -> None:
    """The escalations the extension answered are done, by the manager who granted it."""
    for escalation in db.session.scalars(select(Task).where(Task.id.in_(task_ids))):
        escalation.state, escalation.completed_by, escalation.completed_at = "completed", user.username, now()
        escalation.assignee = escalation.assignee or user.username
        record_event(
            instance,
            user.username,
            "task-completed",
            f"{user.username} completed '{escalation.name}' by extending the deadline.",
            task_id=escalation.id,
            data=answer,
        )


def extensions_of(instance_id: int) -> list[DeadlineExtension]:
    query = select(DeadlineExtension).where(DeadlineExtension.instance_id == instance_id)
    return list(db.session.scalars(query.order_by(DeadlineExtension.approved_at, DeadlineExtension.id)))
