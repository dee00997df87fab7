"""Running an instance one step and writing everything that step changed.

``advance`` loads the engine instance from its row, applies one action, then writes the instance
state, its task projection, audit events and outbox rows. The caller's transaction commits them
together; the row's lock version turns a concurrent change into a conflict.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, lazyload

from ..engine import HumanTask, Instance, ProcessError
from ..engine.definitions import INITIATOR_LANE, lane_key
from ..engine.runtime import STAGES
from ..engine.sandbox import acting_user
from ..extensions import db
from ..models import ProcessInstance, Task
from .audit import record_event
from .case_providers import is_provider_of, sync_case_providers
from .errors import StepAbandoned
from .notifications import notice_kind_for_new_task, queue_message
from .runtime import now, runtime

T = TypeVar("T")
CASE_GONE = "The case no longer exists: it was removed under the retention policy."


def lock_instance(instance_id: int) -> bool:
    """Take the case's row lock before touching its tasks, in the same order as the worker does,
    so a person and a worker on one case queue instead of deadlocking (no lock on SQLite).

    Whether the case is still there once the lock is held: retention may have deleted it, or reduced it to
    statistics, while this request waited (PostgreSQL reads the row again after the wait), and a request
    that goes on regardless writes to a case that no longer exists."""
    query = (
        select(ProcessInstance.id)
        .where(ProcessInstance.id == instance_id, ProcessInstance.reduced_at.is_(None))
        .with_for_update(key_share=True)
    )
    return db.session.scalar(query) is not None


def locked_task(task_id: str) -> Task | None:
    """The task with its case (state and data included) in one statement that locks both rows, the case
    first, as ``lock_instance`` and the worker do, so people and the worker queue on a case in one order.

    Locking the task row too is what makes it current: a request that waited reads both rows as the one
    before it left them (PostgreSQL re-reads locked rows, not the others of the statement's snapshot)."""
    query = (
        select(Task)
        .select_from(ProcessInstance)
        .join(Task, Task.instance_id == ProcessInstance.id)
        .options(
            contains_eager(Task.instance).undefer(ProcessInstance.state),
            contains_eager(Task.instance).undefer(ProcessInstance.data),
        )
        .where(Task.id == task_id)
        .with_for_update(key_share=True, of=[ProcessInstance, Task])
        .execution_options(populate_existing=True)
    )
    return db.session.scalar(query)


def load(row: ProcessInstance) -> Instance:
    return runtime().engine.load(runtime().model_for(row.definition), row.state)


def advance(
    row: ProcessInstance,
    actor: str,
    action: Callable[[Instance], T],
    instance: Instance | None = None,
    *,
    retrying: bool = False,
) -> T | None:
    """Apply ``action`` to the instance (loaded from the row unless given) and save the outcome;
    diagram errors put the case in error rather than failing the request. Only a ``retrying`` step that
    succeeds takes a case out of error (see ``save``)."""
    instance = instance or load(row)
    try:
        with acting_user(actor):
            result = action(instance)
    except ProcessError as error:
        if not error.state_usable:
            raise StepAbandoned(row.id, error.element_id, error.message) from None
        save(row, instance, actor, error)
        return None
    save(row, instance, actor, retrying=retrying)
    return result


def save(
    row: ProcessInstance, instance: Instance, actor: str, error: ProcessError | None = None, *, retrying: bool = False
) -> list[Task]:
    """Write the engine's state into the row, the task projection, the audit trail and the outbox.

    A case in error stays in error, with its reason, until a ``retrying`` step succeeds: the error of a step
    cut short is kept in the row alone (the engine's state is as before that step), so another save of the
    case (a move to a new version, a change of reviewer) must not read the clean state as mended."""
    data = instance.data()
    instance.compact()
    known_tasks = tasks_after_step(row)  # the rows as the previous step of this session left them, if any
    row.state = runtime().engine.dump(instance)
    sync_case_providers(row, data)  # before the data is replaced: the rows match the data saved before
    row.data = data
    row.provider_org = data.get("provider_org") or row.provider_org
    row.reviewer = data.get("reviewer") or row.reviewer
    row.next_timer_at = instance.next_timer_at()
    row.updated_at = now()
    ready = instance.ready_human_tasks()
    error = error or _stall_of(row, instance)
    _set_status(row, instance, ready, error, retrying)
    if error is not None:
        record_event(row, actor, "error", f"{error.element_id} failed: {error.message}", element=error.element_id)
    new_tasks = sync_tasks(row, ready, data, known_tasks)
    for notification in instance.notifications:
        _queue_notification(row, notification.kind, notification.task_bpmn_id, tasks_after_step(row) or [])
    for printed in instance.printed:  # the task's log; providers see the summary only, as for any event
        lines = len(printed.text.splitlines())
        summary = f"'{printed.task_name}' printed {lines} line{'s' if lines != 1 else ''}."
        record_event(row, actor, "script-printed", summary, element=printed.task_bpmn_id, printed=printed.text)
    if row.status == "completed":
        record_event(row, actor, "completed", f"The case closed: {row.outcome or 'completed'}.", outcome=row.outcome)
    db.session.flush()  # the step's writes together, so what answers for the case shows its new lock version
    return new_tasks


def _stall_of(row: ProcessInstance, instance: Instance) -> ProcessError | None:
    """The invariant every step must keep: an open case waits for a person, a timer or a message.

    A step that leaves none of them would leave the case silently stuck; it is put in error instead,
    where monitoring shows it and a manager can retry it once the cause is mended.
    """
    if not instance.is_stalled():
        return None
    stage = (row.stage or "the start").replace("-", " ")
    return ProcessError(
        instance.stall_point(),
        f"Stalled after {stage}: nothing is waiting for a person, a timer or a message.",
    )


def _set_status(
    row: ProcessInstance, instance: Instance, ready: list[HumanTask], error: ProcessError | None, retrying: bool
) -> None:
    if error is not None or instance.errors():
        row.status = "error"
        failing = instance.errors()
        row.error_element = error.element_id if error else failing[0][0]
        row.error_message = error.message if error else (row.error_message or "An element is in error.")
        return
    if row.status == "error" and not retrying:
        return
    row.error_element = row.error_message = None
    if instance.is_completed:
        row.status, row.stage, row.outcome = "completed", "closure", instance.outcome()
        return
    if row.status != "suspended":
        row.status = "running" if ready else "waiting"
    stages = [s for s in instance.active_stages() if s in STAGES]
    row.stage = max(stages, key=STAGES.index) if stages else row.stage


def sync_tasks(
    row: ProcessInstance, ready: list[HumanTask], data: dict[str, Any], known: list[Task] | None = None
) -> list[Task]:
    """Bring the task projection in line with the engine's ready human tasks; return new rows. ``known``
    are the case's task rows when this session has them already (a new case has none)."""
    if known is None:
        with db.session.no_autoflush:  # the step's writes go in one flush, at the commit
            # without the case joined to every row: it is loaded, and ``task.instance`` finds it in the session
            query = select(Task).where(Task.instance_id == row.id).options(lazyload(Task.instance))
            known = list(db.session.scalars(query))
    rows = list(known)
    open_rows = {t.id: t for t in rows if t.state == "ready"}
    ready_ids = {t.id for t in ready}
    for task_id, task in open_rows.items():
        if task_id not in ready_ids:
            task.state = "cancelled"
            task.completed_at = now()
    created = []
    for human in ready:
        existing = open_rows.get(human.id)
        if existing is not None:
            existing.due_on = _due_on(human)
            continue
        task = _new_task_row(row, human, data)
        db.session.add(task)
        created.append(task)
        rows.append(task)
    row.__dict__["_sfo_tasks"] = (row.state, rows)  # for a response about this step: see ``tasks_after_step``
    for task in created:
        queue_message(notice_kind_for_new_task(task), row, task)
        record_event(
            row,
            "system",
            "task-created",
            f"'{task.name}' is ready.",
            task_id=task.id,
            lane=task.lane,
            assignee=task.assignee,
        )
    return created


def tasks_after_step(row: ProcessInstance) -> list[Task] | None:
    """The case's task rows as the step just saved left them (``sync_tasks`` read and wrote them), or None
    when the row has changed since (a later step) or was not stepped in this session."""
    saved = row.__dict__.get("_sfo_tasks")
    if saved is None or "state" not in row.__dict__ or saved[0] is not row.__dict__["state"]:
        return None
    return list(saved[1])


def no_tasks_yet(row: ProcessInstance) -> None:
    """Say that a case made in this session has no task rows, so its first step need not look for them."""
    row.__dict__["_sfo_tasks"] = (row.__dict__["state"], [])


def _new_task_row(row: ProcessInstance, human: HumanTask, data: dict[str, Any]) -> Task:
    assignee = named_owner(row, human, data)
    return Task(
        id=human.id,
        instance_id=row.id,
        bpmn_id=human.bpmn_id,
        name=task_title(human),
        lane=human.lane,
        stage=human.stage,
        assignee=assignee or None,
        organisation=task_organisation(row, human),
        due_on=_due_on(human),
        state="ready",
        created_at=now(),
    )


def task_organisation(row: ProcessInstance, human: HumanTask) -> str | None:
    """The provider organisation a task is for: the case's provider, or, for a task whose
    ``organisation`` property names a variable (each instance of the multi-instance provider response
    names its provider), that variable's value when it is one of the case's providers."""
    variable = human.properties.get("organisation")
    if not isinstance(variable, str) or not variable or variable not in human.data:
        return row.provider_org
    value = human.data[variable]
    # never another organisation's: a name that is not one of the case's providers leaves the task with
    # no provider (its deadline escalates it to a manager)
    return value if isinstance(value, str) and is_provider_of(row, value) else None


def named_owner(row: ProcessInstance, human: HumanTask, data: dict[str, Any]) -> str | None:
    """The person a new task goes to, as the diagram says (SpiffArena's way): a task in the Process
    Initiator lane goes to whoever started the case; otherwise ``lane_owners``, a variable the diagram
    sets to {lane name: [username]}, names the owner of its lane's tasks. A list of several names leaves
    the task with the lane's group. Versions deployed before diagrams set ``lane_owners`` gave reviewer
    tasks to the allocated ``reviewer``; those versions still do."""
    if human.lane == INITIATOR_LANE:
        return row.created_by
    owners = human.data.get("lane_owners", data.get("lane_owners"))
    if owners is None:
        return str(data["reviewer"]) if human.lane == "reviewer" and data.get("reviewer") else None
    if not isinstance(owners, dict) or human.lane is None:
        return None
    resolver = runtime().model_for(row.definition).lanes
    for lane, people in owners.items():
        if not isinstance(lane, str) or resolver.get(lane_key(lane), lane) != human.lane:
            continue
        people = [people] if isinstance(people, str) else people
        if isinstance(people, list) and len(people) == 1 and isinstance(people[0], str) and people[0]:
            return people[0][:80]
    return None


def task_title(human: HumanTask) -> str:
    """The task's name; with an ``itemLabel`` property (a data path such as ``review.agency``), a
    multi-instance task names the item it is about."""
    label: Any = human.data
    for part in (human.properties.get("itemLabel") or "").split("."):
        label = label.get(part) if isinstance(label, dict) and part else None
    return (f"{human.name}: {label}" if isinstance(label, str) and label else human.name)[:250]


def _due_on(human: HumanTask) -> dt.date | None:
    if not human.due_date:
        return None
    try:
        return dt.date.fromisoformat(human.due_date[:10])
    except ValueError:
        return None


def _queue_notification(row: ProcessInstance, kind: str, target: str, tasks: list[Task]) -> None:
    """``tasks``: the case's task rows as ``sync_tasks`` left them (all of them, read or made by this step)."""
    rows = sorted((task for task in tasks if task.bpmn_id == target), key=lambda task: task.created_at)
    held = [task for task in rows if task.state == "ready"]
    task = rows[-1] if rows else None
    if held:  # each instance of a multi-instance task (each provider's response) is held by someone
        for each in held:
            queue_message(kind, row, each)
    elif target in ("provider", "sfo-team", "reviewer", "quality-assurer", "publication", "manager"):
        queue_message(kind, row, None, recipient=f"group:{target}")
    else:
        queue_message(kind, row, None, recipient=task.completed_by if task and task.completed_by else "group:sfo-team")
    record_event(row, "system", "notification", f"Notification '{kind}' queued.", target=target)
