"""Answers kept for API requests sent with an ``Idempotency-Key``, so a retry gets the first answer."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UtcDateTime


class IdempotencyKey(Model):
    """One caller's key: the request it was first used for (method, path and body, as a hash) and the
    answer given. The row is written in the transaction that does the request's work, so it exists
    exactly when that work was committed."""

    __tablename__ = "idempotency_key"

    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)
