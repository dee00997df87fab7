"""The service's own health: the worker's passes, and the figures ``/metrics`` reports."""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import OutboxMessage, ProcessInstance, Task, WorkerPass
from ..working_days import as_date
from .runtime import now, transaction
from .timers import TIMER_STATUSES

# Rows of workers that have not passed for this long are dropped (workers come and go with deploys).
FORGET_WORKERS_AFTER = dt.timedelta(days=7)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def record_worker_pass(succeeded: bool) -> None:
    """The end of one worker pass, in its own transaction: readiness and metrics read it."""
    moment = now()
    with transaction():
        row = db.session.get(WorkerPass, worker_name())
        if row is None:
            row = WorkerPass(worker=worker_name(), started_at=moment)
            db.session.add(row)
        if succeeded:
            row.last_pass_at = moment
        else:
            row.last_failure_at = moment
        gone = moment - FORGET_WORKERS_AFTER
        db.session.execute(
            delete(WorkerPass).where(func.coalesce(WorkerPass.last_pass_at, WorkerPass.started_at) < gone)
        )


def latest_worker_pass() -> dt.datetime | None:
    """When any worker last completed a pass; None if none ever did."""
    return db.session.scalar(select(func.max(WorkerPass.last_pass_at)))


@dataclass(frozen=True)
class ServiceFigures:
    cases: dict[tuple[str, ...], float]
    ready_tasks: dict[tuple[str, ...], float]
    overdue: dict[tuple[str, ...], float]
    timers_due: int
    timers_late: int
    outbox: dict[tuple[str, ...], float]
    outbox_due: int
    outbox_oldest_age: float
    worker_last_pass: dt.datetime | None


def service_figures(moment: dt.datetime, worker_interval: float) -> ServiceFigures:
    today = as_date(moment)  # in London, as deadlines are
    cases = db.session.execute(
        select(ProcessInstance.status, ProcessInstance.stage, func.count()).group_by(
            ProcessInstance.status, ProcessInstance.stage
        )
    )
    ready = select(Task.lane, func.count()).where(Task.state == "ready").group_by(Task.lane)
    overdue = ready.where(Task.due_on < today)
    timers = select(func.count()).where(
        ProcessInstance.next_timer_at.is_not(None), ProcessInstance.status.in_(TIMER_STATUSES)
    )
    late_after = dt.timedelta(seconds=2 * worker_interval)
    outbox_due = (OutboxMessage.status == "pending", OutboxMessage.deliver_after <= moment)
    outbox_by_status = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    oldest = db.session.scalar(select(func.min(OutboxMessage.deliver_after)).where(*outbox_due))
    return ServiceFigures(
        cases={(status, stage or "none"): n for status, stage, n in cases},
        ready_tasks={(lane or "none",): n for lane, n in db.session.execute(ready)},
        overdue={(lane or "none",): n for lane, n in db.session.execute(overdue)},
        timers_due=db.session.scalar(timers.where(ProcessInstance.next_timer_at <= moment)) or 0,
        timers_late=db.session.scalar(timers.where(ProcessInstance.next_timer_at <= moment - late_after)) or 0,
        outbox={(status,): n for status, n in db.session.execute(outbox_by_status)},
        outbox_due=db.session.scalar(select(func.count()).where(*outbox_due)) or 0,
        outbox_oldest_age=max(0.0, (moment - oldest).total_seconds()) if oldest else 0.0,
        worker_last_pass=latest_worker_pass(),
    )
