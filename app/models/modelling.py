from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import JsonDocument, UtcDateTime


class ProcessDraft(Model):
    """A process owner's unsaved work on a process: whole files (BPMN, DMN, forms) by name, one per process."""

    __tablename__ = "process_draft"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    files: Mapped[dict[str, str]] = mapped_column(JsonDocument)
    base_version: Mapped[int | None] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
