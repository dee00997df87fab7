"""The case list as CSV a spreadsheet opens safely."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any

from ...working_days import as_date
from ..spreadsheet_cells import SafeCsvWriter
from .case_list import CaseRow

CSV_COLUMNS = (
    "Case reference",
    "Stage",
    "Status",
    "Reviewer",
    "Provider",
    "Process version",
    "Notified",
    "Last change",
    "Next due",
    "Overdue",
)


def cases_csv(rows: Iterable[CaseRow]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer)

    def line(values: Iterable[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(CSV_COLUMNS)
    for row in rows:
        yield line(
            (
                row.reference,
                row.stage,
                row.status,
                row.reviewer,
                row.provider,
                row.version,
                as_date(row.notified).isoformat(),
                as_date(row.updated).isoformat(),
                row.next_due.isoformat() if row.next_due else "",
                "yes" if row.overdue else "no",
            )
        )
