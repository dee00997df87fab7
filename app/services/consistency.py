"""Checking the invariant on cases already stored: the worker's sweep and ``sfo check``.

Every engine step keeps the invariant (``progress.save``), but a case saved by older code, or stalled
by a defect since mended, would wait silently for ever. The worker sweeps the cases that look stalled
from the projection (open, no ready task, no timer) and runs them once more: a repaired case moves on,
a stalled one goes into error where monitoring shows it. ``sfo check`` reads every open case in full.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, func, select

from ..extensions import db
from ..models import AuditEvent, ProcessInstance, Task
from .errors import Conflict
from .progress import advance, load
from .runtime import transaction

log = logging.getLogger(__name__)
SWEPT_STATUSES = ("running", "waiting")
CHECKED_STATUSES = ("running", "waiting", "suspended")


@dataclass(frozen=True)
class CaseProblem:
    instance_id: int
    business_key: str
    problem: str


def _looks_stalled() -> ColumnElement[bool]:
    ready = exists().where(Task.instance_id == ProcessInstance.id, Task.state == "ready")
    return ProcessInstance.status.in_(SWEPT_STATUSES) & ProcessInstance.next_timer_at.is_(None) & ~ready


def _claim_next_candidate(after: int, up_to: int | None) -> ProcessInstance | None:
    query = (
        select(ProcessInstance)
        .where(_looks_stalled(), ProcessInstance.id > after, *([] if up_to is None else [ProcessInstance.id <= up_to]))
        .order_by(ProcessInstance.id)
        .limit(1)
        .with_for_update(skip_locked=True, key_share=True, of=ProcessInstance)
    )
    return db.session.scalar(query)


# The last case the previous pass checked, in this process. A case waiting only for a message looks stalled
# from the projection, and such cases can wait for months: a pass that always began at the first case would
# check the same ones each time and never reach a stalled case after them. So each pass goes on from where
# the previous one stopped, round to the first case and on up to where it began; a process with no previous
# pass (``sfo worker --once`` from a scheduler, a restarted worker) begins after a candidate picked at random.
_checked_last = 0
_starts = random.Random()  # noqa: S311 - spreads where passes begin; nothing secret


def _first_after() -> int:
    """Where this pass begins: after the last case checked, or after a candidate picked at random (a random
    id would favour the first candidates wherever ids are spread out, as sequences leave them)."""
    if _checked_last:
        return _checked_last
    candidates = select(ProcessInstance.id).where(_looks_stalled()).order_by(ProcessInstance.id)
    count = db.session.scalar(select(func.count()).select_from(candidates.subquery())) or 0
    if not count:
        return 0
    return db.session.scalar(candidates.offset(_starts.randrange(count)).limit(1)) or 0


def sweep_stalled_cases(limit: int = 200) -> int:
    """Run again each open case with nothing to wait for, checking at most ``limit`` cases that look so;
    return how many were found stalled.

    A case waiting only for a message also looks stalled from the projection; it is left untouched.
    """
    global _checked_last
    began = _first_after()
    found, checked, after, up_to = 0, 0, began, None
    while checked < limit:
        row = None
        try:
            with transaction():
                row = _claim_next_candidate(after, up_to)
                if row is not None:
                    after = _checked_last = row.id
                    instance = load(row)
                    if instance.is_stalled():
                        found += 1
                        advance(row, "system", lambda running: running.run(), instance)
                    checked += 1
        except Conflict:
            log.info("case %s changed while it was being checked; it will be checked on the next pass", after)
            checked += 1
            continue
        if row is None:
            if up_to is not None or began == 0:
                _checked_last = 0  # round every case: the next pass begins at the first
                return found
            after, up_to = 0, began  # from the first case up to where this pass began
    return found


def check_open_cases(batch: int = 200) -> Iterator[CaseProblem]:
    """Every open case that breaks the invariant or whose engine state, task rows and audit disagree."""
    after = 0
    while True:
        rows = list(
            db.session.scalars(
                select(ProcessInstance)
                .where(ProcessInstance.status.in_(CHECKED_STATUSES), ProcessInstance.id > after)
                .order_by(ProcessInstance.id)
                .limit(batch)
            )
        )
        if not rows:
            return
        for row in rows:
            for problem in problems_of(row):
                yield CaseProblem(row.id, row.business_key, problem)
        after = rows[-1].id
        db.session.expunge_all()


def problems_of(row: ProcessInstance) -> list[str]:
    """What is wrong with one stored case, in words a manager can act on (empty when nothing is)."""
    instance = load(row)
    problems: list[str] = []
    if instance.is_stalled():
        problems.append(f"nothing to wait for: no task for a person, no timer and no message (stage {row.stage})")
    engine_ready = {task.id for task in instance.ready_human_tasks()}
    ready_rows = set(db.session.scalars(select(Task.id).where(Task.instance_id == row.id, Task.state == "ready")))
    if engine_ready - ready_rows:
        problems.append(f"{len(engine_ready - ready_rows)} task(s) waiting in the engine have no task row")
    if ready_rows - engine_ready:
        problems.append(f"{len(ready_rows - engine_ready)} open task row(s) are not waiting in the engine")
    if row.status == "running" and not ready_rows or row.status == "waiting" and ready_rows:
        problems.append(f"its status '{row.status}' does not match its {len(ready_rows)} open task(s)")
    if row.next_timer_at != instance.next_timer_at():
        problems.append("its next timer in the case list differs from the engine's")
    problems.extend(_audit_problems(row))
    return problems


def _audit_problems(row: ProcessInstance) -> list[str]:
    tasks = db.session.execute(select(Task.id, Task.state).where(Task.instance_id == row.id)).all()
    events = db.session.execute(
        select(AuditEvent.task_id, AuditEvent.kind).where(
            AuditEvent.instance_id == row.id, AuditEvent.task_id.is_not(None)
        )
    ).all()
    created = {task_id for task_id, kind in events if kind == "task-created"}
    completed = {task_id for task_id, kind in events if kind == "task-completed"}
    problems = []
    unrecorded = [task_id for task_id, _ in tasks if task_id not in created]
    if unrecorded:
        problems.append(f"{len(unrecorded)} task(s) have no 'task created' entry in the audit trail")
    done_silently = [task_id for task_id, state in tasks if state == "completed" and task_id not in completed]
    if done_silently:
        problems.append(f"{len(done_silently)} completed task(s) have no 'task completed' entry in the audit trail")
    return problems
