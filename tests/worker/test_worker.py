"""The worker: one pass fires due timers and delivers the outbox; the loop stops when told to."""

from __future__ import annotations

import datetime as dt
import logging
import threading

from sqlalchemy import select

from app import worker
from app.engine.runtime import Instance
from app.extensions import db
from app.models import AuditEvent, OutboxMessage, ProcessInstance
from app.services import instances, timers
from app.services.timers import fire_due_timers
from tests.conftest import make_user

REMINDER_DAY = dt.datetime(2027, 3, 2, 9, tzinfo=dt.UTC)  # one working day before triage is due
AFTER_DUE_DATE = dt.datetime(2027, 3, 4, 9, tzinfo=dt.UTC)


def _start(definition, provider, key="SFO-1"):
    return instances.start_case(provider, definition.key, key, {"provider_org": provider.organisation})


def _kinds(model, instance_id: int) -> list[str]:
    return list(db.session.scalars(select(model.kind).where(model.instance_id == instance_id).order_by(model.id)))


def _fresh(row: ProcessInstance) -> ProcessInstance:
    db.session.expire_all()
    return db.session.get(ProcessInstance, row.id)


def test_run_once_fires_due_timers_and_delivers_the_outbox(app, small_definition, clock):
    provider = make_user("provider")
    make_user("sfo-team")
    row = _start(small_definition, provider)

    assert worker.run_once(app) == (0, 1)  # the new task's notice; no timer due yet
    clock.set(REMINDER_DAY)
    assert worker.run_once(app) == (1, 1)  # the reminder fired and its message went out
    assert worker.run_once(app) == (0, 0)

    assert _kinds(OutboxMessage, row.id) == ["available", "reminder"]
    assert set(db.session.scalars(select(OutboxMessage.status))) == {"sent"}
    assert _kinds(AuditEvent, row.id).count("notification") == 1
    assert _fresh(row).next_timer_at == dt.datetime(2027, 3, 4, 0, 0, tzinfo=dt.UTC)  # the escalation


def test_a_suspended_case_timers_wait_until_it_is_resumed(app, small_definition, clock):
    provider, manager = make_user("provider"), make_user("manager")
    row = _start(small_definition, provider)
    instances.suspend_instance(manager, row.id, "Awaiting police disclosure")
    version = _fresh(row).lock_version

    clock.set(AFTER_DUE_DATE)
    assert fire_due_timers() == 0
    row = _fresh(row)
    assert (row.status, row.lock_version) == ("suspended", version)
    assert "reminder" not in _kinds(OutboxMessage, row.id)

    instances.resume_instance(manager, row.id)
    assert fire_due_timers() == 1
    assert _kinds(OutboxMessage, row.id).count("reminder") == 1
    assert {t.bpmn_id for t in instances.tasks_of(row, "ready")} == {"triage", "escalate"}


def test_a_timer_the_engine_does_not_consider_due_is_not_retried_in_a_loop(app, small_definition, monkeypatch):
    provider = make_user("provider")
    row = _start(small_definition, provider)
    stuck_at = row.created_at - dt.timedelta(hours=1)
    row.next_timer_at = stuck_at  # the index says due; the engine's own timers are a day away
    db.session.commit()
    monkeypatch.setattr(Instance, "next_timer_at", lambda self: stuck_at)
    moved = []
    original = timers.advance
    monkeypatch.setattr(timers, "advance", lambda row, *args: moved.append(row.id) or original(row, *args))

    assert fire_due_timers() == 0
    assert moved == [row.id]
    assert _kinds(OutboxMessage, row.id) == ["available"]


def test_a_failing_case_does_not_hold_up_the_other_due_timers(app, small_definition, clock, monkeypatch, caplog):
    provider = make_user("provider")
    rows = [_start(small_definition, provider, f"SFO-{n}") for n in range(3)]
    broken = rows[1]
    original = timers.advance

    def advance(row, *args):
        if row.id == broken.id:
            raise RuntimeError("simulated failure")
        return original(row, *args)

    monkeypatch.setattr(timers, "advance", advance)
    clock.set(REMINDER_DAY)

    assert fire_due_timers() == 2
    assert [_kinds(OutboxMessage, r.id).count("reminder") for r in rows] == [1, 0, 1]
    assert any(r.levelno == logging.ERROR and f"case {broken.id}" in r.getMessage() for r in caplog.records)

    monkeypatch.setattr(timers, "advance", original)
    assert fire_due_timers() == 1
    assert [_kinds(OutboxMessage, r.id).count("reminder") for r in rows] == [1, 1, 1]


def _run_in_thread(app, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=worker.run_forever, args=(app, stop), daemon=True)
    thread.start()
    return thread


def test_run_forever_stops_when_the_stop_event_is_set(app, small_definition, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="app")
    monkeypatch.setitem(app.config, "SFO_WORKER_INTERVAL", 3600.0)
    provider = make_user("provider")
    _start(small_definition, provider)
    passed = threading.Event()
    original = worker.run_once
    monkeypatch.setattr(worker, "run_once", lambda app: (original(app), passed.set())[0])
    stop = threading.Event()

    thread = _run_in_thread(app, stop)
    assert passed.wait(timeout=30)
    stop.set()  # what `sfo worker` does on SIGTERM; the hour-long wait between passes ends at once
    thread.join(timeout=30)

    assert not thread.is_alive()
    assert [m.status for m in db.session.scalars(select(OutboxMessage))] == ["sent"]
    assert caplog.records[-1].getMessage() == "worker stopped"


def test_run_forever_carries_on_after_a_failed_pass(app, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "SFO_WORKER_INTERVAL", 0.0)
    stop = threading.Event()
    calls = []

    def run_once(app):
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("database went away")
        stop.set()
        return 0, 0

    monkeypatch.setattr(worker, "run_once", run_once)
    thread = _run_in_thread(app, stop)
    thread.join(timeout=30)

    assert not thread.is_alive()
    assert calls == [0, 1]
    assert any(r.getMessage().startswith("worker pass failed") for r in caplog.records)
