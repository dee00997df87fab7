"""Delivering the notification outbox: by SMTP when configured, otherwise recorded as sent in the log."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import OutboxMessage, ProcessInstance
from .runtime import now, transaction
from .users import get_user, users_in_group

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def _addresses(message: OutboxMessage) -> list[str]:
    if message.recipient.startswith("group:"):
        group = message.recipient.removeprefix("group:")
        if group != "provider":
            users = users_in_group(group)
        else:
            # Provider users only ever hear about their own organisation's cases; no organisation, nobody.
            instance = db.session.get(ProcessInstance, message.instance_id) if message.instance_id else None
            users = users_in_group(group, instance.provider_org) if instance and instance.provider_org else []
    else:
        user = get_user(message.recipient)
        users = [user] if user is not None and user.active else []
    return sorted({u.email for u in users if u.email})


def _send(message: OutboxMessage, addresses: list[str]) -> None:
    host = current_app.config["SFO_SMTP_HOST"]
    if not host:
        # No mail server: record the delivery without the content (it may hold personal data).
        log.info("notification %s (%s) recorded as sent to %d recipient(s)", message.id, message.kind, len(addresses))
        return
    if not addresses:
        return
    email = EmailMessage()
    email["From"] = current_app.config["SFO_MAIL_FROM"]
    email["To"] = ", ".join(addresses)
    email["Subject"] = message.subject
    email.set_content(message.body)
    with smtplib.SMTP(host, current_app.config["SFO_SMTP_PORT"], timeout=10) as smtp:
        smtp.send_message(email)


def _claim_next_pending() -> OutboxMessage | None:
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == "pending", OutboxMessage.deliver_after <= now())
        .order_by(OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return db.session.scalar(query)


def deliver_outbox(limit: int = 500) -> int:
    """Send pending messages one transaction each; return how many were sent."""
    sent = 0
    for _ in range(limit):
        with transaction():
            message = _claim_next_pending()
            if message is None:
                break
            message.attempts += 1
            addresses = _addresses(message)
            if not addresses and current_app.config["SFO_SMTP_HOST"]:
                message.status, message.last_error = "undeliverable", "No recipient has an email address."
                continue
            try:
                _send(message, addresses)
            except Exception as error:
                # Mail server trouble is retried with backoff; a message that cannot be built (e.g. a header
                # with a line break) never will be, and must not block the messages queued after it.
                transient = isinstance(error, (OSError, smtplib.SMTPException))
                message.last_error = f"{type(error).__name__}: {error}"[:500]
                message.status = "pending" if transient and message.attempts < MAX_ATTEMPTS else "failed"
                message.deliver_after = now() + dt.timedelta(minutes=2**message.attempts)
                log.warning(
                    "notification %s failed (attempt %d): %s", message.id, message.attempts, type(error).__name__
                )
                continue
            message.status, message.sent_at = "sent", now()
            sent += 1
    return sent
