"""Email through GOV.UK Notify: one Notify notification per recipient of an outbox row, and the status
Notify reports for each, polled by the worker until it is final.

Every notification of a row carries the row's reference (``sfo-outbox-<id>``). A retry (after a rate
limit, a timeout, or a worker that stopped mid-send) first asks Notify which recipients already have
one with that reference and skips them, so no recipient is sent the same message twice, even when the
answer to the first request was lost. This needs no database access while Notify is called.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import OutboxDelivery, OutboxMessage, ProcessInstance
from .audit import record_event
from .runtime import now, transaction

if TYPE_CHECKING:
    from notifications_python_client.errors import HTTPError
    from notifications_python_client.notifications import NotificationsAPIClient

log = logging.getLogger(__name__)

# Notify's email statuses: the first two are on the way, the others final.
IN_PROGRESS = ("created", "sending")
FAILURES = ("permanent-failure", "temporary-failure", "technical-failure")
REJECTED = "rejected"  # Notify refused the recipient (an invalid address); nothing was sent to it
STATUS_TEXT = {
    "created": "Sending",
    "sending": "Sending",
    "delivered": "Delivered",
    "permanent-failure": "Permanent failure",
    "temporary-failure": "Temporary failure",
    "technical-failure": "Technical failure",
    REJECTED: "Address refused",
}
TIMEOUT_SECONDS = 10
# Notify keeps a notification's status for 7 days; one not final by then is not asked about again.
NOTIFY_KEEPS = dt.timedelta(days=7)


class NotifyUnavailable(Exception):
    """Notify could not take the request now (rate limit, its own error, no answer): retried later."""


class NotifyRefused(Exception):
    """Notify refused the message itself (no such template, a missing placeholder, a bad API key)."""


@dataclass(frozen=True)
class Delivery:
    email: str
    notify_id: str | None
    status: str
    detail: str | None = None


def enabled() -> bool:
    return bool(current_app.config["SFO_NOTIFY_API_KEY"])


def template_for(kind: str) -> str | None:
    return current_app.config["SFO_NOTIFY_TEMPLATES"].get(kind)


def reference(outbox_id: int) -> str:
    return f"sfo-outbox-{outbox_id}"


def client() -> NotificationsAPIClient:
    """Notify's client library is imported on first use (13 MB that a service without Notify never needs)."""
    from notifications_python_client.notifications import NotificationsAPIClient

    config = current_app.config
    return NotificationsAPIClient(
        config["SFO_NOTIFY_API_KEY"], base_url=config["SFO_NOTIFY_BASE_URL"], timeout=TIMEOUT_SECONDS
    )


def _error_text(error: HTTPError) -> str:
    message = error.message
    if isinstance(message, list):
        return "; ".join(f"{m.get('error', '')}: {m.get('message', '')}" for m in message if isinstance(m, dict))
    return str(message)


def _classify(error: HTTPError) -> Exception:
    text = _error_text(error)
    if error.status_code == 429 or error.status_code >= 500:
        return NotifyUnavailable(f"Notify answered {error.status_code}: {text}")
    return NotifyRefused(f"Notify answered {error.status_code}: {text}")


def _refuses_recipient(error: HTTPError) -> bool:
    return error.status_code == 400 and "email_address" in _error_text(error)


def send(
    outbox_id: int, addresses: Iterable[str], template_id: str, personalisation: dict[str, Any], retry: bool
) -> tuple[list[Delivery], Exception | None]:
    """Send the row to each address that has no notification yet; what was sent (or refused), and the
    error that stopped the sending, if one did. ``retry``: ask Notify first what an earlier attempt sent."""
    from notifications_python_client.errors import HTTPError

    api = client()
    ref = reference(outbox_id)
    deliveries: list[Delivery] = []
    done: set[str] = set()
    try:
        if retry:
            for notification in api.get_all_notifications_iterator(reference=ref):
                address = str(notification.get("email_address") or "")
                if address and address not in done:
                    done.add(address)
                    deliveries.append(Delivery(address, notification["id"], notification.get("status") or "created"))
        for address in addresses:
            if address in done:
                continue
            try:
                answer = api.send_email_notification(address, template_id, personalisation, reference=ref)
            except HTTPError as error:
                if not _refuses_recipient(error):
                    raise
                deliveries.append(Delivery(address, None, REJECTED, _error_text(error)[:500]))
                continue
            deliveries.append(Delivery(address, answer["id"], "created"))
    except HTTPError as error:
        return deliveries, _classify(error)
    return deliveries, None


def record_deliveries(message: OutboxMessage, deliveries: list[Delivery]) -> None:
    """Write what was sent for the row (in the caller's transaction); an address already recorded is kept."""
    known = {d.email for d in message.deliveries}
    for delivery in deliveries:
        if delivery.email in known:
            continue
        known.add(delivery.email)
        message.deliveries.append(
            OutboxDelivery(
                email=delivery.email,
                notify_id=delivery.notify_id,
                status=delivery.status,
                detail=delivery.detail,
                created_at=now(),
            )
        )


def poll_delivery_statuses(limit: int = 100) -> int:
    """Ask Notify about emails whose outcome is not known yet (each at most every SFO_NOTIFY_POLL_SECONDS,
    for as long as Notify keeps them); a failure is written in the case's history for managers. Returns
    how many changed status."""
    if not enabled():
        return 0
    due = now() - dt.timedelta(seconds=current_app.config["SFO_NOTIFY_POLL_SECONDS"])
    with transaction():
        pending = list(
            db.session.execute(
                select(OutboxDelivery.id, OutboxDelivery.notify_id)
                .where(
                    OutboxDelivery.status.in_(IN_PROGRESS),
                    OutboxDelivery.notify_id.is_not(None),
                    OutboxDelivery.created_at > now() - NOTIFY_KEEPS,
                    func.coalesce(OutboxDelivery.checked_at, OutboxDelivery.created_at) <= due,
                )
                .order_by(func.coalesce(OutboxDelivery.checked_at, OutboxDelivery.created_at), OutboxDelivery.id)
                .limit(limit)
            )
        )
    if not pending:
        return 0
    from notifications_python_client.errors import HTTPError

    api = client()
    changed = 0
    for delivery_id, notify_id in pending:
        try:
            status = str(api.get_notification_by_id(notify_id)["status"])
        except HTTPError as error:
            log.warning("Notify status of delivery %s not read: %s", delivery_id, type(_classify(error)).__name__)
            if error.status_code == 429 or error.status_code >= 500:
                break  # Notify is busy or down: the next pass asks again
            status = ""
        changed += _record_status(delivery_id, status)
    return changed


def _record_status(delivery_id: int, status: str) -> bool:
    with transaction():
        delivery = db.session.get(OutboxDelivery, delivery_id, with_for_update=True)
        if delivery is None:
            return False
        delivery.checked_at = now()
        if not status or status == delivery.status:
            return False
        delivery.status = status
        if status in FAILURES:
            _note_failure(delivery)
        return True


def _note_failure(delivery: OutboxDelivery) -> None:
    message = db.session.get(OutboxMessage, delivery.outbox_id)
    if message is None:
        return
    instance = db.session.get(ProcessInstance, message.instance_id) if message.instance_id else None
    record_event(
        instance,
        "system",
        "notification-failed",
        f"GOV.UK Notify could not deliver a notification ('{message.subject}') to one recipient: "
        f"{STATUS_TEXT[delivery.status].lower()}.",
        outbox_id=message.id,
        notify_id=delivery.notify_id,
    )
