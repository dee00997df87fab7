"""Claim, release and assign racing each other and a completion (PostgreSQL): exactly one wins.

The parties read the task before any of them takes a lock (a barrier holds them there), so each
race is really decided by the database, as it is between gunicorn workers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Task
from app.services import instances, tasks
from app.services.errors import Conflict, ServiceError
from app.services.users import get_user
from tests.conftest import make_user
from tests.services.test_concurrency import _once_per_thread, _run_together, _start

pytestmark = pytest.mark.usefixtures("postgresql")


def _hold_after_reading(monkeypatch, parties: int) -> list[BaseException]:
    barrier, problems = threading.Barrier(parties, timeout=15), []
    wait = _once_per_thread(barrier, problems)
    original = tasks.get_task

    def get_task_then_wait(user, task_id):
        task = original(user, task_id)
        wait()  # the first read (each party sees the task ready); later reads pass straight through
        return task

    monkeypatch.setattr(tasks, "get_task", get_task_then_wait)
    return problems


def _events(kind: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id)))


def _ready_task(definition) -> Task:
    row = _start(definition, make_user("provider"))
    [task] = instances.tasks_of(row, "ready")
    return task


def _claim(username: str, task_id: str) -> Callable[[], str | None]:
    return lambda: tasks.claim_task(get_user(username), task_id).assignee


def test_five_simultaneous_claims_of_one_task_one_wins_four_get_a_conflict(app, small_definition, monkeypatch):
    task_id = _ready_task(small_definition).id
    team = [make_user("sfo-team").username for _ in range(5)]
    problems = _hold_after_reading(monkeypatch, 5)

    results = _run_together(app, [_claim(name, task_id) for name in team])

    assert not problems
    winners = [value for kind, value in results if kind == "ok"]
    losers = [value for kind, value in results if kind == "error"]
    assert len(winners) == 1 and len(losers) == 4, results
    assert all(isinstance(e, Conflict) and f"picked up by {winners[0]}" in e.message for e in losers), losers
    assert db.session.get(Task, task_id).assignee == winners[0]
    assert [e.actor for e in _events("task-claimed")] == winners


def test_a_claim_racing_a_completion_never_leaves_the_completed_task_with_the_claimer(
    app, small_definition, monkeypatch
):
    task_id = _ready_task(small_definition).id
    completer, claimer = make_user("sfo-team").username, make_user("sfo-team").username
    problems = _hold_after_reading(monkeypatch, 2)

    def complete() -> str:
        return tasks.complete_task(get_user(completer), task_id, {"eligible": True}).status

    [(completed, outcome), (claimed, claim_outcome)] = _run_together(app, [complete, _claim(claimer, task_id)])

    assert not problems
    task = db.session.get(Task, task_id)
    claims = [e.actor for e in _events("task-claimed")]
    if completed == "ok":  # the completion went first: the claim found the task done
        assert isinstance(claim_outcome, Conflict), claim_outcome
        assert (task.state, task.assignee, task.completed_by, claims) == ("completed", completer, completer, [])
    else:  # the claim went first: the completer may no longer work on it
        assert isinstance(outcome, ServiceError) and outcome.status == 403, outcome
        assert (claimed, task.state, task.assignee, claims) == ("ok", "ready", claimer, [claimer])


def test_a_release_racing_a_claim_by_someone_else_ends_in_one_consistent_owner(app, small_definition, monkeypatch):
    task_id = _ready_task(small_definition).id
    holder, other = make_user("sfo-team"), make_user("sfo-team").username
    tasks.claim_task(holder, task_id)
    problems = _hold_after_reading(monkeypatch, 2)

    def release() -> str | None:
        return tasks.release_task(get_user(holder.username), task_id).assignee

    [(released, _), (claimed, claim_outcome)] = _run_together(app, [release, _claim(other, task_id)])

    assert not problems
    task = db.session.get(Task, task_id)
    claims = [e.actor for e in _events("task-claimed")]
    assert released == "ok"
    if claimed == "ok":  # the release went first, then the other person picked it up
        assert (task.assignee, claims) == (other, [holder.username, other])
    else:
        assert isinstance(claim_outcome, Conflict) and f"picked up by {holder.username}" in claim_outcome.message
        assert (task.assignee, claims) == (None, [holder.username])


def test_a_manager_assigning_while_someone_claims_leaves_the_trail_matching_the_task(
    app, small_definition, monkeypatch
):
    task_id = _ready_task(small_definition).id
    manager, claimer, target = make_user("manager").username, make_user("sfo-team").username, make_user("sfo-team")
    problems = _hold_after_reading(monkeypatch, 2)

    def assign() -> str | None:
        return tasks.assign_task(get_user(manager), task_id, target.username).assignee

    [(assigned, _), (claimed, claim_outcome)] = _run_together(app, [assign, _claim(claimer, task_id)])

    assert not problems and assigned == "ok"
    task = db.session.get(Task, task_id)
    trail = sorted(
        (e.id, e.kind, e.detail.get("assignee") or e.actor, e.detail.get("previous"))
        for e in db.session.scalars(select(AuditEvent).where(AuditEvent.kind.in_(("task-claimed", "task-assigned"))))
    )
    assert task.assignee == trail[-1][2] == target.username  # the last word in the trail is who holds it
    if claimed == "ok":
        assert [t[1:] for t in trail] == [("task-claimed", claimer, None), ("task-assigned", target.username, claimer)]
    else:
        assert isinstance(claim_outcome, Conflict) and f"picked up by {target.username}" in claim_outcome.message
        assert [t[1:] for t in trail] == [("task-assigned", target.username, None)]
