"""Putting a case right: reassign a task, extend a deadline, suspend, resume, cancel, retry after
correcting data, reopen the publication of a case closed unpublished. Each is a form, then a confirmation
page, then the change (audited by its service)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from ...form_model.dates import govuk_date
from ...models import ProcessInstance, Task
from ...services import instances as instance_service
from ...services import messages as message_service
from ...services import tasks as task_service
from ...services.deadlines import check_extension, extend_deadline
from ...services.errors import ServiceError
from ...services.monitoring.case_diagram import failing_data
from ...services.runtime import london_today
from ...services.users import takes_work_of, users_in_group
from ..auth import signed_in_user
from . import monitoring
from .params import read_date

MAX_REASON = 2000


@dataclass
class Action:
    """One action's page: what it asks for, what it will do, and whether the input is good."""

    name: str
    heading: str
    confirm_text: str
    row: ProcessInstance
    task: Task | None = None
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    summary: list[tuple[str, str]] = field(default_factory=list)
    hidden: list[tuple[str, str]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def _case_and_task(instance_id: int, task_id: str | None) -> tuple[ProcessInstance, Task | None]:
    user = signed_in_user()
    row = instance_service.get_instance(user, instance_id)
    task = None
    if task_id is not None:
        task = task_service.get_task(user, task_id)
        if task.instance_id != row.id:
            raise ServiceError("That task belongs to another case.")
    return row, task


def _run(action: Action, read: Callable[[Action], None], perform: Callable[[Action], str]) -> Any:
    """GET: the form. POST step=check: validate, then confirm. POST step=confirm: do it."""
    step = request.form.get("step") if request.method == "POST" else None
    if step is None:
        return _render(action, "form")
    read(action)
    if step == "edit":  # back from the confirmation page to change the answers
        action.errors.clear()
        return _render(action, "form")
    if action.errors:
        return _render(action, "form", 400)
    if step != "confirm":
        return _render(action, "confirm")
    try:
        message = perform(action)
    except ServiceError as error:
        for name, messages in (error.fields or {}).items():
            action.errors[name] = messages[0]
        if not error.fields:
            action.errors["action"] = error.message
        return _render(action, "form", error.status if error.status != 422 else 400)
    flash(message, "success")
    return redirect(url_for("monitoring.case", instance_id=action.row.id))


def _render(action: Action, stage: str, status: int = 200) -> tuple[str, int]:
    error_list = [{"text": message, "href": f"#{name}"} for name, message in action.errors.items()]
    title = f"Check before you {action.confirm_text.lower()}" if stage == "confirm" else action.heading
    return render_template(
        "monitoring/action.html",
        title=title,
        action=action,
        stage=stage,
        error_list=error_list,
        section="cases",
    ), status


def _reason(action: Action, required: bool, message: str) -> None:
    reason = (request.form.get("reason") or "").strip()
    action.values["reason"] = reason
    if required and not reason:
        action.errors["reason"] = message
    elif len(reason) > MAX_REASON:
        action.errors["reason"] = f"The reason must be {MAX_REASON} characters or fewer"
    action.hidden.append(("reason", reason))
    if reason:
        action.summary.append(("Reason", reason))


# --- reassign -------------------------------------------------------------------------------------


@monitoring.route("/cases/<id:instance_id>/tasks/<task_id>/reassign", methods=["GET", "POST"])
def reassign(instance_id: int, task_id: str) -> Any:
    row, task = _case_and_task(instance_id, task_id)
    assert task is not None
    organisation = task.organisation if task.lane == "provider" else None
    members = users_in_group(task.lane, organisation) if task.lane else []
    people = sorted((u for u in members if takes_work_of(u, str(task.lane))), key=lambda u: u.username)
    action = Action(
        "reassign",
        f"Reassign '{task.name}'",
        "Reassign task",
        row,
        task,
        values={"username": task.assignee or ""},
        extra={"people": people, "draft_by": task.assignee if task_service.has_draft(task) else None},
    )

    def read(action: Action) -> None:
        username = request.form.get("username") or ""
        action.values["username"] = username
        case_reviewer = "yes" if task.lane == "reviewer" and request.form.get("case_reviewer") == "yes" else ""
        action.values["case_reviewer"] = case_reviewer
        if case_reviewer:
            action.hidden.append(("case_reviewer", case_reviewer))
        if username not in {p.username for p in people}:
            action.errors["username"] = f"Select someone in the {task.lane} team"
        elif username == task.assignee:
            action.errors["username"] = f"The task is already assigned to {username}; select someone else"
        action.summary += [("Task", task.name), ("From", task.assignee or "Unassigned"), ("To", username)]
        if case_reviewer:
            action.summary.append(("Case reviewer", f"{username} (was {row.reviewer or 'nobody'})"))
        action.hidden.append(("username", username))

    def perform(action: Action) -> str:
        done = task_service.assign_task(
            signed_in_user(),
            task.id,
            action.values["username"],
            make_case_reviewer=bool(action.values["case_reviewer"]),
        )
        also = f" {done.assignee} is now the case's reviewer." if action.values["case_reviewer"] else ""
        return f"'{done.name}' is now assigned to {done.assignee}. It is in their task list.{also}"

    return _run(action, read, perform)


# --- extend a deadline ----------------------------------------------------------------------------


@monitoring.route("/cases/<id:instance_id>/tasks/<task_id>/extend", methods=["GET", "POST"])
def extend(instance_id: int, task_id: str) -> Any:
    row, task = _case_and_task(instance_id, task_id)
    assert task is not None
    action = Action("extend", f"Extend the deadline of '{task.name}'", "Extend deadline", row, task)

    def read(action: Action) -> None:
        new_due, problem = read_date(request.form, "new_due")
        action.values.update({part: request.form.get(f"new_due-{part}", "") for part in ("day", "month", "year")})
        action.hidden += [(f"new_due-{part}", action.values[part]) for part in ("day", "month", "year")]
        reason = (request.form.get("reason") or "").strip()
        problems = check_extension(task, new_due, reason, london_today())
        if problem:
            action.errors["new_due"] = problem
        elif problems.get("new_due"):
            action.errors["new_due"] = problems["new_due"][0]
        action.summary += [
            ("Task", task.name),
            ("Current due date", govuk_date(task.due_on) or "No due date"),
            ("New due date", govuk_date(new_due) if new_due else ""),
        ]
        action.summary.append(("Approved by", signed_in_user().label))
        _reason(action, True, "Enter the reason for the extension")
        action.extra["new_due"] = new_due

    def perform(action: Action) -> str:
        extension = extend_deadline(signed_in_user(), task.id, action.extra["new_due"], action.values["reason"])
        return (
            f"'{task.name}' is now due on {govuk_date(extension.new_due)}. "
            "Its reminder and escalation follow the new date."
        )

    return _run(action, read, perform)


# --- suspend, resume, cancel ----------------------------------------------------------------------


@monitoring.route("/cases/<id:instance_id>/suspend", methods=["GET", "POST"])
def suspend(instance_id: int) -> Any:
    row, _ = _case_and_task(instance_id, None)
    action = Action("suspend", f"Suspend case {row.business_key}", "Suspend case", row)

    def read(action: Action) -> None:
        _reason(action, False, "")

    def perform(action: Action) -> str:
        instance_service.suspend_instance(signed_in_user(), row.id, action.values["reason"])
        return f"Case {row.business_key} is suspended. Its tasks cannot be completed until it is resumed."

    return _run(action, read, perform)


@monitoring.route("/cases/<id:instance_id>/resume", methods=["GET", "POST"])
def resume(instance_id: int) -> Any:
    row, _ = _case_and_task(instance_id, None)
    action = Action("resume", f"Resume case {row.business_key}", "Resume case", row)

    def read(action: Action) -> None:
        action.summary.append(("Case", row.business_key))

    def perform(action: Action) -> str:
        instance_service.resume_instance(signed_in_user(), row.id)
        return f"Case {row.business_key} is running again."

    return _run(action, read, perform)


@monitoring.route("/cases/<id:instance_id>/cancel", methods=["GET", "POST"])
def cancel(instance_id: int) -> Any:
    row, _ = _case_and_task(instance_id, None)
    action = Action("cancel", f"Cancel case {row.business_key}", "Cancel case", row)

    def read(action: Action) -> None:
        _reason(action, True, "Enter the reason for cancelling the case")

    def perform(action: Action) -> str:
        instance_service.cancel_instance(signed_in_user(), row.id, action.values["reason"])
        return f"Case {row.business_key} is cancelled."

    return _run(action, read, perform)


# --- reopen publication ---------------------------------------------------------------------------


@monitoring.route("/cases/<int:instance_id>/reopen-publication", methods=["GET", "POST"])
def reopen_publication(instance_id: int) -> Any:
    row, _ = _case_and_task(instance_id, None)
    action = Action("reopen", f"Reopen the publication of case {row.business_key}", "Reopen publication", row)

    def read(action: Action) -> None:
        convicted_on, problem = read_date(request.form, "outcome_date")
        action.values.update({part: request.form.get(f"outcome_date-{part}", "") for part in ("day", "month", "year")})
        action.hidden += [(f"outcome_date-{part}", action.values[part]) for part in ("day", "month", "year")]
        if problem or convicted_on is None:
            action.errors["outcome_date"] = problem or "Enter the date of the conviction"
        elif convicted_on > london_today():
            action.errors["outcome_date"] = "The date of the conviction must not be in the future"
        action.summary += [
            ("Closed as", row.outcome or ""),
            ("Conviction", "Convicted of a serious further offence"),
            ("Date of the conviction", govuk_date(convicted_on) if convicted_on else ""),
            ("Recorded by", signed_in_user().label),
        ]
        _reason(action, True, "Enter the reason for reopening publication")
        action.extra["outcome_date"] = convicted_on

    def perform(action: Action) -> str:
        message_service.reopen_publication(
            signed_in_user(), row.id, action.extra["outcome_date"], action.values["reason"]
        )
        return f"Case {row.business_key} is open again: its report goes to the publication team."

    return _run(action, read, perform)


# --- retry after correcting data ------------------------------------------------------------------


def _as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


@monitoring.route("/cases/<id:instance_id>/retry", methods=["GET", "POST"])
def retry(instance_id: int) -> Any:
    row, _ = _case_and_task(instance_id, None)
    original = failing_data(row)
    fields = [
        {"key": key, "id": f"value-{index}", "text": _as_json(value)}
        for index, (key, value) in enumerate(sorted(original.items()))
    ]
    action = Action(
        "retry",
        f"Retry case {row.business_key}",
        "Retry",
        row,
        extra={"fields": fields, "element": row.error_element, "message": row.error_message},
    )

    def read(action: Action) -> None:
        corrections: dict[str, Any] = {}
        for item in fields:
            text = request.form.get(item["id"], item["text"])
            item["text"] = text
            action.hidden.append((item["id"], text))
            try:
                value = json.loads(text)
            except ValueError:
                action.errors[item["id"]] = (
                    f'{item["key"]}: enter a JSON value, for example "some text" in quotes, 12, true or null'
                )
                continue
            if value != original[item["key"]]:
                corrections[item["key"]] = value
                action.summary.append((item["key"], f"{_as_json(original[item['key']])} → {_as_json(value)}"))
        if not corrections:
            action.summary.append(("Data", "No changes: the element runs again with the same data"))
        action.summary.insert(0, ("Failing element", row.error_element or ""))
        action.extra["corrections"] = corrections

    def perform(action: Action) -> str:
        done = instance_service.retry_instance(signed_in_user(), row.id, action.extra["corrections"])
        if done.status == "error":
            return f"Case {row.business_key} was retried but is in error again: {done.error_message}"
        return f"Case {row.business_key} was retried and is {done.status} again."

    return _run(action, read, perform)
