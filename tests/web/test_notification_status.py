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
