"""SQL that differs between SQLite and PostgreSQL: UTC days and months of timestamps, and a table of
working-day numbers the database can join against."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, Integer, cast, column, func, text

from ...extensions import db
from ...working_days import is_working_day


def dialect() -> str:
    return db.session.get_bind().dialect.name


def utc_date(column: Any) -> Any:
    """The UTC calendar date of a timestamp column (a date on PostgreSQL, ISO text on SQLite)."""
    if dialect() == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def utc_month(column: Any) -> Any:
    """The UTC month of a timestamp column (read it with ``month_key``)."""
    if dialect() == "postgresql":
        return func.date_trunc("month", func.timezone("UTC", column))
    return func.strftime("%Y-%m", column)


def month_key(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value.year:04d}-{value.month:02d}"
    return str(value)[:7]


def utc_day(value: Any) -> dt.date:
    """The UTC date of a timestamp read back from the database (SQLite gives text without a zone)."""
    if isinstance(value, dt.datetime):
        return (value.astimezone(dt.UTC) if value.tzinfo else value).date()
    return as_date(value)


def as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


MAX_CALENDAR_DAYS = 366 * 20


def working_day_numbers(first: dt.date, last: dt.date, name: str) -> Any:
    """A table (day, number) from ``first`` to ``last``: the working days from ``first`` up to and
    including each day. ``number(b) - number(a)`` is ``working_days_between(a, b)``, so the database
    can count working days over thousands of date pairs without a call per pair."""
    last = min(last, first + dt.timedelta(days=MAX_CALENDAR_DAYS))
    date_literal = "DATE '{}'" if dialect() == "postgresql" else "'{}'"
    rows, count, day = [], 0, first
    while day <= last:
        count += 1 if is_working_day(day) else 0
        rows.append(f"({date_literal.format(day.isoformat())}, {count})")  # dates we made: safe to inline
        day += dt.timedelta(days=1)
    # Plain VALUES with its default column names: SQLite takes no column list after the alias.
    sql = text(f"SELECT column1 AS day, column2 AS number FROM (VALUES {', '.join(rows)}) AS {name}_values")  # noqa: S608
    return sql.columns(column("day", Date), column("number", Integer)).subquery(name)
