"""Working-day arithmetic for deadlines, on the England and Wales bank-holiday calendar.

These functions are the vetted library that diagram expressions may call (see ``engine.sandbox``);
the pages and the monitoring figures use them too.
Dates travel through task data as ISO strings (``YYYY-MM-DD``); timer expressions must produce
ISO datetimes, so ``due_reminder_at`` and ``overdue_at`` turn a due date into the moment a
reminder or an escalation fires.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
REMINDER_HOUR = 8  # reminders arrive at the start of the working day


@lru_cache(maxsize=1)
def _bank_holidays() -> holidays.HolidayBase:
    # The package extends its year range lazily, so one instance serves every date.
    return holidays.country_holidays("GB", subdiv="ENG")


def as_date(value: str | dt.date | dt.datetime) -> dt.date:
    """Accept an ISO date or datetime (string or object) and return the calendar date."""
    if isinstance(value, dt.datetime):
        return value.astimezone(LONDON).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if len(text) > 10:
        return as_date(dt.datetime.fromisoformat(text))
    return dt.date.fromisoformat(text)


def is_working_day(day: str | dt.date) -> bool:
    return _bank_holidays().is_working_day(as_date(day))


def add_working_days(day: str | dt.date, count: int) -> str:
    """The date ``count`` working days after ``day`` (before it when negative), as ISO text."""
    count = int(count)
    start = as_date(day)
    if count == 0:
        return start.isoformat()
    return _bank_holidays().get_nth_working_day(start, count).isoformat()


def working_days_between(start: str | dt.date, end: str | dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative if ``end`` is earlier)."""
    first, last = as_date(start), as_date(end)
    if last < first:
        return -working_days_between(last, first)
    if last == first:
        return 0
    return _bank_holidays().get_working_days_count(first + dt.timedelta(days=1), last)


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), LONDON)


def overdue_at(due: str | dt.date) -> str:
    """The moment a task due on ``due`` becomes overdue: the start of the next day, London time."""
    moment = _local_midnight(as_date(due) + dt.timedelta(days=1))
    return moment.astimezone(dt.UTC).isoformat()


def due_reminder_at(due: str | dt.date, working_days_before: int = 2) -> str:
    """The start of the working day ``working_days_before`` working days before ``due``."""
    day = as_date(add_working_days(due, -int(working_days_before)))
    moment = dt.datetime.combine(day, dt.time(REMINDER_HOUR, 0), LONDON)
    return moment.astimezone(dt.UTC).isoformat()
