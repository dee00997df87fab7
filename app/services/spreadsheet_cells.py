"""The CSV downloads (case list, lessons digest, open recommendations) as a spreadsheet opens them safely: a
cell that starts like a formula gets a leading apostrophe, so it shows as text. Every cell, not only the free
text: a theme's name, a case reference or a username can be typed to start with "=" too."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class SafeCsvWriter:
    """``csv.writer`` whose rows are defused cell by cell."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out)

    def writerow(self, values: Iterable[Any]) -> None:
        self._writer.writerow([csv_safe(value) for value in values])
