"""Running at scale: concurrent use cases on one database, and a step that fails halfway changes nothing.

The races run on PostgreSQL only (set TEST_DATABASE_URL). Each party is a thread with its own app
context, so its own session and connection; a barrier holds them at the point where the race is
decided, so both really are in flight together rather than one after the other.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, OutboxMessage, ProcessInstance, Task, TaskDraft
from app.services import instances, outbox, progress, tasks, timers
from app.services.definitions import deploy_files, read_library
from app.services.errors import Conflict
from app.services.timers import fire_due_timers
from app.services.users import get_user
from tests.conftest import DATA, make_user

REMINDER_DAY = dt.datetime(2027, 3, 2, 9, tzinfo=dt.UTC)
AFTER_DUE_DATE = dt.datetime(2027, 3, 4, 9, tzinfo=dt.UTC)


def _start(definition, provider, key="SFO-1"):
    return instances.start_case(provider, definition.key, key, {"provider_org": provider.organisation})


def _run_together(app, jobs: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    """Run each job in its own thread and app context (its own session); return ("ok", value) or ("error", exc)."""
    db.session.commit()  # nothing of the test's own session stays open while the threads run
    results: list[tuple[str, Any]] = [("error", None)] * len(jobs)

    def run(index: int, job: Callable[[], Any]) -> None:
        with app.app_context():
            try:
                results[index] = ("ok", job())
            except Exception as error:  # handed back to the test
                results[index] = ("error", error)

    threads = [threading.Thread(target=run, args=(i, job), daemon=True) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a party never finished: a deadlock"
    db.session.expire_all()
    return results


def _once_per_thread(barrier: threading.Barrier, problems: list[BaseException]) -> Callable[[], None]:
    """Wait at the barrier the first time a thread gets here, recording it if the other party never came."""
    local = threading.local()

    def wait() -> None:
        if getattr(local, "waited", False):
            return
        local.waited = True
        try:
            barrier.wait()
        except threading.BrokenBarrierError as error:
            problems.append(error)
            raise

    return wait


def test_two_people_completing_the_same_task_at_once_one_wins_one_gets_a_conflict(
    app, postgresql, small_definition, monkeypatch
):
    provider, alice, bob = make_user("provider"), make_user("sfo-team"), make_user("sfo-team")
    row = _start(small_definition, provider)
    [task] = instances.tasks_of(row, "ready")
    instance_id, task_id, version = row.id, task.id, row.lock_version
    barrier, problems, seen = threading.Barrier(2, timeout=15), [], []
    wait = _once_per_thread(barrier, problems)
    original = tasks.locked_task

    def wait_then_lock(task_id):
        wait()  # both are about to read the task and lock its case at the same moment
        task = original(task_id)
        seen.append((task.state, task.instance.lock_version, len(task.instance.state)))  # engine state loaded too
        return task

    monkeypatch.setattr(tasks, "locked_task", wait_then_lock)

    def complete(username: str) -> Callable[[], str]:
        return lambda: tasks.complete_task(get_user(username), task_id, {"eligible": True}).status

    results = _run_together(app, [complete(alice.username), complete(bob.username)])

    assert not problems
    # The one that waited for the lock read the task and case as the winner left them, not as they were
    # when its statement began: locking the task row too is what makes it current.
    assert sorted(s[:2] for s in seen) == [("completed", version + 1), ("ready", version)]
    assert sorted(kind for kind, _ in results) == ["error", "ok"]
    [error] = [value for kind, value in results if kind == "error"]
    assert isinstance(error, Conflict) and error.status == 409
    winner = [alice, bob][[kind for kind, _ in results].index("ok")].username

    row = db.session.get(ProcessInstance, instance_id)
    assert (row.status, row.stage, row.lock_version) == ("waiting", "conviction-check", version + 1)
    assert progress.load(row).waiting_message_names() == ["court-outcome"]  # the state loads and is consistent
    completed = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "task-completed")).all()
    assert [(e.instance_id, e.actor) for e in completed] == [(instance_id, winner)]
    task = db.session.get(Task, task_id)
    assert (task.state, task.completed_by) == ("completed", winner)
    assert instances.tasks_of(row, "ready") == []


def test_two_workers_over_the_same_due_timers_fire_each_once(app, postgresql, small_definition, clock, monkeypatch):
    provider = make_user("provider")
    ids = [_start(small_definition, provider, f"SFO-{n}").id for n in range(20)]
    clock.set(REMINDER_DAY)
    barrier, problems = threading.Barrier(2, timeout=15), []
    wait = _once_per_thread(barrier, problems)
    original = timers.advance

    def advance_while_both_hold_a_claim(row, *args):
        wait()  # each worker has claimed (locked) a row; without SKIP LOCKED the second would block here
        return original(row, *args)

    monkeypatch.setattr(timers, "advance", advance_while_both_hold_a_claim)

    results = _run_together(app, [fire_due_timers, fire_due_timers])

    assert not problems
    assert [kind for kind, _ in results] == ["ok", "ok"]
    fired = [value for _, value in results]
    assert sum(fired) == 20 and min(fired) >= 1
    reminders = db.session.scalars(select(OutboxMessage.instance_id).where(OutboxMessage.kind == "reminder"))
    assert Counter(reminders) == Counter(ids)
    notified = db.session.scalars(select(AuditEvent.instance_id).where(AuditEvent.kind == "notification"))
    assert Counter(notified) == Counter(ids)


def test_two_workers_over_the_same_outbox_send_each_message_once(app, postgresql, small_definition, monkeypatch):
    provider = make_user("provider")
    make_user("sfo-team")
    for n in range(20):
        _start(small_definition, provider, f"SFO-{n}")
    pending = set(db.session.scalars(select(OutboxMessage.id)))
    barrier, problems, sent = threading.Barrier(2, timeout=15), [], []
    wait = _once_per_thread(barrier, problems)
    original = outbox._send

    def send_while_both_hold_a_claim(claimed):
        wait()  # each worker has claimed (and committed) a different message
        sent.append(claimed.id)
        return original(claimed)

    monkeypatch.setattr(outbox, "_send", send_while_both_hold_a_claim)

    results = _run_together(app, [outbox.deliver_outbox, outbox.deliver_outbox])

    assert not problems
    assert sum(value for _, value in results) == 20
    assert Counter(sent) == Counter(pending)
    assert set(db.session.scalars(select(OutboxMessage.status))) == {"sent"}


def _interrupting_variant(folder) -> Any:
    """The small process with its overdue timer cancelling the triage task (so the worker writes the task row)."""
    for source in (p for p in DATA.iterdir() if p.is_file()):
        (folder / source.name).write_bytes(source.read_bytes())
    bpmn = folder / "small.bpmn"
    before = 'id="triage_overdue" name="Triage overdue" cancelActivity="false"'
    assert before in bpmn.read_text()
    bpmn.write_text(bpmn.read_text().replace(before, before.replace("false", "true")))
    return deploy_files(read_library(folder), "system").definition


def test_a_person_and_a_worker_racing_on_one_case_end_in_one_outcome(
    app, postgresql, clock, monkeypatch, tmp_path, caplog
):
    provider, team = make_user("provider"), make_user("sfo-team")
    row = _start(_interrupting_variant(tmp_path), provider)
    [task] = instances.tasks_of(row, "ready")
    instance_id, task_id, version = row.id, task.id, row.lock_version
    clock.set(AFTER_DUE_DATE)  # the overdue timer is due: it cancels triage and opens the escalation
    barrier, problems = threading.Barrier(2, timeout=15), []
    wait = _once_per_thread(barrier, problems)
    original_lock, original_advance = tasks.locked_task, timers.advance

    def wait_then_lock(*args):
        wait()  # the person is about to read the task and lock the case ...
        return original_lock(*args)

    def advance_after_wait(*args):
        wait()  # ... while the worker holds its claim on the case
        return original_advance(*args)

    monkeypatch.setattr(tasks, "locked_task", wait_then_lock)
    monkeypatch.setattr(timers, "advance", advance_after_wait)

    def complete() -> str:
        return tasks.complete_task(get_user(team.username), task_id, {"eligible": True}).status

    [(person, outcome), (_, fired)] = _run_together(app, [complete, fire_due_timers])

    assert not problems
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []  # the worker saw a conflict
    row = db.session.get(ProcessInstance, instance_id)
    assert row.lock_version == version + 1  # exactly one of them changed the case
    events = [e.kind for e in db.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id))]
    ready = {t.bpmn_id for t in instances.tasks_of(row, "ready")}
    if person == "ok":
        assert (outcome, fired, row.status, ready) == ("waiting", 0, "waiting", set())
        assert events.count("task-completed") == 1 and db.session.get(Task, task_id).state == "completed"
    else:
        assert isinstance(outcome, Conflict), outcome  # a 409 to retry, never a database error
        assert (fired, row.status, ready) == (1, "running", {"escalate"})
        assert "task-completed" not in events and db.session.get(Task, task_id).state == "cancelled"
    assert {h.bpmn_id for h in progress.load(row).ready_human_tasks()} == ready


# --- a step that fails after the engine ran (both databases) -------------------------------------


def _snapshot(instance_id: int) -> dict[str, Any]:
    db.session.expire_all()
    row = db.session.get(ProcessInstance, instance_id)
    return {
        "row": (row.state, row.data, row.status, row.stage, row.lock_version, row.next_timer_at, row.updated_at),
        "tasks": [
            (t.id, t.state, t.assignee, t.completed_by, t.completed_at, t.due_on)
            for t in db.session.scalars(select(Task).order_by(Task.id))
        ],
        "drafts": [(d.task_id, d.username, d.data) for d in db.session.scalars(select(TaskDraft))],
        "events": [(e.id, e.kind) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))],
        "outbox": [(m.id, m.kind, m.recipient, m.status) for m in db.session.scalars(select(OutboxMessage))],
    }


def _fail(*args, **kwargs):
    raise RuntimeError("simulated failure after the engine ran")


@pytest.mark.parametrize(("broken", "answer"), [("sync_tasks", True), ("record_event", False)])
def test_a_task_completion_that_fails_halfway_changes_nothing(
    app, small_definition, clock, monkeypatch, broken, answer
):
    provider, team = make_user("provider"), make_user("sfo-team")
    row = _start(small_definition, provider)
    [task] = instances.tasks_of(row, "ready")
    tasks.claim_task(team, task.id)
    tasks.save_draft(team, task.id, {"eligible": answer})
    clock.advance(hours=1)
    before = _snapshot(row.id)
    monkeypatch.setattr(progress, broken, _fail)

    with pytest.raises(RuntimeError, match="simulated failure"):
        tasks.complete_task(team, task.id, {"eligible": answer})

    assert _snapshot(row.id) == before
    monkeypatch.undo()
    assert tasks.complete_task(team, task.id, {"eligible": answer}).status == ("waiting" if answer else "completed")


def test_a_timer_step_that_fails_halfway_changes_nothing(app, small_definition, clock, monkeypatch):
    provider = make_user("provider")
    row = _start(small_definition, provider)
    clock.set(REMINDER_DAY)
    before = _snapshot(row.id)
    monkeypatch.setattr(progress, "record_event", _fail)  # fails while recording the reminder

    assert fire_due_timers() == 0

    assert _snapshot(row.id) == before
    monkeypatch.undo()
    assert fire_due_timers() == 1
    assert _snapshot(row.id) != before
