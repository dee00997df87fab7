"""Composing outbox messages: assignment notices, reminders, escalations and case notices."""

from __future__ import annotations

from flask import current_app

from ..extensions import db
from ..form_model.dates import govuk_date
from ..models import OutboxMessage, ProcessInstance, Task
from .runtime import now

SUBJECTS = {
    "assigned": "SFO review {case}: '{task}' is assigned to you",
    "available": "SFO review {case}: '{task}' is waiting for your team",
    "escalation": "SFO review {case}: escalation - {task}",
    "reminder": "SFO review {case}: '{task}' is due on {due}",
    "not_eligible": "SFO notification {case} is not eligible for a review",
}

BODIES = {
    "assigned": "The task '{task}' for case {case} is assigned to you.{due_line}\n\nOpen the task: {link}\n",
    "available": "The task '{task}' for case {case} is waiting for someone in your team to pick it up.{due_line}\n\n"
    "Open the task: {link}\n",
    "escalation": "A deadline on case {case} has passed and needs a manager's attention: {task}.\n\n"
    "Open the task: {link}\n",
    "reminder": "The task '{task}' for case {case} is due on {due}.\n\nOpen the task: {link}\n",
    "not_eligible": "The SFO team has decided that notification {case} does not meet the criteria for a Serious "
    "Further Offence review. No review will take place.\n\nSee the case: {link}\n",
}


def _format_due(task: Task | None) -> str:
    return govuk_date(task.due_on) if task is not None and task.due_on else "no set date"


def _recipient(task: Task | None, fallback_group: str) -> str:
    if task is not None and task.assignee:
        return task.assignee
    group = task.lane if task is not None and task.lane else fallback_group
    return f"group:{group}"


def queue_message(
    kind: str, instance: ProcessInstance, task: Task | None, recipient: str | None = None
) -> OutboxMessage:
    base_url = current_app.config["SFO_BASE_URL"].rstrip("/")
    link = f"{base_url}/tasks/{task.id}" if task is not None else f"{base_url}/cases/{instance.business_key}"
    due = _format_due(task)
    values = {
        "case": instance.business_key,
        "task": task.name if task is not None else "",
        "due": due,
        "due_line": f" It is due on {due}." if task is not None and task.due_on else "",
        "link": link,
    }
    message = OutboxMessage(
        kind=kind,
        recipient=recipient or _recipient(task, "sfo-team"),
        instance_id=instance.id,
        task_id=task.id if task is not None else None,
        subject=SUBJECTS.get(kind, "SFO review {case}: {task}").format(**values),
        body=BODIES.get(kind, "Case {case}: {task}\n\n{link}\n").format(**values),
        personalisation=notify_personalisation(values),
        created_at=now(),
        deliver_after=now(),
    )
    db.session.add(message)
    return message


def notify_personalisation(values: dict[str, str]) -> dict[str, str]:
    """What a GOV.UK Notify template is given: the case reference, the task, its due date and the link.
    Nothing about the recipient or the people in the case (Notify knows the address it sends to)."""
    return {"case_reference": values["case"], "task": values["task"], "due_date": values["due"], "link": values["link"]}


def notice_kind_for_new_task(task: Task) -> str:
    if task.lane == "manager":
        return "escalation"
    return "assigned" if task.assignee else "available"
