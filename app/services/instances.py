"""Cases (process instances): start, read, list, suspend/resume/cancel/retry. Messages: ``messages``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import undefer

from ..engine import Instance
from ..engine.inspection import correct_failing_element_data
from ..extensions import db
from ..models import AuditEvent, ProcessDefinition, ProcessInstance, Task, User
from .access import (
    MANAGING_ROLES,
    STARTING_ROLES,
    check_instance_visible,
    check_may_start,
    require_role,
    visible_instances,
)
from .audit import record_event
from .case_providers import unknown_providers
from .definitions import model_of
from .errors import Conflict, Invalid, NotFound
from .forms import validate_form_data
from .messages import deliver_message  # noqa: F401 - kept here for callers of the earlier module
from .progress import advance, load, no_tasks_yet, tasks_after_step
from .runtime import london_today, now, runtime, transactional
from .users import user_in_group

STATUSES = ("running", "waiting", "suspended", "error", "completed", "cancelled")


@transactional
def start_case(user: User, process_key: str, business_key: str | None, data: dict[str, Any]) -> ProcessInstance:
    require_role(user, STARTING_ROLES, "start a case")
    data = _prepare_start_data(user, business_key, data)
    key = str(data.get("case_reference") or business_key or "")
    definition, reference_taken, new_id = _definition_for_new_case(process_key, key)
    model = model_of(definition)
    check_may_start(user, model)
    form = model.start_form()
    if form is not None:
        problems = validate_form_data(form.schema, data, user_in_group) or unknown_providers(data)
        if problems:
            raise Invalid("The notification has errors.", problems)
    check_case_reference(key)
    if reference_taken:
        raise Conflict(REFERENCE_TAKEN.format(key=key))
    row = ProcessInstance(
        id=new_id,
        definition_id=definition.id,
        definition=definition,
        process_key=definition.key,
        business_key=key,
        status="running",
        provider_org=data.get("provider_org"),
        created_by=user.username,
        created_at=now(),
        updated_at=now(),
        state="",
        data={},
    )
    db.session.add(row)
    try:
        if new_id is None:  # no sequence to draw the id from (SQLite): the row is inserted now, and again saved
            db.session.flush()
        no_tasks_yet(row)
        record_event(
            row,
            user.username,
            "started",
            f"Case {key} started on {definition.key} version {definition.version}.",
            version=definition.version,
            data=data,
        )
        advance(row, user.username, lambda instance: instance.run(), runtime().engine.new_instance(model, data))
    except IntegrityError as clash:  # started at the same moment under the same reference: the database decided
        if "business_key" not in str(clash.orig):
            raise
        raise Conflict(REFERENCE_TAKEN.format(key=key)) from None
    return row


def _definition_for_new_case(process_key: str, reference: str) -> tuple[ProcessDefinition, bool, int | None]:
    """The latest version of the process, whether a case has the reference already (in any process: pages,
    messages and people name a case by it alone), and on PostgreSQL the new case's id, drawn from its
    sequence, in one statement. With its id known, the case is inserted once, with its first step's outcome.
    """
    reference_taken = select(ProcessInstance.id).where(ProcessInstance.business_key == reference).exists()
    columns: list[Any] = [ProcessDefinition, reference_taken]
    if db.session.get_bind().dialect.name == "postgresql":
        columns.append(func.nextval(func.pg_get_serial_sequence(ProcessInstance.__tablename__, "id")))
    query = select(*columns).where(ProcessDefinition.key == process_key)
    found = db.session.execute(query.order_by(ProcessDefinition.version.desc()).limit(1)).one_or_none()
    if found is None:
        raise NotFound(f"There is no process called {process_key}.")
    return found[0], bool(found[1]), found[2] if len(found) > 2 else None


MAX_REFERENCE_LENGTH = 120
# The same answer whoever holds the reference: a provider must not learn that another organisation has
# notified a case under it (and a provider's own earlier case is on their Cases page anyway).
REFERENCE_TAKEN = (
    "The case reference {key} cannot be used for a new case. If you notified this case before, find it under "
    "Cases; otherwise check the reference, or ask the SFO team."
)


def check_case_reference(key: str) -> None:
    """References appear in page addresses and messages: printable text without '/', of a bounded length."""
    problem = None
    if not key.strip():
        problem = "Enter the case reference."
    elif len(key) > MAX_REFERENCE_LENGTH:
        problem = f"The case reference must be {MAX_REFERENCE_LENGTH} characters or fewer."
    elif not key.isprintable() or "/" in key or "\\" in key or key != key.strip():
        problem = "Use letters, numbers, spaces and punctuation other than / and \\ (no spaces at either end)."
    if problem:
        raise Invalid("The case reference cannot be used.", {"case_reference": [problem]})


def _prepare_start_data(user: User, business_key: str | None, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Invalid("The case data must be an object.", {"data": ["Send the notification fields as an object."]})
    data = dict(data)
    if business_key:
        if data.get("case_reference") not in (None, business_key):
            raise Invalid(
                "The business key and case reference differ.",
                {"case_reference": ["The case reference must match the business key."]},
            )
        data["case_reference"] = business_key
    if user.is_provider:
        if data.get("provider_org") not in (None, user.organisation):
            raise Invalid(
                "You can only notify cases for your own organisation.",
                {"provider_org": [f"Your organisation is {user.organisation}."]},
            )
        data["provider_org"] = user.organisation
    return data


def get_instance(user: User, instance_id: int) -> ProcessInstance:
    """The case with its data (every reader of one case reads it: one statement instead of two)."""
    row = db.session.get(ProcessInstance, instance_id, options=[undefer(ProcessInstance.data)])
    return check_instance_visible(user, row)


def get_instance_by_key(user: User, business_key: str) -> ProcessInstance:
    """The case with this reference (unique across processes: the database holds to it)."""
    query = visible_instances(user, select(ProcessInstance).where(ProcessInstance.business_key == business_key))
    return check_instance_visible(user, db.session.scalar(query))


@dataclass(frozen=True)
class InstanceFilters:
    process_key: str | None = None
    business_key: str | None = None
    status: str | None = None
    stage: str | None = None
    assignee: str | None = None
    overdue: bool = False
    page: int = 1
    per_page: int = 25


def list_instances(
    user: User, filters: InstanceFilters, today: dt.date | None = None
) -> tuple[list[ProcessInstance], int]:
    query = visible_instances(user, select(ProcessInstance))
    if filters.process_key:
        query = query.where(ProcessInstance.process_key == filters.process_key)
    if filters.business_key:
        query = query.where(ProcessInstance.business_key == filters.business_key)
    if filters.status:
        query = query.where(ProcessInstance.status == filters.status)
    if filters.stage:
        query = query.where(ProcessInstance.stage == filters.stage)
    if filters.assignee or filters.overdue:
        tasks = select(Task.instance_id).where(Task.state == "ready")
        if filters.assignee:
            tasks = tasks.where(Task.assignee == (user.username if filters.assignee == "me" else filters.assignee))
        if filters.overdue:
            tasks = tasks.where(Task.due_on < (today or london_today()))
        query = query.where(ProcessInstance.id.in_(tasks))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = query.order_by(ProcessInstance.updated_at.desc(), ProcessInstance.id.desc())
    page = page.limit(filters.per_page).offset((filters.page - 1) * filters.per_page)
    return list(db.session.scalars(page)), total


def tasks_of(instance: ProcessInstance, *states: str) -> list[Task]:
    """The case's tasks in those states, oldest first (as the step that just ran left them, if one did)."""
    stepped = tasks_after_step(instance)
    if stepped is not None:
        rows = [task for task in stepped if task.state in states]
        return sorted(rows, key=lambda task: (task.created_at, task.id))
    query = select(Task).where(Task.instance_id == instance.id, Task.state.in_(states))
    return list(db.session.scalars(query.order_by(Task.created_at, Task.id)))


def visible_data(user: User, instance: ProcessInstance) -> dict[str, Any]:
    """Case data for the caller: providers see the notification and their own answers only. A field is
    kept as those forms ask it: the items of a list of objects keep only the fields its rows have there
    (another team may keep more in the same list: the reviewer's liaison records in ``other_reviews``)."""
    data = dict(instance.data or {})
    if not user.is_provider:
        return data
    model = model_of(instance.definition)
    forms = [model.start_form()]
    forms += [model.form_for(spec) for spec in model.all_task_specs() if getattr(spec, "lane", None) == "provider"]
    allowed: dict[str, set[str] | None] = {}  # field -> the fields its rows keep (None: the value as it is)
    for form in forms:
        for name, spec in ((form.schema.get("properties") or {}) if form is not None else {}).items():
            rows, kept = _row_fields(spec), allowed.get(name, set())
            allowed[name] = None if rows is None or kept is None else kept | rows
    return {k: _as_asked(v, allowed[k]) for k, v in data.items() if k in allowed}


def _row_fields(spec: Any) -> set[str] | None:
    """The fields of a list-of-objects field's rows, or None for any other field."""
    items = spec.get("items") if isinstance(spec, dict) and spec.get("type") == "array" else None
    properties = items.get("properties") if isinstance(items, dict) else None
    return set(properties) if isinstance(properties, dict) and properties else None


def _as_asked(value: Any, row_fields: set[str] | None) -> Any:
    if row_fields is None or not isinstance(value, list):
        return value
    return [{k: v for k, v in row.items() if k in row_fields} if isinstance(row, dict) else row for row in value]


def _managed_instance(user: User, instance_id: int, action: str) -> ProcessInstance:
    require_role(user, MANAGING_ROLES, action)
    return get_instance(user, instance_id)


@transactional
def suspend_instance(user: User, instance_id: int, reason: str = "") -> ProcessInstance:
    row = _managed_instance(user, instance_id, "suspend cases")
    if row.status not in ("running", "waiting"):
        raise Conflict(f"Only a running case can be suspended; this one is {row.status}.")
    row.status = "suspended"
    row.updated_at = now()
    record_event(row, user.username, "suspended", f"Suspended. {reason}".strip(), reason=reason)
    return row


def suspension_reason(row: ProcessInstance) -> str:
    """The reason given when the case was last suspended ("" if none was given)."""
    event = db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.instance_id == row.id, AuditEvent.kind == "suspended")
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(1)
    )
    return str(((event.detail if event else None) or {}).get("reason") or "")


@transactional
def resume_instance(user: User, instance_id: int) -> ProcessInstance:
    row = _managed_instance(user, instance_id, "resume cases")
    if row.status != "suspended":
        raise Conflict("Only a suspended case can be resumed.")
    instance = load(row)
    row.status = "running" if instance.ready_human_tasks() else "waiting"
    row.updated_at = now()
    record_event(row, user.username, "resumed", "Resumed.")
    return row


@transactional
def cancel_instance(user: User, instance_id: int, reason: str) -> ProcessInstance:
    row = _managed_instance(user, instance_id, "cancel cases")
    if not reason or not reason.strip():
        raise Invalid("Give a reason for cancelling.", {"reason": ["Enter the reason for cancelling the case."]})
    if row.status in ("completed", "cancelled"):
        raise Conflict(f"The case is already {row.status}.")
    instance = load(row)
    instance.cancel()
    row.state = runtime().engine.dump(instance)
    row.status = "cancelled"
    row.next_timer_at = None
    row.updated_at = now()
    for task in tasks_of(row, "ready"):
        task.state, task.completed_at = "cancelled", now()
    record_event(row, user.username, "cancelled", f"Cancelled: {reason.strip()}", reason=reason.strip())
    return row


@transactional
def retry_instance(user: User, instance_id: int, corrections: dict[str, Any] | None = None) -> ProcessInstance:
    """Run the failing element again, after replacing the given values in its data (if any)."""
    row = _managed_instance(user, instance_id, "retry cases")
    if row.status != "error":
        raise Conflict("Only a case in error can be retried.")
    corrections = dict(corrections or {})
    if corrections:
        record_event(
            row,
            user.username,
            "data-corrected",
            f"Corrected {', '.join(sorted(corrections))} for {row.error_element}.",
            element=row.error_element,
            changes=corrections,
        )
    record_event(row, user.username, "retried", f"Retried {row.error_element}.", element=row.error_element)

    def retry(instance: Instance) -> None:
        if corrections:
            correct_failing_element_data(instance, corrections)
        instance.retry()

    advance(row, user.username, retry, retrying=True)
    return row
