"""Figures read as counts from the database: the rows a figure reads grow with the groups it shows (addressees,
statuses, quarters, themes), not with the records counted. At 10,000 cases the themes and lessons page read
14,409 rows (every recommendation as a whole record, and every failure and theme tag) and took 378 ms."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event

from app.extensions import db
from app.models import RecommendationRecord, ReviewFailure, ReviewTheme
from app.services import lessons
from tests.sfo_case import SfoCase

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
