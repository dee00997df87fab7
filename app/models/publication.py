"""Published reports (the only table the public pages read), the managed list of themes, and the
lessons projections (themes tagged on each review, recommendations with their status) that the
monitoring pages count without loading case data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import JsonDocument, UtcDateTime


class PublishedReport(Model):
    """A snapshot of the anonymised report taken when it was published. It holds only what was
    checked and approved for publication, so the public pages never read case data."""

    __tablename__ = "published_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_instance.id", ondelete="SET NULL"), unique=True, nullable=True
    )
    title: Mapped[str] = mapped_column(String(250))
    # Written by the publication team with the anonymised text (checked with it); None for reviews
    # published before summaries came in.
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Everything a visitor can search (title, summary, the report's text), written with the snapshot.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    published_on: Mapped[dt.date] = mapped_column(Date, index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    offence_type: Mapped[str] = mapped_column(String(80), index=True)
    offence_title: Mapped[str] = mapped_column(String(200))
    content: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    themes: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    published_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())

    # PostgreSQL's words of search_text (to_tsvector 'english'), written with it; unused on SQLite.
    search_vector: Mapped[Any] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"), nullable=True)

    __table_args__ = (
        # PostgreSQL's full-text search of the public list (SQLite searches with LIKE instead).
        Index("ix_published_report_search", search_vector, postgresql_using="gin").ddl_if(dialect="postgresql"),
    )


class Theme(Model):
    """One entry of the managed list of themes that findings and recommendations are tagged with."""

    __tablename__ = "theme"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ReviewTheme(Model):
    """A theme tagged on a review's findings, dated when it was tagged."""

    __tablename__ = "review_theme"

    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), primary_key=True)
    theme_code: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)
    tagged_on: Mapped[dt.date] = mapped_column(Date, index=True)


class RecommendationRecord(Model):
    """One recommendation of a report sent to the provider, with the provider's response and progress."""

    __tablename__ = "recommendation_record"

    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    addressee: Mapped[str] = mapped_column(String(60), index=True)
    level: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    themes: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    response: Mapped[str | None] = mapped_column(String(20))
    target_date: Mapped[dt.date | None] = mapped_column(Date)
    progress: Mapped[str | None] = mapped_column(String(20))
    sent_on: Mapped[dt.date] = mapped_column(Date, index=True)
    # the case's provider, for the inspection view; and the action as its addressee tracks it after the review
    provider_org: Mapped[str | None] = mapped_column(String(120), index=True, nullable=True)
    tracking_status: Mapped[str | None] = mapped_column(
        String(20), nullable=True
    )  # accepted | in_progress | done | not_done
    evidence: Mapped[str | None] = mapped_column(Text, nullable=True)
    done_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    tracked_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    tracked_by: Mapped[str | None] = mapped_column(String(80), nullable=True)


class ReviewFailure(Model):
    """A failure an approved report records, classified, dated when the report was approved."""

    __tablename__ = "review_failure"

    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    classification: Mapped[str] = mapped_column(String(20), index=True)
    relevant_to_outcome: Mapped[bool] = mapped_column(Boolean)
    description: Mapped[str] = mapped_column(Text)
    approved_on: Mapped[dt.date] = mapped_column(Date, index=True)


class LessonsDigest(Model):
    """The lessons digest of one quarter, produced by the worker once the quarter has ended: the
    document as HTML and PDF, kept as it was sent out."""

    __tablename__ = "lessons_digest"

    period: Mapped[str] = mapped_column(String(10), primary_key=True)  # 2027-Q1
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date] = mapped_column(Date)
    reviews: Mapped[int] = mapped_column(Integer)
    html: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class PublicationCounter(Model):
    """The last publication number given out in a year. Taking a number increments this row in one
    statement, which holds its lock until the publication commits: two publications at once queue
    here instead of both counting the same reports and clashing on the slug."""

    __tablename__ = "publication_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer)
