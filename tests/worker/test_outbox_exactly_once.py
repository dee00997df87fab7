"""A worker that dies mid-send: the message is claimed and committed before the channel is called, so a
later pass knows it was in flight. Over SMTP it is never sent a second time (at most once, flagged on the
case); the log channel records it again. Every email carries the row's stable Message-ID."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, OutboxMessage
from app.services import instances, outbox
from app.services.outbox import SENDING_LEASE, deliver_outbox
from tests.conftest import make_user


class WorkerDied(BaseException):
    """Stands for the process being killed: not an Exception, so nothing on the way catches it."""


def _queue_one(definition) -> int:
    provider = make_user("provider")
    make_user("sfo-team")
    instances.start_case(provider, definition.key, "SFO-1", {"provider_org": provider.organisation})
    [message] = db.session.scalars(select(OutboxMessage)).all()
    return message.id


def _row(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def _die_at(monkeypatch, step: str):
    """Make the worker die at ``step``; return a function that brings the worker back to life."""
    original = getattr(outbox, step)

    def die(*args, **kwargs):
        if step == "_record":  # the email went out; the worker dies before committing "sent"
            raise WorkerDied
        original(*args, **kwargs)
        raise WorkerDied

    monkeypatch.setattr(outbox, step, die)
    return lambda: monkeypatch.setattr(outbox, step, original)  # not undo(): that would drop the mail server


def test_every_email_carries_the_rows_stable_message_id(app, small_definition, smtp_server):
    message_id = _queue_one(small_definition)
    assert deliver_outbox() == 1
    [received] = smtp_server.received
    assert received.message["Message-ID"] == f"<sfo-outbox-{message_id}@sfo.test>"


@pytest.mark.parametrize("step", ["_send", "_record"])
def test_smtp_a_worker_dying_mid_send_never_sends_twice_and_the_case_says_so(
    app, small_definition, smtp_server, clock, monkeypatch, step
):
    message_id = _queue_one(small_definition)
    revive = _die_at(monkeypatch, step)

    with pytest.raises(WorkerDied):
        deliver_outbox()

    revive()
    assert len(smtp_server.received) == 1  # it did go out
    assert (_row(message_id).status, _row(message_id).attempts) == ("sending", 1)  # committed before sending

    assert deliver_outbox() == 0  # within the lease: another worker may still be sending it
    assert _row(message_id).status == "sending"

    clock.advance(seconds=SENDING_LEASE.total_seconds())
    assert deliver_outbox() == 0

    row = _row(message_id)
    assert row.status == "unknown" and "may or may not" in row.last_error
    assert len(smtp_server.received) == 1  # never sent a second time
    [flag] = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "notification-unknown")).all()
    assert flag.instance_id == row.instance_id and flag.detail["message_id"] == f"<sfo-outbox-{message_id}@sfo.test>"
    assert deliver_outbox() == 0 and len(smtp_server.received) == 1


def test_smtp_a_worker_dying_after_claiming_but_before_connecting_is_also_not_resent(
    app, small_definition, smtp_server, clock, monkeypatch
):
    message_id = _queue_one(small_definition)

    def die_before_sending(claimed):
        raise WorkerDied

    original = outbox._send
    monkeypatch.setattr(outbox, "_send", die_before_sending)
    with pytest.raises(WorkerDied):
        deliver_outbox()
    monkeypatch.setattr(outbox, "_send", original)
    clock.advance(seconds=SENDING_LEASE.total_seconds())

    deliver_outbox()

    # The worker could have died a moment after the mail server took it: SMTP cannot tell, so no resend.
    assert (_row(message_id).status, smtp_server.received) == ("unknown", [])


def test_the_log_channel_records_an_abandoned_send_again(app, small_definition, clock, monkeypatch):
    message_id = _queue_one(small_definition)
    revive = _die_at(monkeypatch, "_record")
    with pytest.raises(WorkerDied):
        deliver_outbox()
    revive()
    clock.advance(seconds=SENDING_LEASE.total_seconds())

    assert deliver_outbox() == 1

    row = _row(message_id)
    assert (row.status, row.attempts, row.claimed_at) == ("sent", 2, None)
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "notification-unknown")).all() == []
