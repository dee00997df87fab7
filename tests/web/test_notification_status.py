"""Managers see on a case's monitoring page what became of its notifications: for GOV.UK Notify, each
recipient's delivery status as the worker last heard it (delivered, permanent or technical failure)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import ProcessInstance
from app.services import instances
from app.worker import run_once
from tests.conftest import make_user


def test_managers_see_each_recipients_delivery_status(app, small_definition, notify_api, signed_in, clock):
    provider = make_user("provider")
    delivered, bounced, broken = (make_user("sfo-team") for _ in range(3))
    instances.start_case(provider, small_definition.key, "SFO-41", {"provider_org": provider.organisation})
    run_once(app)
    ids = {n["email_address"]: n["id"] for n in notify_api.notifications}
    notify_api.set_status(ids[delivered.email], "delivered")
    notify_api.set_status(ids[bounced.email], "permanent-failure")
    notify_api.set_status(ids[broken.email], "technical-failure")
    clock.advance(seconds=app.config["SFO_NOTIFY_POLL_SECONDS"])
    run_once(app)
    case = db.session.scalar(select(ProcessInstance).where(ProcessInstance.business_key == "SFO-41"))

    page = signed_in(make_user("manager")).get(f"/monitoring/cases/{case.id}")

    assert "Notifications" in page.text
    assert f"{delivered.email}: Delivered" in page.text
    assert f"{bounced.email}: Permanent failure" in page.text
    assert f"{broken.email}: Technical failure" in page.text
    assert "could not deliver a notification" in page.text  # the audit timeline says so too

    signed_in(make_user("sfo-team")).get(f"/monitoring/cases/{case.id}", expect=403)


def test_a_message_waiting_or_failed_shows_its_state_and_reason(app, small_definition, notify_api, signed_in):
    provider = make_user("provider")
    make_user("sfo-team")
    del app.config["SFO_NOTIFY_TEMPLATES"]["available"]
    case = instances.start_case(provider, small_definition.key, "SFO-42", {"provider_org": provider.organisation})
    manager = signed_in(make_user("manager"))

    assert "Waiting to be sent" in manager.get(f"/monitoring/cases/{case.id}").text
    run_once(app)
    db.session.expire_all()  # the test's requests share one session; a real request starts afresh
    page = manager.get(f"/monitoring/cases/{case.id}")
    assert "Not sent: failed" in page.text and "SFO_NOTIFY_TEMPLATE_AVAILABLE" in page.text


def test_managers_see_every_notification_not_delivered_across_cases(
    app, small_definition, notify_api, signed_in, clock
):
    manager = signed_in(make_user("manager"))
    assert "None: no notification has failed" in manager.get("/monitoring/notifications").text
    provider = make_user("provider")
    fine, bounced = make_user("sfo-team"), make_user("sfo-team")
    org = {"provider_org": provider.organisation}
    instances.start_case(provider, small_definition.key, "SFO-51", org)
    run_once(app)
    ids = {n["email_address"]: n["id"] for n in notify_api.notifications}
    notify_api.set_status(ids[fine.email], "delivered")
    notify_api.set_status(ids[bounced.email], "permanent-failure")
    clock.advance(seconds=app.config["SFO_NOTIFY_POLL_SECONDS"])
    run_once(app)  # SFO-51: one recipient's email bounced
    template = app.config["SFO_NOTIFY_TEMPLATES"].pop("available")
    instances.start_case(provider, small_definition.key, "SFO-52", org)
    run_once(app)  # SFO-52: no template, failed
    app.config["SFO_NOTIFY_TEMPLATES"]["available"] = template
    instances.start_case(provider, small_definition.key, "SFO-53", org)
    notify_api.rate_limited = 100
    run_once(app)  # SFO-53: to be retried later, not a failure
    db.session.expire_all()

    page = manager.get("/monitoring/notifications")

    rows = page.text[page.text.index("Queued") :]
    assert "SFO-51" in rows and f"{bounced.email}: Permanent failure" in rows and f"{fine.email}: Delivered" in rows
    assert "SFO-52" in rows and "Not sent: failed" in rows and "SFO_NOTIFY_TEMPLATE_AVAILABLE" in rows
    assert "SFO-53" not in rows
    assert rows.index("SFO-52") < rows.index("SFO-51")  # newest first
    signed_in(make_user("reviewer")).get("/monitoring/notifications", expect=403)
