"""Firing due timers: the worker's main job.

Each due instance is claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` (on PostgreSQL) inside its own
transaction, so any number of workers can run side by side and each timer fires once. SQLite has no
row locks; there the lock version still turns a double firing into a conflict that is skipped.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from ..extensions import db
from ..models import ProcessInstance
from ..telemetry.logs import log_context
from .errors import Conflict
from .progress import advance
from .runtime import now, transaction

log = logging.getLogger(__name__)
TIMER_STATUSES = ("running", "waiting")


def _claim_next_due(skipped: set[int]) -> ProcessInstance | None:
    query = (
        select(ProcessInstance)
        .where(ProcessInstance.next_timer_at <= now(), ProcessInstance.status.in_(TIMER_STATUSES))
        .where(ProcessInstance.id.not_in(skipped))
        .order_by(ProcessInstance.next_timer_at)
        .limit(1)
        # FOR NO KEY UPDATE: the lock an UPDATE takes anyway; inserts that reference the case need not wait.
        .with_for_update(skip_locked=True, key_share=True, of=ProcessInstance)
    )
    return db.session.scalar(query)


def fire_due_timers(limit: int = 500) -> int:
    """Fire every timer due now (up to ``limit`` instances); return how many instances moved.

    An instance that cannot be moved (a concurrent change, or an unexpected failure) is rolled back
    and left for the next pass, so it never holds up the other due instances.
    """
    fired = 0
    skipped: set[int] = set()
    for _ in range(limit):
        claimed: int | None = None
        with log_context() as case_log:
            try:
                with transaction():
                    row = _claim_next_due(skipped)
                    if row is None:
                        return fired
                    claimed, due = row.id, row.next_timer_at
                    case_log.follow(row.request_id, row.id)  # its lines carry the request that set the timer
                    advance(row, "system", lambda instance: instance.fire_due_timers())
                    if row.next_timer_at == due and row.status in TIMER_STATUSES:
                        # The engine did not consider it due (clock skew, suspended branch): do not spin on it.
                        skipped.add(row.id)
                    else:
                        fired += 1
                        log.info("timers fired on case %s", claimed)
            except Exception as error:
                if claimed is None:
                    raise
                if isinstance(error, Conflict):
                    log.info("case %s changed concurrently; its timers will be retried on the next pass", claimed)
                else:
                    log.exception("firing the timers of case %s failed; it will be retried on the next pass", claimed)
                skipped.add(claimed)
    return fired
