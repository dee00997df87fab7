"""The background worker: fires due timers, produces the quarterly lessons digest, delivers the notification
outbox (and asks GOV.UK Notify what became of its emails) and runs dry-run jobs."""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from ..services.consistency import sweep_stalled_cases
from ..services.digests import produce_due_digest
from ..services.idempotency import purge_expired_keys
from ..services.notify import poll_delivery_statuses
from ..services.operations import record_worker_pass
from ..services.outbox import deliver_outbox
from ..services.timers import fire_due_timers
from .dry_runs import DryRunPool

log = logging.getLogger(__name__)


def run_once(app: Flask) -> tuple[int, int]:
    """One pass: (instances whose timers fired, messages sent). Stalled cases found on the way are put
    in error (where monitoring shows them) and logged. Its end is recorded for /readyz and /metrics."""
    with app.app_context():
        try:
            fired = fire_due_timers()
            stalled = sweep_stalled_cases()
            if stalled:
                log.warning("%d open case(s) had nothing to wait for; each was run again or put in error", stalled)
            sent = deliver_outbox()
            produce_due_digest()  # after sending: its minute of rendering, once a quarter, delays no notice
            poll_delivery_statuses()
            purge_expired_keys()
        except Exception:
            record_worker_pass(succeeded=False)
            raise
        record_worker_pass(succeeded=True)
        return fired, sent


def run_forever(app: Flask, stop: threading.Event) -> None:
    """Timers and the outbox every SFO_WORKER_INTERVAL seconds; dry-run jobs polled every
    SFO_DRY_RUN_POLL_SECONDS in between (they run in child processes, so a pass never waits for one)."""
    interval = app.config["SFO_WORKER_INTERVAL"]
    tick = min(interval, app.config["SFO_DRY_RUN_POLL_SECONDS"])
    dry_runs = DryRunPool(app)
    log.info("worker started; polling every %.0f s", interval)
    next_pass = 0.0
    try:
        while not stop.is_set():
            _poll_dry_runs(dry_runs)
            if time.monotonic() >= next_pass:
                _pass(app)
                next_pass = time.monotonic() + interval
            stop.wait(tick)
    finally:
        dry_runs.shutdown()
    log.info("worker stopped")


def _pass(app: Flask) -> None:
    try:
        fired, sent = run_once(app)
        if fired or sent:
            log.info("worker pass: %d instance(s) moved by timers, %d notification(s) sent", fired, sent)
    except Exception:
        log.exception("worker pass failed; retrying after the interval")


def _poll_dry_runs(dry_runs: DryRunPool) -> None:
    try:
        dry_runs.poll()
    except Exception:
        log.exception("dry-run jobs could not be polled; retrying shortly")


def run_dry_runs_once(app: Flask) -> int:
    """Run the queued dry-run jobs to their end (``sfo worker --once``); how many ended."""
    pool = DryRunPool(app)
    pool.run_until_idle()
    return pool.settled


def start_embedded_worker(app: Flask) -> threading.Event:
    """Run the worker in a daemon thread of this process (the single-machine default)."""
    stop = threading.Event()
    threading.Thread(target=run_forever, args=(app, stop), name="sfo-worker", daemon=True).start()
    return stop
