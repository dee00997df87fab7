"""Append-only audit events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import AuditEvent, ProcessInstance
from .runtime import now


def record_event(
    instance: ProcessInstance | None, actor: str, kind: str, summary: str, *, task_id: str | None = None, **detail: Any
) -> AuditEvent:
    event = AuditEvent(
        instance_id=instance.id if instance is not None else None,
        occurred_at=now(),
        actor=actor,
        kind=kind,
        task_id=task_id,
        summary=summary,
        detail=detail,
    )
    db.session.add(event)
    return event


def events_of(instance: ProcessInstance) -> list[AuditEvent]:
    query = (
        select(AuditEvent).where(AuditEvent.instance_id == instance.id).order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    return list(db.session.scalars(query))
