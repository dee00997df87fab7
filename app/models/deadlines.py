from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .instances import Task
from .types import UtcDateTime


class DeadlineExtension(Model):
    """A task's deadline moved to a later date by a manager: who approved it, when and why."""

    __tablename__ = "deadline_extension"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(120))
    stage: Mapped[str | None] = mapped_column(String(40))
    due_variable: Mapped[str] = mapped_column(String(120))
    previous_due: Mapped[dt.date | None] = mapped_column(Date)
    new_due: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    approved_by: Mapped[str] = mapped_column(String(80))
    approved_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)


# The monitoring figures count ready (and overdue) tasks across every case.
Index("ix_task_state_due_on", Task.state, Task.due_on)
