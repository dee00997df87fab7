"""Figures read as counts from the database: the rows a figure reads grow with the groups it shows (addressees,
statuses, quarters, themes), not with the records counted. At 10,000 cases the themes and lessons page read
14,409 rows (every recommendation as a whole record, and every failure and theme tag) and took 378 ms."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event

from app.extensions import db
from app.models import RecommendationRecord, ReviewFailure, ReviewTheme
from app.services import lessons, publication
from app.services.publication import PER_PAGE
from tests.sfo_case import SfoCase
from tests.web.test_published_search import add_published

RECORDS = 200


def _rows_read(call: Any) -> int:
    """The rows the statements ``call`` sends return (PostgreSQL's driver counts them as it reads them)."""
    read = []

    def note(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            read.append(max(cursor.rowcount, 0))

    event.listen(db.engine, "after_cursor_execute", note)
    try:
        call()
    finally:
        event.remove(db.engine, "after_cursor_execute", note)
    return sum(read)


def _many_records(people: Any, definition: Any) -> None:
    """RECORDS recommendations and failures on each of two cases, all of one addressee, status and class."""
    day = dt.date(2027, 2, 1)
    for reference in ("SFO-ROWS-1", "SFO-ROWS-2"):
        case = SfoCase(people, definition, reference=reference)
        db.session.add(ReviewTheme(instance_id=case.row.id, theme_code="mappa", tagged_on=day))
        for number in range(1, RECORDS + 1):
            db.session.add(
                RecommendationRecord(
                    instance_id=case.row.id,
                    number=number,
                    addressee="hmpps",
                    level="national",
                    text="A.",
                    themes=["mappa"],
                    response="accept",
                    target_date=day,
                    progress="in_progress",
                    sent_on=day,
                )
            )
            db.session.add(
                ReviewFailure(
                    instance_id=case.row.id,
                    number=number,
                    classification="systemic",
                    relevant_to_outcome=True,
                    description="A failure.",
                    approved_on=day,
                )
            )
    db.session.commit()


def test_the_lessons_figures_read_a_row_for_each_group_not_for_each_record(app, postgresql, people, sfo_definition):
    _many_records(people, sfo_definition)
    today = dt.date(2027, 3, 1)
    figures: dict[str, Any] = {}

    def page() -> None:
        figures["themes"] = lessons.theme_counts("quarter")
        figures["recommendations"] = lessons.recommendation_counts(today)
        figures["failures"] = lessons.failure_counts("quarter")

    read = _rows_read(page)

    assert figures["themes"].reviews == 2 and figures["themes"].recommendations == {"mappa": 2 * RECORDS}
    hmpps = next(row for row in figures["recommendations"].rows if row[2])
    assert hmpps[2] == 2 * RECORDS and figures["failures"].total == 2 * RECORDS
    assert read < RECORDS, f"{read} rows read for {2 * RECORDS} recommendations and {2 * RECORDS} failures"


PUBLISHED = 60


def test_the_public_list_reads_its_page_and_its_choices_not_every_report(app, postgresql):
    """The list read every matching report's id and themes to filter by theme and page in Python, and its
    filters read every report's year, offence and themes."""
    for number in range(1, PUBLISHED + 1):
        report = add_published(number, f"Review {number}", "A summary.")
        report.themes = ["mappa"] if number % 2 else ["mappa", "risk_assessment"]
        report.year = 2026 + number % 3
    db.session.commit()
    found: dict[str, Any] = {}

    def page() -> None:
        found["page"] = publication.list_published(publication.PublishedFilters(theme="risk_assessment"), page=2)
        found["choices"] = publication.published_choices()

    read = _rows_read(page)

    shown = found["page"]
    assert shown.total == PUBLISHED // 2 and shown.page == 2 and len(shown.reports) == PUBLISHED // 2 - PER_PAGE
    assert all("risk_assessment" in report.themes for report in shown.reports)
    assert found["choices"] == ([2028, 2027, 2026], [("murder", "Murder")], ["mappa", "risk_assessment"])
    assert read < PUBLISHED, f"{read} rows read for a page of {len(shown.reports)} of {PUBLISHED} reports"
