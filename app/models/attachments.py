from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ..extensions import Model
from .types import UtcDateTime


class CaseAttachment(Model):
    """A document added to a case. Its bytes are in ``content`` (storage ``database``) or in a file named
    ``stored_name`` under SFO_ATTACHMENT_DIR (storage ``directory``); ``filename`` is the sanitised name
    it was uploaded with, ``content_type`` what its content was found to be (never what the browser said)."""

    __tablename__ = "case_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(80))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    storage: Mapped[str] = mapped_column(String(10))
    stored_name: Mapped[str | None] = mapped_column(String(64))
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))  # read only to download it
