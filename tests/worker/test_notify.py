"""GOV.UK Notify as the email channel, against a local server that answers as the Notify API does:
one notification per recipient with the kind's template, the outbox row as ``reference`` so that no
retry sends twice, Notify's errors (rate limit, invalid template, bad recipient), and the delivery
status polled by the worker."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, OutboxDelivery, OutboxMessage
from app.services import instances, notify, outbox
from app.services.notifications import queue_message
from app.services.outbox import SENDING_LEASE, deliver_outbox
from app.services.users import create_user
from app.worker import run_once
from tests.conftest import PASSWORD, make_user


def _outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _team_case(definition, team_size=2, key="SFO-21"):
    provider = make_user("provider")
    team = [make_user("sfo-team") for _ in range(team_size)]
    case = instances.start_case(provider, definition.key, key, {"provider_org": provider.organisation})
    return case, team


def test_each_recipient_gets_one_notification_from_the_kinds_template_with_the_row_as_reference(
    app, small_definition, notify_api, caplog
):
    caplog.set_level(logging.DEBUG)
    provider = make_user("provider")
    create_user(
        "tom.jones", "sfo-team", PASSWORD, display_name="Tom Jones", email="tom.jones@sfo.example", organisation=None
    )
    make_user("sfo-team", email="second@sfo.example")
    instances.start_case(provider, small_definition.key, "SFO-31", {"provider_org": provider.organisation})

    assert run_once(app) == (0, 1)

    [message] = _outbox()
    assert (message.status, message.channel, message.attempts) == ("sent", "notify", 1)
    sent = notify_api.notifications
    assert sorted(n["email_address"] for n in sent) == ["second@sfo.example", "tom.jones@sfo.example"]
    assert {n["reference"] for n in sent} == {f"sfo-outbox-{message.id}"}
    assert {n["template"]["id"] for n in sent} == {app.config["SFO_NOTIFY_TEMPLATES"]["available"]}
    # What the template needs, and nothing about the recipient or the people in the case.
    [values] = {tuple(sorted(n["personalisation"].items())) for n in sent}
    assert dict(values) == {
        "case_reference": "SFO-31",
        "task": "Triage the case",
        "due_date": message.personalisation["due_date"],
        "link": f"http://sfo.test/tasks/{message.task_id}",
    }
    assert sent[0]["subject"] == "SFO review SFO-31: Triage the case"
    assert {(d.email, d.status) for d in message.deliveries} == {
        ("second@sfo.example", "created"),
        ("tom.jones@sfo.example", "created"),
    }
    assert {d.notify_id for d in message.deliveries} == {n["id"] for n in sent}
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for personal in ("tom.jones", "Tom Jones", "second@", "SFO-31"):
        assert personal not in logged
    assert run_once(app) == (0, 0) and len(notify_api.notifications) == 2


def test_a_rate_limit_is_retried_later_and_no_recipient_is_sent_twice(app, small_definition, notify_api, clock):
    _, team = _team_case(small_definition, team_size=3)
    notify_api.rate_limited = 1  # the first email is refused with 429

    assert deliver_outbox() == 0
    [message] = _outbox()
    assert (message.status, message.attempts) == ("pending", 1)
    assert "429" in message.last_error and "RateLimitError" in message.last_error

    assert deliver_outbox() == 0  # the backoff has not run out
    clock.advance(minutes=2)
    assert deliver_outbox() == 1
    assert sorted(n["email_address"] for n in notify_api.notifications) == sorted(u.email for u in team)
    assert (_outbox()[0].status, _outbox()[0].attempts) == ("sent", 2)


def test_a_rate_limit_part_way_through_sends_the_rest_only(app, small_definition, notify_api, clock, monkeypatch):
    _team_case(small_definition, team_size=3)
    from notifications_python_client.notifications import NotificationsAPIClient

    original = NotificationsAPIClient.send_email_notification
    calls = []

    def second_one_limited(self, *args, **kwargs):
        calls.append(args[0])
        if len(calls) == 2:
            notify_api.rate_limited = 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(NotificationsAPIClient, "send_email_notification", second_one_limited)
    assert deliver_outbox() == 0
    [message] = _outbox()
    assert message.status == "pending" and len(message.deliveries) == 1
    clock.advance(minutes=2)
    assert deliver_outbox() == 1
    addresses = [n["email_address"] for n in notify_api.notifications]
    assert len(addresses) == 3 and len(set(addresses)) == 3  # each once
    assert len(_outbox()[0].deliveries) == 3


def test_an_answer_lost_after_notify_took_the_email_is_not_sent_again(
    app, small_definition, notify_api, clock, monkeypatch
):
    _team_case(small_definition, team_size=2)
    monkeypatch.setattr(notify, "TIMEOUT_SECONDS", 0.3)
    notify_api.slow_sends, notify_api.slow_seconds = 1, 1.0  # Notify takes the first email but answers too late

    assert deliver_outbox() == 0
    [message] = _outbox()
    assert message.status == "pending" and "503" in message.last_error  # no answer: tried again later
    assert len(notify_api.notifications) == 1

    clock.advance(minutes=2)
    assert deliver_outbox() == 1
    addresses = [n["email_address"] for n in notify_api.notifications]
    assert len(addresses) == 2 and len(set(addresses)) == 2
    # The retry asked Notify what it already had under the row's reference before sending.
    assert ("GET", f"/v2/notifications?reference=sfo-outbox-{message.id}") in notify_api.requests
    assert {d.notify_id for d in _outbox()[0].deliveries} == {n["id"] for n in notify_api.notifications}


class WorkerDied(BaseException):
    """Stands for the process being killed mid-send."""


def test_a_worker_dying_after_notify_took_the_emails_never_sends_them_twice(
    app, small_definition, notify_api, clock, monkeypatch
):
    _team_case(small_definition, team_size=2)
    notify_api.page_size = 1  # Notify's list comes in pages: the retry reads them all
    original = outbox._record

    def die(*args, **kwargs):
        raise WorkerDied

    monkeypatch.setattr(outbox, "_record", die)
    with pytest.raises(WorkerDied):
        deliver_outbox()
    monkeypatch.setattr(outbox, "_record", original)
    db.session.rollback()
    assert len(notify_api.notifications) == 2 and _outbox()[0].status == "sending"

    assert deliver_outbox() == 0  # still within its lease: another worker may be sending it
    clock.advance(seconds=SENDING_LEASE.total_seconds())
    assert deliver_outbox() == 1

    [message] = _outbox()
    assert (message.status, message.attempts) == ("sent", 2)
    assert len(notify_api.notifications) == 2  # Notify knew both: nothing sent again
    assert {d.notify_id for d in message.deliveries} == {n["id"] for n in notify_api.notifications}
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "notification-unknown")).all() == []


def test_an_invalid_template_fails_the_message_without_retrying_or_blocking_others(
    app, small_definition, notify_api, clock
):
    case, _ = _team_case(small_definition)
    app.config["SFO_NOTIFY_TEMPLATES"]["not_eligible"] = "0f0e0d0c-0000-4000-8000-000000000000"  # not in Notify
    queue_message("not_eligible", case, None, recipient="group:provider")
    db.session.commit()

    assert deliver_outbox() == 1

    statuses = {m.kind: (m.status, m.attempts, m.last_error) for m in _outbox()}
    assert statuses["available"][0] == "sent"
    status, attempts, error = statuses["not_eligible"]
    assert (status, attempts) == ("failed", 1) and "400" in error and "Template not found" in error
    clock.advance(days=1)
    assert deliver_outbox() == 0 and len(notify_api.notifications) == 2


def test_a_kind_without_a_template_fails_with_the_setting_to_add(app, small_definition, notify_api):
    _team_case(small_definition)
    del app.config["SFO_NOTIFY_TEMPLATES"]["available"]

    assert deliver_outbox() == 0

    [message] = _outbox()
    assert message.status == "failed" and "SFO_NOTIFY_TEMPLATE_AVAILABLE" in message.last_error
    assert notify_api.notifications == []


def test_a_missing_placeholder_is_a_permanent_failure(app, small_definition, notify_api):
    _team_case(small_definition)
    template = notify_api.add_template("Case ((case_reference))", "For ((reviewer_name))")
    app.config["SFO_NOTIFY_TEMPLATES"]["available"] = template

    assert deliver_outbox() == 0

    [message] = _outbox()
    assert message.status == "failed" and "Missing personalisation: reviewer_name" in message.last_error


def test_a_bad_recipient_address_is_refused_and_the_others_still_receive_it(app, small_definition, notify_api):
    make_user("sfo-team", email="not-an-address")
    good = make_user("sfo-team")
    _team_case(small_definition, team_size=0)

    assert deliver_outbox() == 1

    [message] = _outbox()
    assert message.status == "sent"
    deliveries = {d.email: d for d in message.deliveries}
    assert deliveries["not-an-address"].status == "rejected" and deliveries["not-an-address"].notify_id is None
    assert "email_address Not a valid email address" in deliveries["not-an-address"].detail
    assert deliveries[good.email].status == "created"
    assert [n["email_address"] for n in notify_api.notifications] == [good.email]


def test_when_every_address_is_refused_the_message_is_undeliverable(app, small_definition, notify_api):
    make_user("sfo-team", email="nobody-at-all")
    _team_case(small_definition, team_size=0)

    assert deliver_outbox() == 0

    [message] = _outbox()
    assert message.status == "undeliverable" and "refused every recipient" in message.last_error


def test_the_worker_polls_delivery_status_and_notes_failures_on_the_case(app, small_definition, notify_api, clock):
    case, team = _team_case(small_definition, team_size=3)
    run_once(app)
    by_address = {n["email_address"]: n["id"] for n in notify_api.notifications}
    notify_api.set_status(by_address[team[0].email], "delivered")
    notify_api.set_status(by_address[team[1].email], "permanent-failure")
    notify_api.set_status(by_address[team[2].email], "sending")

    run_once(app)  # the deliveries were just sent: asked about only after SFO_NOTIFY_POLL_SECONDS
    assert {d.status for d in _outbox()[0].deliveries} == {"created"}
    clock.advance(seconds=app.config["SFO_NOTIFY_POLL_SECONDS"])
    run_once(app)

    statuses = {d.email: d.status for d in _outbox()[0].deliveries}
    assert statuses == {team[0].email: "delivered", team[1].email: "permanent-failure", team[2].email: "sending"}
    [failure] = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "notification-failed")).all()
    assert failure.instance_id == case.id and "permanent failure" in failure.summary
    assert team[1].email not in failure.summary

    notify_api.set_status(by_address[team[2].email], "technical-failure")
    asked = len(notify_api.requests)
    run_once(app)
    assert len(notify_api.requests) == asked  # not asked again so soon
    clock.advance(seconds=app.config["SFO_NOTIFY_POLL_SECONDS"])
    run_once(app)
    polled = [path for method, path in notify_api.requests[asked:] if method == "GET"]
    assert polled == [f"/v2/notifications/{by_address[team[2].email]}"]  # the final ones are left alone
    assert db.session.scalar(select(OutboxDelivery.status).where(OutboxDelivery.email == team[2].email)) == (
        "technical-failure"
    )


def test_a_rate_limit_while_polling_waits_for_the_next_pass(app, small_definition, notify_api, clock):
    _team_case(small_definition, team_size=2)
    run_once(app)
    for notification in notify_api.notifications:
        notify_api.set_status(notification["id"], "delivered")
    clock.advance(seconds=app.config["SFO_NOTIFY_POLL_SECONDS"])
    notify_api.rate_limited = 1

    assert notify.poll_delivery_statuses() == 0
    assert notify.poll_delivery_statuses() == 2
    assert {d.status for d in _outbox()[0].deliveries} == {"delivered"}


def test_a_wrong_api_key_is_refused_by_notify_and_fails_the_message(app, small_definition, notify_api):
    _team_case(small_definition)
    app.config["SFO_NOTIFY_API_KEY"] = (
        "sfo_test-5a1e5f1a-7c3b-4f6e-9d2a-3b8c1d0e4f21-11111111-2222-3333-4444-555555555555"
    )

    assert deliver_outbox() == 0

    [message] = _outbox()
    assert message.status == "failed" and "403" in message.last_error and "AuthError" in message.last_error


def test_an_email_notify_no_longer_keeps_is_not_asked_about_again(app, small_definition, notify_api, clock):
    _team_case(small_definition, team_size=1)
    run_once(app)
    clock.advance(days=notify.NOTIFY_KEEPS.days, seconds=1)
    asked = len(notify_api.requests)

    assert notify.poll_delivery_statuses() == 0

    assert len(notify_api.requests) == asked


def test_template_ids_are_read_per_kind_from_the_environment(monkeypatch):
    from app.config import load_config

    monkeypatch.setenv("SFO_NOTIFY_TEMPLATE_ASSIGNED", "5b6a1f2e-0000-4000-8000-000000000001")
    monkeypatch.setenv("SFO_NOTIFY_TEMPLATE_NOT_ELIGIBLE", " 5b6a1f2e-0000-4000-8000-000000000002 ")
    monkeypatch.setenv("SFO_NOTIFY_TEMPLATE_REMINDER", "")

    templates = load_config()["SFO_NOTIFY_TEMPLATES"]

    assert templates == {
        "assigned": "5b6a1f2e-0000-4000-8000-000000000001",
        "not_eligible": "5b6a1f2e-0000-4000-8000-000000000002",
    }


def test_two_workers_through_notify_send_each_recipient_each_message_once(
    app, postgresql, small_definition, notify_api
):
    from tests.services.test_concurrency import _run_together

    provider = make_user("provider")
    make_user("sfo-team")
    make_user("sfo-team")
    for n in range(12):
        instances.start_case(provider, small_definition.key, f"SFO-{n}", {"provider_org": provider.organisation})

    results = _run_together(app, [deliver_outbox, deliver_outbox])

    assert [kind for kind, _ in results] == ["ok", "ok"] and sum(value for _, value in results) == 12
    pairs = [(n["reference"], n["email_address"]) for n in notify_api.notifications]
    assert len(pairs) == 24 and len(set(pairs)) == 24
    assert {m.status for m in _outbox()} == {"sent"}
