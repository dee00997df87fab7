"""New rows of several tables written in one statement on PostgreSQL (``app/models/written_together.py``):
each object must come out of it as the flush would have left it, and go with a rollback."""

from __future__ import annotations

import pytest
from sqlalchemy import event, inspect, select

from app.extensions import db
from app.models import AuditEvent, OutboxMessage, Task
from app.services.audit import record_event
from app.services.notifications import queue_message
from tests.api.test_sfo_paths import _notification
from tests.sfo_case import SfoCase


@pytest.fixture
def postgresql(app) -> None:  # type: ignore[no-untyped-def]
    if db.engine.dialect.name != "postgresql":
        pytest.skip("rows are written together on PostgreSQL only; on SQLite the flush sends one INSERT per table")


def _statements_of(call) -> list[str]:  # type: ignore[no-untyped-def]
    """The statements ``call`` sends in the session as it is (``statements.count`` starts a new one)."""
    sent: list[str] = []

    def note(_conn, _cursor, statement, *_):  # type: ignore[no-untyped-def]
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return sent


def test_each_row_gets_its_own_id_and_defaults_in_one_statement(postgresql, people, sfo_definition):
    row = SfoCase(people, sfo_definition).row
    first = record_event(row, "tester", "first-kind", "First.")
    second = record_event(row, "tester", "second-kind", "Second.", extra=True)
    message = queue_message("reminder", row, None)

    assert len(_statements_of(db.session.flush)) == 1  # both tables in one statement
    assert all(inspect(made).persistent for made in (first, second, message))
    assert (message.status, message.attempts, first.detail) == ("pending", 0, {})  # the columns' defaults
    ids = first.id, second.id, message.id
    db.session.commit()
    db.session.expunge_all()
    stored = {event.id: (event.kind, event.detail) for event in db.session.scalars(select(AuditEvent))}
    assert stored[ids[0]] == ("first-kind", {}) and stored[ids[1]] == ("second-kind", {"extra": True})
    assert db.session.get(OutboxMessage, ids[2]).kind == "reminder"


def test_rows_written_together_go_with_a_rollback(postgresql, people, sfo_definition):
    row = SfoCase(people, sfo_definition).row
    event = record_event(row, "tester", "undone", "Undone.")
    message = queue_message("reminder", row, None)
    db.session.flush()
    db.session.rollback()
    assert not inspect(event).persistent and not inspect(message).persistent
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "undone")) is None
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "reminder")) is None


def test_a_case_started_over_the_api_writes_its_rows_after_it_with_the_request_id(
    postgresql, api, people, sfo_definition
):
    body = {
        "process_key": "sfo_review",
        "business_key": "SFO-TOGETHER",
        "data": _notification(sfo_definition, "SFO-TOGETHER"),
    }
    headers = {**api.headers(people.provider), "X-Request-Id": "together-1"}
    answer = api.client.post("/api/v1/process-instances", json=body, headers=headers)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    case_id = answer.get_json()["id"]
    db.session.expunge_all()
    assert db.session.scalars(select(Task.bpmn_id).where(Task.instance_id == case_id)).all() == ["confirm_eligibility"]
    kinds = db.session.scalars(select(AuditEvent.kind).where(AuditEvent.instance_id == case_id)).all()
    assert "started" in kinds and "task-created" in kinds
    sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.instance_id == case_id)).all()
    assert sent and {message.request_id for message in sent} == {"together-1"}
