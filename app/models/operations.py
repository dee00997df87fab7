"""The service's own running state: when each worker last completed a pass (readiness, metrics)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UtcDateTime


class WorkerPass(Model):
    """One row per worker process (host and process id), updated at the end of every pass."""

    __tablename__ = "worker_pass"

    worker: Mapped[str] = mapped_column(String(120), primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    last_pass_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), index=True)
    last_failure_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
