from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import JsonDocument, UtcDateTime


class ProcessDefinition(Model):
    """One immutable deployed version: its BPMN, DMN and form files together."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    # The files are read only when a version is parsed (once per process, see services.runtime) or
    # downloaded: deferred, so the many queries that join an instance's definition stay small.
    bpmn: Mapped[dict[str, str]] = mapped_column(JsonDocument, deferred=True)
    dmn: Mapped[dict[str, str]] = mapped_column(JsonDocument, deferred=True)
    forms: Mapped[dict[str, Any]] = mapped_column(JsonDocument, deferred=True)
    checksum: Mapped[str] = mapped_column(String(64))
    change_summary: Mapped[str] = mapped_column(Text, default="")
    deployed_by: Mapped[str] = mapped_column(String(80))
    deployed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())

    def files(self) -> dict[str, bytes]:
        import json

        files = {name: text.encode() for name, text in {**self.bpmn, **self.dmn}.items()}
        files.update({name: json.dumps(form, sort_keys=True).encode() for name, form in self.forms.items()})
        return files
