from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import JsonDocument, UtcDateTime

if TYPE_CHECKING:
    from .instances import ProcessInstance


class AuditEvent(Model):
    """Append-only history of everything that happened to an instance (or a definition)."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    # Never read: it tells the unit of work to insert a new case before the rows that refer to it (a case
    # is inserted with the outcome of its first step, in the same flush as them).
    instance: Mapped[ProcessInstance | None] = relationship(lazy="raise")
    occurred_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))
    task_id: Mapped[str | None] = mapped_column(String(36))
    summary: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)


class OutboxMessage(Model):
    """A notification waiting to be sent (or sent): written in the same transaction as its cause.

    ``status``: pending -> sending (claimed and committed before the channel is called, at
    ``claimed_at``) -> sent, or back to pending for a retry, or failed / undeliverable; a row still
    ``sending`` after its lease belonged to a worker that died mid-send and is resolved on a later
    pass (``unknown`` where the channel cannot tell whether it arrived). The row id is the message's
    stable reference (its Message-ID, or GOV.UK Notify's ``reference``). ``channel`` is the one that
    claimed it (log, smtp or notify); ``personalisation`` holds the values a Notify template is given."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "status", "deliver_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    # Never read: the unit of work inserts a new case before its messages (see ``AuditEvent.instance``).
    instance: Mapped[ProcessInstance | None] = relationship(lazy="raise")
    task_id: Mapped[str | None] = mapped_column(String(36))
    subject: Mapped[str] = mapped_column(String(250))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    deliver_after: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    channel: Mapped[str | None] = mapped_column(String(10))
    personalisation: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
    # The request that queued the message (X-Request-Id): the worker logs its delivery under it.
    request_id: Mapped[str | None] = mapped_column(String(64))
    deliveries: Mapped[list[OutboxDelivery]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="OutboxDelivery.id"
    )


class OutboxDelivery(Model):
    """One recipient's copy of an outbox message sent through GOV.UK Notify, and what Notify last said of it.

    ``status`` is Notify's (created, sending, delivered, permanent-failure, temporary-failure,
    technical-failure), or ``rejected`` when Notify refused the recipient (no ``notify_id`` then)."""

    __tablename__ = "outbox_delivery"
    __table_args__ = (UniqueConstraint("outbox_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    notify_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    status: Mapped[str] = mapped_column(String(30), index=True)
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    checked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
