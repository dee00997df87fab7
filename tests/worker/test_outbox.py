"""Delivering the notification outbox: recorded when no mail server is set, sent by SMTP when one is."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage
from app.services import instances
from app.services.notifications import queue_message
from app.services.outbox import MAX_ATTEMPTS, deliver_outbox
from app.services.users import create_user
from app.worker import run_once
from tests.conftest import PASSWORD, make_user


def _start(definition, user, key="SFO-1", **data):
    return instances.start_case(user, definition.key, key, data)


def _outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _app_log_text(caplog) -> str:
    records = [r for r in caplog.records if r.name.startswith("app")]
    assert records, "expected the worker to log what it did"
    return "\n".join(r.getMessage() + (r.exc_text or "") for r in records)


def test_without_smtp_messages_are_marked_sent_and_the_log_holds_no_personal_data(app, small_definition, clock, caplog):
    caplog.set_level(logging.DEBUG, logger="app")
    provider = create_user(
        "priya.sharma",
        "provider",
        PASSWORD,
        organisation="north-probation",
        display_name="Priya Sharma",
        email="priya.sharma@north.example",
    )
    create_user("tom.jones", "sfo-team", PASSWORD, display_name="Tom Jones", email="tom.jones@sfo.example")
    _start(small_definition, provider, "SFO-SECRET-4471", provider_org="north-probation")

    assert run_once(app) == (0, 1)

    [message] = _outbox()
    assert (message.kind, message.status, message.attempts, message.sent_at) == ("available", "sent", 1, clock.now())
    logged = _app_log_text(caplog)
    for personal in ("SFO-SECRET-4471", "priya.sharma", "Priya Sharma", "tom.jones", "Tom Jones", "@"):
        assert personal not in logged
    assert run_once(app) == (0, 0)


def test_group_recipients_expand_to_the_active_users_of_the_group(app, small_definition, smtp_server):
    provider = make_user("provider")
    first, second = make_user("sfo-team"), make_user("sfo-team")
    manager = make_user("manager", groups=("sfo-team",))
    make_user("reviewer")
    make_user("manager")
    gone = make_user("sfo-team")
    gone.active = False
    create_user("noaddress", "sfo-team", PASSWORD)
    db.session.commit()
    _start(small_definition, provider, "SFO-7", provider_org=provider.organisation)

    assert deliver_outbox() == 1

    [received] = smtp_server.received
    expected = sorted([first.email, second.email, manager.email])
    assert sorted(received.recipients) == expected
    # A long To header is folded onto several lines (RFC 5322): compare it unfolded.
    assert " ".join(received.message["To"].split()) == ", ".join(expected)
    assert received.message["From"] == "sfo-reviews@sfo.test"
    assert received.message["Subject"] == "SFO review SFO-7: 'Triage the case' is waiting for your team"
    assert "http://sfo.test/tasks/" in received.message.get_payload()
    assert _outbox()[0].status == "sent"


def test_a_team_notice_never_reaches_a_provider_user_in_that_team_group(app, small_definition, smtp_server):
    """A provider user's account may carry another group (an extra group, or one single sign-on maps), but
    it never sees another team's tasks, nor another organisation's cases: a notice to that team is not for it."""
    north = make_user("provider")
    team = make_user("sfo-team")
    make_user("provider", organisation="south-probation", groups=("sfo-team",))
    make_user("provider", organisation=north.organisation, groups=("sfo-team",))
    _start(small_definition, north, "SFO-8", provider_org=north.organisation)

    assert deliver_outbox() == 1

    [received] = smtp_server.received
    assert received.message["Subject"] == "SFO review SFO-8: 'Triage the case' is waiting for your team"
    assert received.recipients == [team.email]


def test_provider_group_reaches_only_the_case_organisation(app, small_definition, smtp_server):
    north, north_too = make_user("provider"), make_user("provider")
    make_user("provider", organisation="south-probation")
    team = make_user("sfo-team")
    own = _start(small_definition, north, "SFO-N", provider_org=north.organisation)
    orphan = _start(small_definition, team, "SFO-X")  # no provider organisation recorded
    assert orphan.provider_org is None
    queue_message("not_eligible", own, None, recipient="group:provider")
    queue_message("not_eligible", orphan, None, recipient="group:provider")
    [triage] = instances.tasks_of(own, "ready")
    queue_message("assigned", own, triage, recipient=north_too.username)
    db.session.commit()

    deliver_outbox()

    by_subject = {r.message["Subject"]: sorted(r.recipients) for r in smtp_server.received}
    assert by_subject["SFO notification SFO-N is not eligible for a review"] == sorted([north.email, north_too.email])
    assert "SFO notification SFO-X is not eligible for a review" not in by_subject  # nobody to tell
    assert by_subject["SFO review SFO-N: 'Triage the case' is assigned to you"] == [north_too.email]
    statuses = {(m.instance_id, m.kind): m.status for m in _outbox()}
    assert statuses.pop((orphan.id, "not_eligible")) == "undeliverable"  # nobody to send it to
    assert set(statuses.values()) == {"sent"}


def test_smtp_failure_is_retried_with_backoff_then_marked_failed(app, small_definition, smtp_server, clock, caplog):
    caplog.set_level(logging.DEBUG, logger="app")
    smtp_server.refuse = True
    provider = make_user("provider", email="pat.provider@north.example")
    team = make_user("sfo-team", email="sam.team@sfo.example")
    _start(small_definition, provider, "SFO-RETRY", provider_org=provider.organisation)

    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert deliver_outbox() == 0
        [message] = _outbox()
        assert message.attempts == attempt
        assert message.status == ("failed" if attempt == MAX_ATTEMPTS else "pending")
        assert message.deliver_after == clock.now() + dt.timedelta(minutes=2**attempt)
        assert message.last_error.startswith("SMTPSenderRefused")
        assert smtp_server.connections == attempt
        clock.advance(minutes=2**attempt - 1)
        assert deliver_outbox() == 0  # not yet due again
        assert smtp_server.connections == attempt
        clock.advance(minutes=1)

    clock.advance(days=30)
    smtp_server.refuse = False
    assert deliver_outbox() == 0
    assert smtp_server.connections == MAX_ATTEMPTS and _outbox()[0].attempts == MAX_ATTEMPTS
    logged = _app_log_text(caplog)
    for personal in ("SFO-RETRY", provider.username, team.username, "@"):
        assert personal not in logged


def test_a_message_that_cannot_be_built_fails_without_blocking_the_rest(app, small_definition, smtp_server):
    provider = make_user("provider")
    make_user("sfo-team")
    _start(small_definition, provider, "SFO-A", provider_org=provider.organisation)
    _start(small_definition, provider, "SFO-B", provider_org=provider.organisation)
    broken, fine = _outbox()
    broken.subject = "SFO review SFO-A\nBcc: someone@elsewhere.example"
    db.session.commit()

    assert deliver_outbox() == 1

    broken, fine = _outbox()
    assert (broken.status, broken.attempts) == ("failed", 1) and broken.last_error.startswith("ValueError")
    assert fine.status == "sent"
    assert [r.message["Subject"] for r in smtp_server.received] == [fine.subject]
