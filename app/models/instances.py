from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import Model
from .definitions import ProcessDefinition
from .types import JsonDocument, UtcDateTime

OPEN_STATUSES = ("running", "waiting", "suspended", "error")


class ProcessInstance(Model):
    __tablename__ = "process_instance"
    __table_args__ = (UniqueConstraint("process_key", "business_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(120))
    business_key: Mapped[str] = mapped_column(String(120), index=True, unique=True)  # names one case
    # The last characters of the reference's keys as the anonymisation check reads them (as written, and without
    # the zeros that pad its numbers): a check reads only the cases whose reference may be in the text it checks.
    # Set with the reference; "" where it has no key, None where not yet worked out (a check then reads the case).
    # If the check's reading of references changes, a migration must work every case's tails out again.
    reference_tail: Mapped[str | None] = mapped_column(String(8), index=True, deferred=True)
    reference_tail_unpadded: Mapped[str | None] = mapped_column(String(8), index=True, deferred=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    stage: Mapped[str | None] = mapped_column(String(40), index=True)
    outcome: Mapped[str | None] = mapped_column(String(120))
    provider_org: Mapped[str | None] = mapped_column(String(120), index=True)
    reviewer: Mapped[str | None] = mapped_column(String(80), index=True)
    state: Mapped[str] = mapped_column(Text, deferred=True)
    data: Mapped[dict[str, Any]] = mapped_column(JsonDocument, deferred=True)
    error_element: Mapped[str | None] = mapped_column(String(120))
    error_message: Mapped[str | None] = mapped_column(Text)
    next_timer_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), index=True)
    lock_version: Mapped[int] = mapped_column(default=1)
    # The request that last changed the case (X-Request-Id): the worker logs its timers under it.
    request_id: Mapped[str | None] = mapped_column(String(64))
    # Set when the retention policy reduced the closed case to anonymised statistics.
    reduced_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())

    definition: Mapped[ProcessDefinition] = relationship(lazy="joined", innerjoin=True)

    __mapper_args__ = {"version_id_col": lock_version}

    @validates("business_key")
    def _keep_reference_tails(self, _key: str, reference: str) -> str:
        from ..services.anonymisation import reference_tails  # the check's reading of references

        self.reference_tail, self.reference_tail_unpadded = reference_tails(reference)
        return reference


class CaseProvider(Model):
    """A provider organisation that supervised the case: the one that notified it (``is_primary``) and any
    other named in the notification (a transfer between organisations). A provider user of any of them
    sees the case; the access checks and case lists read this table."""

    __tablename__ = "case_provider"

    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), primary_key=True)
    # Never read: the unit of work inserts a new case before its provider rows (see ``AuditEvent.instance``).
    instance: Mapped[ProcessInstance] = relationship(lazy="raise")
    organisation: Mapped[str] = mapped_column(String(120), primary_key=True, index=True)
    is_primary: Mapped[bool] = mapped_column(default=False)


_READY_UNHELD = text("state = 'ready' AND assignee IS NULL")


class Task(Model):
    """Projection of one human task of an instance: what inboxes and dashboards read."""

    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_lane_state", "lane", "state"),
        # the inbox's two lists, each in its whole order (``tasks._order``) so that a page reads only its rows:
        # a team's unclaimed tasks and a person's held tasks, soonest due first
        Index(
            "ix_task_ready_unheld",
            "lane",
            "due_on",
            "created_at",
            "id",
            postgresql_where=_READY_UNHELD,
            sqlite_where=_READY_UNHELD,
        ),
        Index("ix_task_held_due", "assignee", "state", "due_on", "created_at", "id"),
        # the tasks a person completed, newest first: the inbox counts them on every page
        Index("ix_task_completed_by", "completed_by", "state", "completed_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    bpmn_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(250))
    lane: Mapped[str | None] = mapped_column(String(40))
    stage: Mapped[str | None] = mapped_column(String(40))
    assignee: Mapped[str | None] = mapped_column(String(80))
    organisation: Mapped[str | None] = mapped_column(String(120), index=True)
    due_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    state: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    completed_by: Mapped[str | None] = mapped_column(String(80))
    completed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())

    instance: Mapped[ProcessInstance] = relationship(lazy="joined", innerjoin=True)

    @property
    def candidate_groups(self) -> list[str]:
        return [self.lane] if self.lane else []

    @property
    def business_key(self) -> str:
        return self.instance.business_key


class TaskDraft(Model):
    __tablename__ = "task_draft"

    task_id: Mapped[str] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
