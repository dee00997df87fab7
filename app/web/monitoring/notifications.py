"""Notifications not delivered (/monitoring/notifications): across every case, what a manager should
follow up: messages not sent or maybe not sent, and recipients GOV.UK Notify could not reach."""

from __future__ import annotations

from flask import render_template

from ...services.notify import FAILURES, REJECTED
from ...services.notify import STATUS_TEXT as DELIVERY_TEXT
from ...services.outbox import STATUS_TEXT as OUTBOX_TEXT
from ...services.outbox import undelivered
from . import monitoring

LIMIT = 200


def status_texts() -> dict[str, object]:
    """What the notification status macro (monitoring/_notifications.html) reads from the page."""
    return {"outbox_text": OUTBOX_TEXT, "delivery_text": DELIVERY_TEXT, "delivery_failures": (*FAILURES, REJECTED)}


@monitoring.get("/notifications")
def undelivered_notifications() -> str:
    return render_template(
        "monitoring/notifications.html",
        title="Notifications not delivered",
        rows=undelivered(LIMIT),
        limit=LIMIT,
        section="notifications",
        **status_texts(),
    )
