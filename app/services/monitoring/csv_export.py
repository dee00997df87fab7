"""The case list as CSV a spreadsheet opens safely."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from ...working_days import as_date
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
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """A cell a spreadsheet shows as text: values starting like a formula get a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cases_csv(rows: Iterable[CaseRow]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: Iterable[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_safe(v) for v in values])
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
