"""Delivering the notification outbox: through GOV.UK Notify or by SMTP when configured, otherwise
recorded as sent in the log.

Each message is sent in three steps so that no message is sent twice by two workers or by a retry:
1. claim: the row is locked (``SKIP LOCKED``), marked ``sending`` with its claim time and committed;
2. send: the channel is called with no transaction open, carrying the row id as a stable reference
   (the email's Message-ID, or Notify's ``reference``);
3. record: ``sent`` (or a retry, or ``failed``) is committed.
A worker that dies between 1 and 3 leaves the row ``sending``. Once its lease has run out, a later
pass resolves it: the log channel records it again (recording a reference twice changes nothing);
SMTP cannot be asked whether a message arrived, so the row becomes ``unknown`` and the case's history
says so for a manager to check, rather than risking a second email. Delivery by SMTP is therefore
at most once for such a row, and exactly once otherwise. Notify can be asked: the row is sent again,
and the retry first asks Notify which recipients already have a notification with the row's reference
(see notify.py), so Notify rows are delivered exactly once.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from flask import current_app
from sqlalchemy import or_, select

from ..extensions import db
from ..models import OutboxDelivery, OutboxMessage, ProcessInstance, Task, User
from ..telemetry.logs import log_context
from . import notify
from .audit import record_event
from .case_providers import providers_of
from .runtime import now, transaction
from .users import get_user, users_in_group

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
# Longer than any one send can take (the SMTP timeout is 10 s): a row still sending after this was
# left by a worker that stopped.
SENDING_LEASE = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Claimed:
    """What the send step needs, read while the row was claimed (no database access while sending)."""

    id: int
    kind: str
    channel: str  # log, smtp or notify
    addresses: list[str]
    email: EmailMessage | None = None  # smtp: the email to send
    problem: Exception | None = None  # the message could not be built
    template_id: str = ""  # notify: the template of the row's kind
    personalisation: dict[str, str] | None = None
    retry: bool = False  # notify: an earlier attempt may have reached Notify
    request_id: str | None = None  # the request that queued it: the lines about it carry its id
    case_id: int | None = None


def _addresses(message: OutboxMessage) -> list[str]:
    if message.recipient.startswith("group:"):
        group = message.recipient.removeprefix("group:")
        # a provider user in another team's group never sees that team's tasks, nor other organisations' cases
        users = (
            _provider_users(message)
            if group == "provider"
            else [user for user in users_in_group(group) if not user.is_provider]
        )
    else:
        user = get_user(message.recipient)
        users = [user] if user is not None and user.active else []
    return sorted({u.email for u in users if u.email})


def _provider_users(message: OutboxMessage) -> list[User]:
    """Provider users only ever hear about their own organisation's cases; no organisation, nobody. A
    notice about a task goes to the organisation the task is for; a notice about the case goes to each
    of its providers."""
    instance = db.session.get(ProcessInstance, message.instance_id) if message.instance_id else None
    if instance is None:
        return []
    task = db.session.get(Task, message.task_id) if message.task_id else None
    if task is not None:
        return users_in_group("provider", task.organisation) if task.organisation else []
    return [user for organisation in providers_of(instance) for user in users_in_group("provider", organisation)]


def message_id(message_id_number: int) -> str:
    """The stable reference of an outbox row, the same on every attempt to send it."""
    sender = str(current_app.config["SFO_MAIL_FROM"])
    domain = sender.rpartition("@")[2] or "sfo.localhost"
    return f"<sfo-outbox-{message_id_number}@{domain}>"


def _email(message: OutboxMessage, addresses: list[str]) -> EmailMessage:
    email = EmailMessage()
    email["Message-ID"] = message_id(message.id)
    email["From"] = current_app.config["SFO_MAIL_FROM"]
    email["To"] = ", ".join(addresses)
    email["Subject"] = message.subject
    email.set_content(message.body)
    return email


def channel() -> str:
    """Where notifications go: GOV.UK Notify when an API key is set, else SMTP when a host is, else the log."""
    if notify.enabled():
        return "notify"
    return "smtp" if current_app.config["SFO_SMTP_HOST"] else "log"


def _send(claimed: Claimed) -> tuple[list[notify.Delivery], Exception | None]:
    """Step 2: what was sent through Notify (nothing is recorded for the other channels) and the error."""
    if claimed.channel == "notify":
        return notify.send(
            claimed.id, claimed.addresses, claimed.template_id, claimed.personalisation or {}, claimed.retry
        )
    if claimed.email is None:
        # No mail server: record the delivery without the content (it may hold personal data).
        log.info(
            "notification %s (%s) recorded as sent to %d recipient(s)", claimed.id, claimed.kind, len(claimed.addresses)
        )
        return [], None
    with smtplib.SMTP(current_app.config["SFO_SMTP_HOST"], current_app.config["SFO_SMTP_PORT"], timeout=10) as smtp:
        smtp.send_message(claimed.email)
    log.info("notification %s (%s) sent by SMTP to %d recipient(s)", claimed.id, claimed.kind, len(claimed.addresses))
    return [], None


def _claim_next_pending() -> OutboxMessage | None:
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == "pending", OutboxMessage.deliver_after <= now())
        .order_by(OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return db.session.scalar(query)


def _claim() -> Claimed | None:
    """Step 1: the next due message, marked sending and committed; None when nothing is due."""
    chosen = channel()
    while True:
        with transaction():
            message = _claim_next_pending()
            if message is None:
                return None
            message.attempts += 1
            addresses = _addresses(message)
            if chosen != "log" and not addresses:
                message.status, message.last_error = "undeliverable", "No recipient has an email address."
                continue
            message.status, message.claimed_at, message.channel = "sending", now(), chosen
            if chosen == "notify":
                return _claimed_for_notify(message, addresses)
            try:
                email = _email(message, addresses) if chosen == "smtp" else None
            except Exception as problem:  # e.g. a header with a line break: it never will be sendable
                return Claimed(message.id, message.kind, chosen, addresses, problem=problem, **_origin(message))
            return Claimed(message.id, message.kind, chosen, addresses, email, **_origin(message))


def _origin(message: OutboxMessage) -> dict[str, Any]:
    return {"request_id": message.request_id, "case_id": message.instance_id}


def _claimed_for_notify(message: OutboxMessage, addresses: list[str]) -> Claimed:
    template = notify.template_for(message.kind)
    problem = None
    if not template:
        variable = f"SFO_NOTIFY_TEMPLATE_{message.kind.upper()}"
        problem = notify.NotifyRefused(
            f"No GOV.UK Notify template is set for '{message.kind}' notifications ({variable})."
        )
    already = {d.email for d in message.deliveries}
    return Claimed(
        message.id,
        message.kind,
        "notify",
        [a for a in addresses if a not in already],
        problem=problem,
        template_id=template or "",
        personalisation=message.personalisation,
        retry=message.attempts > 1,
        **_origin(message),
    )


def _record(claimed: Claimed, deliveries: list[notify.Delivery], error: Exception | None) -> bool:
    """Step 3: the outcome of the send, committed; True if the message was sent."""
    with transaction():
        message = db.session.get(OutboxMessage, claimed.id, with_for_update=True)
        if message is None:
            return False
        notify.record_deliveries(message, deliveries)
        if message.status != "sending":
            return False
        message.claimed_at = None
        if error is None and message.deliveries and all(d.status == notify.REJECTED for d in message.deliveries):
            message.status, message.last_error = "undeliverable", "GOV.UK Notify refused every recipient's address."
            return False
        if error is None:
            message.status, message.sent_at = "sent", now()
            return True
        # Mail server or Notify trouble is retried with backoff; a message that cannot be built (or that
        # Notify refuses) never will be sent, and must not block the messages queued after it.
        transient = isinstance(error, (OSError, smtplib.SMTPException, notify.NotifyUnavailable))
        message.last_error = f"{type(error).__name__}: {error}"[:500]
        message.status = "pending" if transient and message.attempts < MAX_ATTEMPTS else "failed"
        message.deliver_after = now() + dt.timedelta(minutes=2**message.attempts)
        log.warning("notification %s failed (attempt %d): %s", message.id, message.attempts, type(error).__name__)
        return False


def resolve_abandoned_sends() -> int:
    """Rows left ``sending`` by a worker that stopped: sent again where the channel makes that harmless,
    otherwise marked ``unknown`` and noted on the case. Returns how many were resolved."""
    resolved = 0
    current = channel()
    while True:
        with transaction():
            message = db.session.scalar(
                select(OutboxMessage)
                .where(OutboxMessage.status == "sending", OutboxMessage.claimed_at <= now() - SENDING_LEASE)
                .order_by(OutboxMessage.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if message is None:
                return resolved
            resolved += 1
            message.claimed_at = None
            if (message.channel or current) != "smtp":
                # The log channel: recording it again is harmless. Notify: the retry asks Notify first.
                message.status = "pending"
                continue
            message.status = "unknown"
            message.last_error = "The worker stopped while sending; the mail server may or may not have it."
            log.warning("notification %s: its worker stopped mid-send; not sent again", message.id)
            _flag_for_managers(message)


def _flag_for_managers(message: OutboxMessage) -> None:
    instance = db.session.get(ProcessInstance, message.instance_id) if message.instance_id else None
    record_event(
        instance,
        "system",
        "notification-unknown",
        f"A notification ('{message.subject}') may not have been sent: the worker stopped while sending it. "
        "Check with its recipients.",
        outbox_id=message.id,
        message_id=message_id(message.id),
    )


STATUS_TEXT = {
    "pending": "Waiting to be sent",
    "sending": "Sending",
    "sent": "Sent",
    "failed": "Not sent: failed",
    "undeliverable": "Not sent: no address",
    "unknown": "May not have been sent",
}


def messages_of(instance_id: int) -> list[OutboxMessage]:
    """The case's notifications, newest first, with what GOV.UK Notify said of each recipient's copy."""
    query = select(OutboxMessage).where(OutboxMessage.instance_id == instance_id)
    return list(db.session.scalars(query.order_by(OutboxMessage.id.desc())))


NOT_DELIVERED = ("failed", "undeliverable", "unknown")


def undelivered(limit: int) -> list[tuple[OutboxMessage, str | None]]:
    """Messages not sent, maybe not sent, or that Notify could not deliver to a recipient, newest first,
    each with its case's reference."""
    failing = select(OutboxDelivery.outbox_id).where(OutboxDelivery.status.in_((*notify.FAILURES, notify.REJECTED)))
    query = (
        select(OutboxMessage, ProcessInstance.business_key)
        .outerjoin(ProcessInstance, ProcessInstance.id == OutboxMessage.instance_id)
        .where(or_(OutboxMessage.status.in_(NOT_DELIVERED), OutboxMessage.id.in_(failing)))
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    return [(message, reference) for message, reference in db.session.execute(query)]


def deliver_outbox(limit: int = 500) -> int:
    """Send due messages, each claimed, sent and recorded in turn; return how many were sent."""
    resolve_abandoned_sends()
    sent = 0
    for _ in range(limit):
        claimed = _claim()
        if claimed is None:
            break
        with log_context(claimed.request_id, claimed.case_id):
            deliveries: list[notify.Delivery] = []
            error = claimed.problem
            if error is None:
                try:
                    deliveries, error = _send(claimed)
                except Exception as failure:
                    error = failure
            sent += _record(claimed, deliveries, error)
    return sent
