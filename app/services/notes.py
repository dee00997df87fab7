"""Case notes: anyone who may see a case may add a note to it. A note is an audit event (kind
``case-note``, its text in the detail), so it is on the case's timeline, in its audit trail and in its
exported record, and goes with them under the retention policy."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import AuditEvent, ProcessInstance, User
from .access import check_instance_visible
from .audit import record_event
from .errors import Invalid
from .runtime import transactional

NOTE_KIND = "case-note"
NOTE_MAX_CHARS = 4000


def note_text(text: str | None) -> str:
    """The note as it is kept: line endings as newlines, no blank lines around it; refused when empty or too long."""
    cleaned = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not cleaned:
        raise Invalid("Enter the note.", {"note": ["Enter the note"]})
    if len(cleaned) > NOTE_MAX_CHARS:
        message = f"The note must be {NOTE_MAX_CHARS:,} characters or fewer (it has {len(cleaned):,})"
        raise Invalid(message + ".", {"note": [message]})
    return cleaned


@transactional
def add_note(user: User, row: ProcessInstance, text: str | None) -> AuditEvent:
    check_instance_visible(user, row)
    return record_event(row, user.username, NOTE_KIND, "Note added", text=note_text(text))


def notes_of(user: User, row: ProcessInstance) -> list[AuditEvent]:
    """The case's notes, oldest first."""
    check_instance_visible(user, row)
    query = (
        select(AuditEvent)
        .where(AuditEvent.instance_id == row.id, AuditEvent.kind == NOTE_KIND)
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    return list(db.session.scalars(query))
