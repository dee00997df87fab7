"""A draft saved while the task is completed or given to someone else (PostgreSQL): one consistent result.

The person saving the draft is held after reading the task and before writing the draft; the other party
then runs until it has finished or is seen waiting for a lock the held party has, and only then is the
held party let go. So each race is decided by the database, never by how the threads happen to be timed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Task, TaskDraft
from app.services import tasks
from app.services.errors import ServiceError
from app.services.users import get_user
from tests.conftest import make_user
from tests.services.races import first_held_at
from tests.services.test_claim_races import _ready_task

pytestmark = pytest.mark.usefixtures("postgresql")


def _draft_held_until_the_other_acts(  # type: ignore[no-untyped-def]
    app, monkeypatch, holder: str, task_id: str, other: Callable[[], Any]
) -> list[tuple[str, Any]]:
    """``holder`` saves a draft of the task and ``other`` runs: the draft's reading of the task comes first (the
    draft is held at its first use of the clock, after its checks), then ``other`` runs to its end or to a lock
    the draft holds, then the draft is written. Each one's result, the draft's first."""

    def save() -> Any:
        return tasks.save_draft(get_user(holder), task_id, {"eligible": False}).data

    return first_held_at(app, monkeypatch, tasks, "now", save, other, before=True)


def _drafts() -> list[tuple[str, str, dict]]:
    return [(d.task_id, d.username, d.data) for d in db.session.scalars(select(TaskDraft).order_by(TaskDraft.username))]


def test_a_draft_saved_while_the_task_is_completed_is_not_left_behind_on_the_done_task(
    app, small_definition, monkeypatch
):
    task_id = _ready_task(small_definition).id
    holder = make_user("sfo-team")
    tasks.claim_task(holder, task_id)
    [(drafted, draft_outcome), (completed, outcome)] = _draft_held_until_the_other_acts(
        app,
        monkeypatch,
        holder.username,
        task_id,
        lambda: tasks.complete_task(get_user(holder.username), task_id, {"eligible": True}).status,
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
    [(drafted, draft_outcome), (assigned, outcome)] = _draft_held_until_the_other_acts(
        app,
        monkeypatch,
        holder.username,
        task_id,
        lambda: tasks.assign_task(get_user(manager.username), task_id, target.username).assignee,
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
    [(completed, outcome), (drafted, draft_outcome)] = first_held_at(
        app,
        monkeypatch,
        tasks,
        "load",  # the completion holds the task and its case now
        lambda: tasks.complete_task(get_user(holder.username), task_id, {"eligible": True}).status,
        lambda: tasks.save_draft(get_user(holder.username), task_id, {"eligible": False}).data,
        before=True,
    )

    assert completed == "ok", outcome
    assert drafted == "error" and isinstance(draft_outcome, ServiceError) and draft_outcome.status == 409
    task = db.session.get(Task, task_id)
    assert (task.state, task.completed_by) == ("completed", holder.username)
    assert _drafts() == []
