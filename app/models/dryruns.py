from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .definitions import ProcessDefinition
from .types import JsonDocument, UtcDateTime

ACTIVE_STATUSES = ("queued", "running")
FINAL_STATUSES = ("passed", "failed", "error", "timed_out")
_ACTIVE = text("status IN ('queued', 'running')")


class DryRunJob(Model):
    """The checks and dry run of a set of files, run by a worker in a child process of its own.

    ``purpose`` is ``check`` (report only) or ``deploy`` (deploy the files when they pass). The files are
    kept whole, so what is deployed is exactly what was checked, whatever happens to the draft meanwhile.
    Times are machine time: they measure the work, not the business clock that deadlines use.
    """

    __tablename__ = "dry_run_job"
    __table_args__ = (
        # The same files cannot be queued twice for the same purpose while a run of them is under way:
        # a double submit (or two process owners at once) gets the job that exists.
        Index(
            "uq_dry_run_job_active_files",
            "purpose",
            "checksum",
            unique=True,
            postgresql_where=_ACTIVE,
            sqlite_where=_ACTIVE,
        ),
        Index("ix_dry_run_job_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(10))
    process_key: Mapped[str | None] = mapped_column(String(120), index=True)
    files: Mapped[dict[str, str]] = mapped_column(JsonDocument, deferred=True)
    checksum: Mapped[str] = mapped_column(String(64))
    requested_by: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(12), default="queued")
    states: Mapped[int] = mapped_column(Integer, default=0)
    paths: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
    definition_id: Mapped[int | None] = mapped_column(ForeignKey("process_definition.id", ondelete="SET NULL"))
    outcome: Mapped[str | None] = mapped_column(Text)
    runner: Mapped[str | None] = mapped_column(String(120))
    child_pid: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    started_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    progress_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    definition: Mapped[ProcessDefinition | None] = relationship()

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def problems(self) -> dict[str, list[str]]:
        return dict((self.result or {}).get("problems") or {})

    @property
    def report(self) -> dict[str, Any] | None:
        return (self.result or {}).get("report")

    @property
    def model_key(self) -> str | None:
        """The process the files define (known once they were parsed), else the process asked about."""
        return (self.result or {}).get("key") or self.process_key
