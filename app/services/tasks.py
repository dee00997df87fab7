"""Human tasks: list, read, claim, release, assign, drafts and completion."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import aliased, contains_eager, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..engine import Form, Instance, TaskNotReady
from ..engine.definitions import uses_data_options
from ..extensions import db
from ..models import ProcessInstance, Task, TaskDraft, User
from .access import (
    MANAGING_ROLES,
    assignable_filter,
    check_may_work_on,
    check_task_visible,
    require_role,
    task_visibility,
    visible_tasks,
)
from .audit import record_event
from .errors import CaseNotWorkable, Conflict, Forbidden, Invalid
from .forms import prefill_copies, validate_form_data, with_fixed_rows
from .lessons import stored_themes_prefill, with_managed_options
from .notifications import queue_message
from .progress import advance, load, locked_task
from .publication import after_task_completed
from .publication_check import check_assignee, check_duties, check_submission
from .runtime import london_today, model_of_instance, now, transactional
from .task_data import task_values_over_case
from .users import get_user, takes_work_of, user_in_group


@dataclass(frozen=True)
class TaskFilters:
    assignee: str | None = None  # "me" or a username
    candidate: str | None = None  # "me": unclaimed tasks of my groups
    state: str = "ready"
    overdue: bool = False
    business_key: str | None = None
    process_instance_id: int | None = None
    stage: str | None = None
    completed_by: str | None = None  # "me" or a username
    workable: bool = False  # assigned to me, or unclaimed in my teams
    due_by: dt.date | None = None
    newest_due_first: bool = False
    search: str = ""  # part of a case reference, the person's name or the task's name
    sort: str = "due"  # one of SORTS
    page: int = 1
    per_page: int = 50


SORTS = ("due", "case", "stage", "received")


def _order(filters: TaskFilters) -> tuple[Any, ...]:
    due = Task.due_on.desc().nulls_last() if filters.newest_due_first else Task.due_on.asc().nulls_last()
    if filters.sort == "case":
        return (ProcessInstance.business_key, due)
    if filters.sort == "stage":
        return (Task.stage.asc().nulls_last(), due)
    if filters.sort == "received":
        return (Task.created_at.desc(),)
    if filters.state == "completed":
        return (Task.completed_at.desc(),)
    return (due, Task.created_at)


class TaskRow(NamedTuple):
    """One line of a task list: the task, and what lists show of its case. Read as plain columns: building
    a task and a case object for each of a page's 100 lines cost more than finding them."""

    id: str
    name: str
    bpmn_id: str
    lane: str | None
    stage: str | None
    instance_id: int
    business_key: str
    case_status: str
    assignee: str | None
    organisation: str | None
    due_on: dt.date | None
    state: str
    created_at: dt.datetime
    completed_by: str | None
    completed_at: dt.datetime | None
    done_before: bool = False  # read when asked for: the same step of the case was completed before

    @property
    def candidate_groups(self) -> list[str]:
        return [self.lane] if self.lane else []

    @property
    def returned(self) -> bool:
        """A step done before on the same case, come round again: a draft report after quality assurance
        returned it, a publication pack sent back."""
        return self.state == "ready" and bool(self.done_before)


_ROW_COLUMNS = (
    Task.id,
    Task.name,
    Task.bpmn_id,
    Task.lane,
    Task.stage,
    Task.instance_id,
    ProcessInstance.business_key,
    ProcessInstance.status,
    Task.assignee,
    Task.organisation,
    Task.due_on,
    Task.state,
    Task.created_at,
    Task.completed_by,
    Task.completed_at,
)


def _done_before() -> Any:
    """Whether the task's step was completed before on its case (an indexed look-up by case)."""
    earlier = aliased(Task)
    return (
        exists()
        .where(earlier.instance_id == Task.instance_id, earlier.bpmn_id == Task.bpmn_id, earlier.state == "completed")
        .label("done_before")
    )


def list_tasks(
    user: User,
    filters: TaskFilters,
    today: dt.date | None = None,
    total: int | None = None,
    *,
    with_returned: bool = False,
) -> tuple[list[TaskRow], int]:
    """A page of the tasks ``filters`` select, and how many there are (``total``, when the caller counted).
    ``with_returned``: each row also says whether it is ``returned`` (read in the same statement).

    A page shorter than a full one is the last: the tasks before it and on it are all there are, so they
    are counted only when the page is full or lies past the end."""
    on_task, on_case = _conditions(user, filters, today)
    skipped = (filters.page - 1) * filters.per_page
    page = (
        select(*_ROW_COLUMNS, *([_done_before()] if with_returned else []))
        .join(Task.instance)
        .where(*on_task, *on_case)
        .order_by(*_order(filters), Task.id)
        .limit(filters.per_page)
        .offset(skipped)
    )
    rows = [TaskRow._make(row if with_returned else (*row, False)) for row in db.session.execute(page)]
    if total is None:
        last_page = len(rows) < filters.per_page and (len(rows) > 0 or skipped == 0)
        total = skipped + len(rows) if last_page else count_tasks(user, filters, today)
    return rows, total


@transactional
def inbox_seen(user: User) -> None:
    """This visit to the inbox becomes the user's last: tasks that arrive after it are new."""
    user.inbox_seen_at = now()


def count_tasks(user: User, filters: TaskFilters, today: dt.date | None = None) -> int:
    return db.session.scalar(_count(user, filters, today)) or 0


ARRIVED = "arrived"  # count_each's name for the tasks that arrived since a moment


def count_each(
    user: User, lists: dict[str, TaskFilters], today: dt.date | None = None, arrived_since: dt.datetime | None = None
) -> dict[str, int]:
    """How many tasks each of several lists holds (the inbox's tabs), in one statement. With
    ``arrived_since``, also how many tasks the user can work on arrived after it (named ``ARRIVED``)."""
    counts = {name: _count(user, filters, today) for name, filters in lists.items()}
    if arrived_since is not None:
        counts[ARRIVED] = _count(user, TaskFilters(workable=True), None, Task.created_at > arrived_since)
    if not counts:
        return {}
    row = db.session.execute(select(*(count.scalar_subquery() for count in counts.values()))).one()
    return dict(zip(counts, row, strict=True))


def _count(user: User, filters: TaskFilters, today: dt.date | None, *more: Any) -> Any:
    """How many tasks ``filters`` selects that ``user`` may see; their cases are joined only when a
    condition needs them."""
    on_task, on_case = _conditions(user, filters, today)
    query = select(func.count()).select_from(Task)
    if on_case:
        query = query.join(Task.instance)
    return query.where(*on_task, *on_case, *more)


def _tasks_with_case() -> Any:
    """Tasks joined to their case once: the filters and the loaded ``task.instance`` share the join."""
    return select(Task).join(Task.instance).options(contains_eager(Task.instance))


def _conditions(user: User, filters: TaskFilters, today: dt.date | None) -> tuple[list[Any], list[Any]]:
    """The conditions that select the tasks ``filters`` asks for that ``user`` may see: on the task alone,
    and on its case."""
    me = user.username
    on_task, on_case = task_visibility(
        user,
        ready_only=filters.state == "ready",
        # a task completed by the user was held by them: completing one assigns it to whoever completes it,
        # and a task held by someone else cannot be completed (so "Completed by me" reads ``task`` alone)
        held_by_user=filters.assignee in ("me", me) or filters.completed_by in ("me", me),
    )
    on_task.append(Task.state == filters.state)
    if filters.assignee:
        on_task.append(Task.assignee == (me if filters.assignee == "me" else filters.assignee))
    if filters.candidate == "me":
        on_task.append(assignable_filter(user))
    if filters.overdue:
        on_task.append(Task.due_on < (today or london_today()))
    if filters.business_key:
        on_case.append(ProcessInstance.business_key == filters.business_key)
    if filters.process_instance_id:
        on_task.append(Task.instance_id == filters.process_instance_id)
    if filters.stage:
        on_task.append(Task.stage == filters.stage)
    if filters.completed_by:
        on_task.append(Task.completed_by == (me if filters.completed_by == "me" else filters.completed_by))
    if filters.workable:
        on_task.append((Task.assignee == me) | assignable_filter(user))
    if filters.due_by:
        on_task.append(Task.due_on <= filters.due_by)
    if filters.search:
        pattern = "%" + filters.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        on_case.append(
            ProcessInstance.business_key.ilike(pattern, escape="\\")
            | Task.name.ilike(pattern, escape="\\")
            | ProcessInstance.data["person_name"].as_string().ilike(pattern, escape="\\")
        )
    return on_task, on_case


def _with_case() -> list[Any]:
    """Load a task's case with the case's data and engine state (its form and starting values need both)."""
    load_case = joinedload(Task.instance)
    return [load_case.undefer(ProcessInstance.data), load_case.undefer(ProcessInstance.state)]


def get_task(user: User, task_id: str) -> Task:
    """The task with its case, the case's data and engine state."""
    return check_task_visible(user, db.session.get(Task, task_id, options=_with_case()))


def task_done_by(user: User, task_id: str) -> Task:
    """A task ``user`` completed, though they may no longer see its case (a manager gave them that one task
    of another reviewer's case): only for telling them it went in."""
    task = db.session.get(Task, task_id)
    if task is None or task.completed_by != user.username or task.instance.reduced_at is not None:
        return get_task(user, task_id)  # refused as it would be otherwise
    return task


def get_task_and_draft(user: User, task_id: str) -> tuple[Task, TaskDraft | None]:
    """The task with its case (as ``get_task``) and the caller's draft of it, or None, in one read."""
    mine = (TaskDraft.task_id == Task.id) & (TaskDraft.username == user.username)
    query = select(Task, TaskDraft).outerjoin(TaskDraft, mine).where(Task.id == task_id).options(*_with_case())
    task, draft = db.session.execute(query).first() or (None, None)
    return check_task_visible(user, task), draft


def form_of(task: Task) -> Form | None:
    return _facts_of(task).form


def documentation_of(task: Task) -> str:
    element = model_of_instance(task.instance).element(task.bpmn_id)
    return str(getattr(element, "documentation", None) or "")


def prefill_of(task: Task) -> dict[str, Any]:
    """Values the form starts with: the task's own data (a liaison task sees its own review, not the
    case-wide last one) for the form's fields, falling back to the case data. A ready task's themes field
    starts from the review's stored themes."""
    return _facts_of(task).prefill


@dataclass(frozen=True)
class _TaskFacts:
    """What a task's page, answer or completion reads of its form, computed once per state of the case:
    the form (with options from the task's data) and the values it starts with."""

    form: Form | None
    prefill: dict[str, Any]


def _facts_of(task: Task, running: Instance | None = None) -> _TaskFacts:
    """The task's facts, kept on the row until the task or its case changes (a new lock version, or new
    case data before the flush that counts it), so one request loads the engine and builds the form once.
    ``running`` is the case's engine instance when the caller has loaded it already."""
    instance = task.instance
    key = (task.state, instance.lock_version, instance.data)
    cached = task.__dict__.get("_sfo_facts")
    if cached is not None and cached[0] == key[:2] and cached[1] is key[2]:
        return cached[2]
    data = {**(instance.data or {}), **_engine_data_of(task, running)}
    model = model_of_instance(instance)
    element = model.element(task.bpmn_id)
    form = model.form_for(element) if element is not None else None
    if form is not None and uses_data_options(form.schema):  # options held in the task's data
        form = model.form_for(element, data)
    form = with_managed_options(form) if form is not None else None
    fields = set((form.schema.get("properties") or {}) if form else ())
    schema = form.schema if form else {}
    prefill = {
        **{k: v for k, v in data.items() if k in fields},
        **prefill_copies(schema, data),
        **(stored_themes_prefill(schema, instance) if task.state == "ready" else {}),
    }
    facts = _TaskFacts(form, prefill)
    task.__dict__["_sfo_facts"] = (key[:2], key[2], facts)
    return facts


def _engine_data_of(task: Task, running: Instance | None = None) -> dict[str, Any]:
    """The ready task's data, or the part of it that differs from the case data (which it is laid over)."""
    if task.state != "ready":
        return {}
    if running is None:
        return task_values_over_case(task, lambda: _engine_data_of(task, load(task.instance)))
    return next((h.data for h in running.ready_human_tasks() if h.id == task.id), {})


def shown_values(task: Task, values: dict[str, Any]) -> dict[str, Any]:
    """What the form shows: ``values`` (a draft, or the answers as posted) over the starting values, with
    the rows the process set (read-only parts, which are not posted) filled in."""
    facts = _facts_of(task)
    prefill, form = facts.prefill, facts.form
    shown = {**prefill, **values}
    if form is None:
        return shown
    merged, _ = with_fixed_rows(form.schema, form.ui_schema, prefill, shown)
    return merged if isinstance(merged, dict) else shown


def has_draft(task: Task) -> bool:
    """Whether the task's holder saved a draft of it."""
    return bool(task.assignee) and db.session.get(TaskDraft, (task.id, task.assignee)) is not None


def _open_task(user: User, task_id: str) -> Task:
    task = get_task(user, task_id)
    if task.state != "ready":
        raise Conflict("This task has already been completed or is no longer needed.")
    return task


def _locked_open_task(user: User, task_id: str) -> Task:
    """The task, read under its case's row lock (taken in the same order as a completion), so claims,
    releases, assignments and completions of one task queue instead of overwriting each other."""
    task = check_task_visible(user, locked_task(task_id))
    if task.state != "ready":
        raise Conflict("This task has already been completed or is no longer needed.")
    return task


def _set_assignee(task: Task, expected: str | None, assignee: str | None) -> None:
    """Compare-and-set: change the assignee only if the task is still ready and held by ``expected``.
    The lock makes this hold on PostgreSQL; the condition makes it hold where there are no row locks."""
    holder = Task.assignee.is_(None) if expected is None else Task.assignee == expected
    changed = db.session.execute(
        update(Task).where(Task.id == task.id, Task.state == "ready", holder).values(assignee=assignee),
        execution_options={"synchronize_session": False},
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        db.session.refresh(task)
        holder_now = f" by {task.assignee}" if task.assignee else ""
        raise Conflict(f"This task was changed{holder_now} at the same time. Reload it and try again.")
    set_committed_value(task, "assignee", assignee)  # already written: keep the session from writing it again


@transactional
def claim_task(user: User, task_id: str) -> Task:
    task = _locked_open_task(user, task_id)
    if task.assignee == user.username:
        return task
    if task.assignee:
        raise Conflict(f"This task has already been picked up by {task.assignee}.")
    check_may_work_on(user, task)
    check_duties(user, task)
    _set_assignee(task, None, user.username)
    record_event(
        task.instance, user.username, "task-claimed", f"{user.username} picked up '{task.name}'.", task_id=task.id
    )
    return task


@transactional
def release_task(user: User, task_id: str) -> Task:
    task = _locked_open_task(user, task_id)
    if task.assignee != user.username and user.role not in MANAGING_ROLES:
        raise Forbidden("You can only release a task assigned to you.")
    if task.lane == "reviewer":
        raise Conflict("Reviewer tasks stay with the allocated reviewer; a manager can reassign them.")
    previous = task.assignee
    _set_assignee(task, previous, None)
    record_event(
        task.instance,
        user.username,
        "task-released",
        f"'{task.name}' was released.",
        task_id=task.id,
        previous=previous,
    )
    return task


@transactional
def assign_task(user: User, task_id: str, username: str, *, make_case_reviewer: bool = False) -> Task:
    """Give the task to ``username``, with the draft its previous holder saved; for a reviewer's task,
    optionally make them the case's reviewer too, so later reviewer tasks go to them."""
    require_role(user, MANAGING_ROLES, "assign tasks")
    task = _locked_open_task(user, task_id)
    target = get_user(username) if username else None
    if target is None or not target.active:
        raise Invalid("There is no such user.", {"username": [f"There is no active user called '{username}'."]})
    if task.lane and not (target.in_group(task.lane) and takes_work_of(target, task.lane)):
        raise Invalid("That user cannot do this task.", {"username": [f"{username} is not in the {task.lane} team."]})
    if task.lane == "provider" and target.organisation != task.organisation:
        raise Invalid("That user cannot do this task.", {"username": [f"{username} works for another organisation."]})
    check_assignee(target.username, task)
    previous = task.assignee
    _set_assignee(task, previous, target.username)
    record_event(
        task.instance,
        user.username,
        "task-assigned",
        f"'{task.name}' assigned to {target.username}.",
        task_id=task.id,
        previous=previous,
        assignee=target.username,
    )
    _carry_draft(task, previous, target.username)
    if make_case_reviewer and task.lane == "reviewer":
        change_case_reviewer(user, task.instance, target.username, task)
    queue_message("assigned", task.instance, task)
    return task


def _carry_draft(task: Task, previous: str | None, assignee: str) -> None:
    """The previous holder's draft goes with the task, unless the new holder has one of their own."""
    draft = db.session.get(TaskDraft, (task.id, previous)) if previous else None
    if draft is None or db.session.get(TaskDraft, (task.id, assignee)) is not None:
        return
    db.session.add(TaskDraft(task_id=task.id, username=assignee, data=dict(draft.data), updated_at=draft.updated_at))
    db.session.delete(draft)
    record_event(
        task.instance,
        "system",
        "draft-carried",
        f"{previous}'s draft of '{task.name}' went to {assignee}.",
        task_id=task.id,
    )


def change_case_reviewer(user: User, instance: ProcessInstance, username: str, assigned: Task) -> None:
    """Make ``username`` the case's reviewer: the case data says so (later reviewer tasks go to them), and
    the case's other open reviewer tasks held by the previous reviewer move to them with their drafts."""
    previous = instance.reviewer
    if previous == username:
        return
    running = load(instance)

    def change(data: dict[str, Any]) -> dict[str, Any]:
        changed: dict[str, Any] = {"reviewer": username}
        owners = data.get("lane_owners")
        if isinstance(owners, dict):  # the diagram names lane owners: the previous reviewer's lanes move
            changed["lane_owners"] = {
                lane: [username] if people in (previous, [previous]) else people for lane, people in owners.items()
            }
        return changed

    # every open task, not only the ready ones: the loop of a multi-instance task carries its own copy to
    # the join, where it would bring the previous reviewer back for the tasks after it
    running.update_open_data(change)
    advance(instance, user.username, lambda _: None, running)
    instance.reviewer = username
    others = db.session.scalars(
        select(Task).where(
            Task.instance_id == instance.id,
            Task.state == "ready",
            Task.lane == "reviewer",
            Task.assignee == previous,
            Task.id != assigned.id,
        )
    )
    for task in list(others):
        _set_assignee(task, previous, username)
        _carry_draft(task, previous, username)
    record_event(
        instance,
        user.username,
        "reviewer-changed",
        f"{username} is now the reviewer of the case (was {previous or 'nobody'}).",
        previous=previous,
        reviewer=username,
    )


@transactional
def save_draft(user: User, task_id: str, data: Any) -> TaskDraft:
    # under the case's lock, as completions and assignments are: a draft written after the task was done or
    # given to someone else would be left on a closed task, or with a person who no longer holds it
    task = _locked_open_task(user, task_id)
    if task.assignee != user.username:
        raise Forbidden("Only the person the task is assigned to can save a draft. Pick up the task first.")
    if not isinstance(data, dict):
        raise Invalid("The draft must be an object.", {"data": ["Send the form fields as an object."]})
    draft = db.session.get(TaskDraft, (task.id, user.username))
    if draft is None:
        draft = TaskDraft(task_id=task.id, username=user.username, data=data, updated_at=now())
        db.session.add(draft)
    else:
        draft.data, draft.updated_at = data, now()
    return draft


@transactional
def complete_task(user: User, task_id: str, data: Any) -> ProcessInstance:
    task = _locked_open_task(user, task_id)
    check_may_work_on(user, task)
    check_duties(user, task)
    instance = task.instance
    if instance.status in ("suspended", "error", "cancelled", "completed"):
        raise CaseNotWorkable(instance.status)
    running = load(instance)  # once: for the task's own data and for the step itself
    facts = _facts_of(task, running)
    form = facts.form
    if form is None:  # instructions only (a user task without a form, a manual task): done is all it takes
        if data not in ({}, None):
            raise Invalid("This task has no form: send no answers.", {"data": ["Send an empty object."]})
        data, problems = {}, {}
    else:
        data, row_problems = with_fixed_rows(form.schema, form.ui_schema, facts.prefill, data)
        problems = {
            **check_submission(instance, form.schema, data),  # names left in text to publish
            **validate_form_data(form.schema, data, user_in_group),
            **row_problems,
        }
    if problems:
        raise Invalid("The form has errors.", problems)
    task.assignee = task.assignee or user.username
    task.state, task.completed_by, task.completed_at = "completed", user.username, now()
    # Always: whether a draft existed cannot be read with the task's lock. A draft saved while this request
    # waited for that lock was committed after the locking statement's snapshot, which it would not see.
    db.session.execute(delete(TaskDraft).where(TaskDraft.task_id == task.id))
    record_event(
        instance,
        user.username,
        "task-completed",
        f"{user.username} completed '{task.name}'.",
        task_id=task.id,
        data=data,
    )
    try:
        advance(instance, user.username, lambda engine: engine.complete_task(task.id, data), running)
    except TaskNotReady:  # done by someone else while this request waited for the case's lock
        raise Conflict("This task is no longer waiting to be done.") from None
    after_task_completed(instance, form.schema if form is not None else {}, data, user.username)
    return instance


def ready_tasks_for(user: User, instance: ProcessInstance) -> list[Task]:
    query = visible_tasks(user, _tasks_with_case())
    query = query.where(Task.instance_id == instance.id, Task.state == "ready").order_by(Task.created_at, Task.id)
    return list(db.session.scalars(query))
