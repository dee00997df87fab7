"""The background worker: fires due timers and delivers the notification outbox."""

from __future__ import annotations

import logging
import threading

from flask import Flask

from ..services.consistency import sweep_stalled_cases
from ..services.idempotency import purge_expired_keys
from ..services.outbox import deliver_outbox
from ..services.timers import fire_due_timers

log = logging.getLogger(__name__)


def run_once(app: Flask) -> tuple[int, int]:
    """One pass: (instances whose timers fired, messages sent). Stalled cases found on the way are put
    in error (where monitoring shows them) and logged."""
    with app.app_context():
        fired = fire_due_timers()
        stalled = sweep_stalled_cases()
        if stalled:
            log.warning("%d open case(s) had nothing to wait for; each was run again or put in error", stalled)
        sent = deliver_outbox()
        purge_expired_keys()
        return fired, sent


def run_forever(app: Flask, stop: threading.Event) -> None:
    interval = app.config["SFO_WORKER_INTERVAL"]
    log.info("worker started; polling every %.0f s", interval)
    while not stop.is_set():
        try:
            fired, sent = run_once(app)
            if fired or sent:
                log.info("worker pass: %d instance(s) moved by timers, %d notification(s) sent", fired, sent)
        except Exception:
            log.exception("worker pass failed; retrying after the interval")
        stop.wait(interval)
    log.info("worker stopped")


def start_embedded_worker(app: Flask) -> threading.Event:
    """Run the worker in a daemon thread of this process (the single-machine default)."""
    stop = threading.Event()
    threading.Thread(target=run_forever, args=(app, stop), name="sfo-worker", daemon=True).start()
    return stop
