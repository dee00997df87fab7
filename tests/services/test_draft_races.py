"""A draft saved while the task is completed or given to someone else (PostgreSQL): one consistent result.

The person saving the draft is held after reading the task and before writing the draft; the other party
then runs until it has finished or is seen waiting for a lock the held party has, and only then is the
held party let go. So each race is decided by the database, never by how the threads happen to be timed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import AuditEvent, Task, TaskDraft
from app.services import tasks
from app.services.errors import ServiceError
from app.services.users import get_user
from tests.conftest import make_user
from tests.services.test_claim_races import _ready_task
from tests.services.test_concurrency import _run_together

pytestmark = pytest.mark.usefixtures("postgresql")


def _blocked_on_a_lock(app) -> bool:  # type: ignore[no-untyped-def]
    """Whether another session of this database is waiting for a row lock."""
    with app.app_context():
        query = text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        waiting = db.session.scalar(query)
        db.session.rollback()
        return bool(waiting)


def _draft_held_until_the_other_acts(app, monkeypatch, other: Callable[[], Any]) -> tuple[Any, Any]:  # type: ignore[no-untyped-def]
    """Run ``save_draft`` (the first job) and ``other`` so that the draft's reading of the task comes first, then
    ``other`` runs to its end or to a lock the draft holds, then the draft is written."""
    read, other_done = threading.Event(), threading.Event()
    drafting = threading.local()
    original_now = tasks.now

    def now_after_the_other():  # type: ignore[no-untyped-def]
        if getattr(drafting, "held", None) is False:  # the draft's first use of the clock: after its checks
            drafting.held = True
            read.set()
            while not other_done.is_set() and not _blocked_on_a_lock(app):
                time.sleep(0.02)  # waiting for a state of the other party, not for a guessed interleaving
        return original_now()

    monkeypatch.setattr(tasks, "now", now_after_the_other)

    def draft_job(job: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            drafting.held = False
            return job()

        return run

    def other_job() -> Any:
        assert read.wait(timeout=30), "the draft never read the task"
        try:
            return other()
        finally:
            other_done.set()

    return draft_job, other_job  # type: ignore[return-value]


def _drafts() -> list[tuple[str, str, dict]]:
    return [(d.task_id, d.username, d.data) for d in db.session.scalars(select(TaskDraft).order_by(TaskDraft.username))]


def test_a_draft_saved_while_the_task_is_completed_is_not_left_behind_on_the_done_task(
    app, small_definition, monkeypatch
):
    task_id = _ready_task(small_definition).id
    holder = make_user("sfo-team")
    tasks.claim_task(holder, task_id)
    draft_job, other_job = _draft_held_until_the_other_acts(
        app, monkeypatch, lambda: tasks.complete_task(get_user(holder.username), task_id, {"eligible": True}).status
    )

    [(drafted, draft_outcome), (completed, outcome)] = _run_together(
        app,
        [
            draft_job(lambda: tasks.save_draft(get_user(holder.username), task_id, {"eligible": False}).data),
            other_job,
        ],
    )

    assert completed == "ok", outcome
    task = db.session.get(Task, task_id)
    assert (task.state, task.completed_by) == ("completed", holder.username)
    assert _drafts() == []  # a completed task keeps no draft: the answers given are the ones that count
    if drafted == "error":  # the draft came after the completion: a clear 409, not a draft no one can use
        assert isinstance(draft_outcome, ServiceError) and draft_outcome.status == 409, draft_outcome


def test_a_draft_saved_while_a_manager_gives_the_task_to_someone_else_goes_with_the_task(
    app, small_definition, monkeypatch
):
    task_id = _ready_task(small_definition).id
    holder, manager, target = make_user("sfo-team"), make_user("manager"), make_user("sfo-team")
    tasks.claim_task(holder, task_id)
    draft_job, other_job = _draft_held_until_the_other_acts(
        app, monkeypatch, lambda: tasks.assign_task(get_user(manager.username), task_id, target.username).assignee
    )

    [(drafted, draft_outcome), (assigned, outcome)] = _run_together(
        app,
        [
            draft_job(lambda: tasks.save_draft(get_user(holder.username), task_id, {"eligible": False}).data),
            other_job,
        ],
    )

    assert (assigned, outcome) == ("ok", target.username)
    assert db.session.get(Task, task_id).assignee == target.username
    if drafted == "ok":  # saved before the task moved: the new holder has it, as the trail says
        assert _drafts() == [(task_id, target.username, {"eligible": False})]
        carried = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "draft-carried")).all()
        assert len(carried) == 1
    else:  # the task moved first: the previous holder is told, and no draft is left with them
        assert isinstance(draft_outcome, ServiceError) and draft_outcome.status in (403, 409), draft_outcome
        assert _drafts() == []


def test_a_draft_saved_while_a_completion_holds_the_task_gets_a_conflict_and_leaves_nothing(
    app, small_definition, monkeypatch
):
    task_id = _ready_task(small_definition).id
    holder = make_user("sfo-team")
    tasks.claim_task(holder, task_id)
    locked, draft_done = threading.Event(), threading.Event()
    completing = threading.local()
    original_load = tasks.load

    def load_after_the_draft(row):  # type: ignore[no-untyped-def]
        if getattr(completing, "held", None) is False:  # the completion holds the task and its case now
            completing.held = True
            locked.set()
            while not draft_done.is_set() and not _blocked_on_a_lock(app):
                time.sleep(0.02)  # waiting for a state of the draft, not for a guessed interleaving
        return original_load(row)

    monkeypatch.setattr(tasks, "load", load_after_the_draft)

    def complete() -> str:
        completing.held = False
        return tasks.complete_task(get_user(holder.username), task_id, {"eligible": True}).status

    def save() -> dict:
        assert locked.wait(timeout=30), "the completion never locked the task"
        try:
            return tasks.save_draft(get_user(holder.username), task_id, {"eligible": False}).data
        finally:
            draft_done.set()

    [(completed, outcome), (drafted, draft_outcome)] = _run_together(app, [complete, save])

    assert completed == "ok", outcome
    assert drafted == "error" and isinstance(draft_outcome, ServiceError) and draft_outcome.status == 409
    task = db.session.get(Task, task_id)
    assert (task.state, task.completed_by) == ("completed", holder.username)
    assert _drafts() == []
