"""The quarterly lessons digest: once a quarter has ended the worker produces its digest (themes,
failures by kind, good practice, lessons, recommendations by addressee and status) as HTML and PDF, keeps
it, and announces it to every team. Every signed-in person can read the digests.

The document names no case: it is shared with every provider, who may only see their own cases. A
quarter in which no review was tagged has no digest.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from flask import render_template
from sqlalchemy import select, text
from sqlalchemy.orm import defer

from ..extensions import db
from ..models import LessonsDigest, OutboxMessage, ProcessInstance, ReviewTheme
from ..models.users import GROUP_TITLES
from . import anonymisation
from .lessons import Digest, lessons_digest
from .publication_record import CaseRecord
from .runtime import london_today, now, transaction

log = logging.getLogger(__name__)


def quarter_of(day: dt.date) -> tuple[str, dt.date, dt.date]:
    first_month = (day.month - 1) // 3 * 3 + 1
    start = dt.date(day.year, first_month, 1)
    following = dt.date(day.year + (first_month == 10), (first_month + 2) % 12 + 1, 1)
    return f"{start.year}-Q{(first_month - 1) // 3 + 1}", start, following - dt.timedelta(days=1)


def last_ended_quarter(today: dt.date) -> tuple[str, dt.date, dt.date]:
    _, start, _ = quarter_of(today)
    return quarter_of(start - dt.timedelta(days=1))


WITHHELD = (
    "Withheld from this digest: it may identify someone in the review. Managers can read it on the lessons pages."
)


def shareable(digest: Digest) -> Digest:
    """The digest with each review's own words kept only where the anonymisation check finds nothing of its
    case in them: lessons and good practice are written in the review, not anonymised as a published
    report is, and the digest goes to every provider."""
    references = [entry.reference for entry in digest.entries]
    cases = {
        row.business_key: row
        for row in db.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key.in_(references)))
    }
    entries = []
    for entry in digest.entries:
        row = cases.get(entry.reference)
        matchers = (  # the case's identifiers and, as for its published report, the redaction log's originals
            anonymisation.identifiers(
                anonymisation.with_other_cases(CaseRecord(row).case_for_check(), (entry.lessons, entry.good_practice)),
                (row.data or {}).get("redaction_log"),
            )
            if row is not None
            else []
        )

        def safe(text: str, where: str) -> str:
            if not text.strip():
                return text
            clean = row is not None and not anonymisation.check_text("digest", where, text, matchers)  # noqa: B023
            return text if clean else WITHHELD

        entries.append(
            replace(
                entry, lessons=safe(entry.lessons, "Lessons"), good_practice=safe(entry.good_practice, "Good practice")
            )
        )
    return replace(digest, entries=entries)


def render_digest(period: str, start: dt.date, end: dt.date, today: dt.date) -> tuple[str, bytes, int]:
    """The digest document as HTML and PDF, and how many reviews it covers. The reads end their transaction
    before the PDF is made (about a minute at 1,000 reviews): the database ends a transaction idle that long."""
    from weasyprint import HTML  # slow to import: only when a digest is produced

    with transaction():
        digest = shareable(lessons_digest(start, end, today))
        html = render_template("lessons/digest_document.html", digest=digest, period=period, produced_on=today)
    return html, HTML(string=html).write_pdf(pdf_variant="pdf/ua-1"), len(digest.entries)


def produce_due_digest() -> LessonsDigest | None:
    """The digest of the last quarter that has ended, if it has not been produced yet (one worker produces
    it: the others see it is taken, or made, and go on)."""
    today = london_today()
    period, start, end = last_ended_quarter(today)
    with transaction():
        due = not _produced(period) and _tagged_in(start, end)
    if not due:
        return None  # made already, or no review tagged in the quarter (one indexed query a pass)
    with _producing_alone(period) as alone:
        if not alone:
            return None  # another worker is producing it now
        with transaction():
            if _produced(period):
                return None  # another worker produced it while this one looked
        html, pdf, reviews = render_digest(period, start, end, today)
        with transaction():  # committed before the claim is let go
            return _store(period, start, end, reviews, html, pdf)


def _produced(period: str) -> bool:
    return db.session.scalar(select(LessonsDigest.period).where(LessonsDigest.period == period)) is not None


def _tagged_in(start: dt.date, end: dt.date) -> bool:
    tagged = select(ReviewTheme.instance_id).where(ReviewTheme.tagged_on >= start, ReviewTheme.tagged_on <= end)
    return db.session.scalar(tagged.limit(1)) is not None


def _store(period: str, start: dt.date, end: dt.date, reviews: int, html: str, pdf: bytes) -> LessonsDigest:
    digest = LessonsDigest(period=period, start=start, end=end, reviews=reviews, html=html, pdf=pdf, created_at=now())
    db.session.add(digest)
    for group in GROUP_TITLES:
        if group == "provider":
            continue  # provider notices are per organisation and per case; providers read the list page
        db.session.add(
            OutboxMessage(
                kind="lessons-digest",
                recipient=f"group:{group}",
                instance_id=None,
                subject=f"Lessons digest: {start:%B} to {end:%B %Y}",
                body=(
                    f"The lessons digest for {start:%-d %B} to {end:%-d %B %Y} is ready: themes, failures by "
                    f"kind, good practice and where the recommendations stand, from {reviews} "
                    f"review{'s' if reviews != 1 else ''}.\n\nRead it in the service under Lessons digests.\n"
                ),
                created_at=now(),
                deliver_after=now(),
            )
        )
    log.info("lessons digest %s produced (%d reviews, %d bytes of PDF)", period, reviews, len(pdf))
    return digest


# The key of the digest's lock ("DIGS" in ASCII), paired with the period: nothing else uses it.
DIGEST_LOCK_KEY = 0x44494753


@contextmanager
def _producing_alone(period: str) -> Iterator[bool]:
    """Whether this worker is the one to produce the period's digest: on PostgreSQL, the one that holds a lock
    for it, so a second worker neither renders it again nor fails its pass on the duplicate. The lock is held by
    a connection of its own outside any transaction (the rendering takes longer than the database lets one sit
    idle), and let go when the digest is stored, or by the database if the worker dies. SQLite has one writer."""
    if db.engine.dialect.name != "postgresql":
        yield True
        return
    key = {"key": DIGEST_LOCK_KEY, "period": period}
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        taken = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key, hashtext(:period))"), key))
        try:
            yield taken
        finally:
            if taken:
                connection.execute(text("SELECT pg_advisory_unlock(:key, hashtext(:period))"), key)


def list_digests() -> list[LessonsDigest]:
    query = select(LessonsDigest).order_by(LessonsDigest.start.desc())
    return list(db.session.scalars(query.options(defer(LessonsDigest.html), defer(LessonsDigest.pdf))))


def get_digest(period: str) -> LessonsDigest | None:
    return db.session.get(LessonsDigest, period)
