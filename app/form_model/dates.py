"""Dates as people read and enter them: GOV.UK style ('5 March 2027'), and the three boxes (day, month
and year) of the GOV.UK date input."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from ..working_days import LONDON

PARTS = ("day", "month", "year")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name[:3]: number for name, number in list(_MONTHS.items())})
_MONTHS["sept"] = 9


def date_parts(value: Any) -> dict[str, str]:
    """The three boxes for a stored ISO date ('2027-03-05' -> 5, 3, 2027) or for boxes as entered."""
    if isinstance(value, Mapping):
        return {part: str(value.get(part) or "") for part in PARTS}
    if isinstance(value, dt.date):
        value = value.isoformat()
    match = _ISO.fullmatch(value.strip()) if isinstance(value, str) else None
    if not match:
        return dict.fromkeys(PARTS, "")
    year, month, day = match.groups()
    return {"day": str(int(day)), "month": str(int(month)), "year": year}


def parse_date(parts: Mapping[str, str], subject: str) -> tuple[str | None, str | None]:
    """(ISO date, None), (None, message) or (None, None) when nothing was entered."""
    missing = [part for part in PARTS if not parts.get(part)]
    if len(missing) == len(PARTS):
        return None, None
    if missing:
        return None, f"{subject} must include a {' and '.join(missing)}"
    if not re.fullmatch(r"\d{4}", parts["year"]):
        return None, f"{subject} must include a year with 4 numbers"
    day, month = _whole(parts["day"]), _month(parts["month"])
    try:
        return dt.date(int(parts["year"]), month or 0, day or 0).isoformat(), None
    except ValueError:
        return None, f"{subject} must be a real date"


def parts_in_error(message: str | None) -> tuple[str, ...]:
    """Which boxes a message is about: 'must include a month and year' -> month, year; others all three."""
    if message and "must include a" in message:
        tail = message.split("must include a", 1)[1]
        named = tuple(part for part in PARTS if re.search(rf"\b{part}\b", tail))
        if named:
            return named
    return PARTS


def govuk_date(value: Any) -> str:
    """'5 March 2027' for a date, a datetime (in London time) or an ISO date ('2027-03-05', or the start
    of a longer ISO text); '' for nothing; anything else as it is. The one way the service writes a date
    for people: pages, answers, reports and messages."""
    if value is None or value == "":
        return ""
    day = _day(value)
    return f"{day.day} {day:%B %Y}" if day is not None else str(value)


def _day(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(LONDON).date()
    if isinstance(value, dt.date):
        return value
    match = _ISO.match(value.strip()) if isinstance(value, str) else None
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _whole(text: str) -> int | None:
    return int(text) if re.fullmatch(r"\d{1,2}", text) else None


def _month(text: str) -> int | None:
    return _whole(text) or _MONTHS.get(text.strip().lower().rstrip("."))
