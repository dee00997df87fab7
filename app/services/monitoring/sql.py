"""SQL that differs between SQLite and PostgreSQL: London days and months of timestamps, and a table of
working-day numbers the database can join against."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from sqlalchemy import Date, Integer, cast, column, event, func, text

from ...extensions import db
from ...working_days import LONDON, is_working_day


def dialect() -> str:
    return db.session.get_bind().dialect.name


def london_date(column: Any) -> Any:
    """The London calendar date of a timestamp column, the day deadlines fall on (a date on PostgreSQL, ISO
    text on SQLite, where the service registers ``london_date`` on each connection)."""
    if dialect() == "postgresql":
        return cast(func.timezone(LONDON.key, column), Date)
    return func.london_date(column)


def london_month(column: Any) -> Any:
    """The London month of a timestamp column (read it with ``month_key``)."""
    if dialect() == "postgresql":
        return func.date_trunc("month", func.timezone(LONDON.key, column))
    return func.substr(func.london_date(column), 1, 7)


def month_key(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value.year:04d}-{value.month:02d}"
    return str(value)[:7]


def london_day(value: Any) -> dt.date:
    """The London date of a timestamp read back from the database (SQLite gives UTC text without a zone)."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(LONDON).date()


def sqlite_london_date(text: str | None) -> str | None:
    """``london_date`` for SQLite, which knows no time zones: the London date of UTC text, as ISO text."""
    return london_day(text).isoformat() if text else None


def register_sqlite_functions(app: Flask) -> None:
    """Give every SQLite connection of the app the functions the figures' SQL calls."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _add_sqlite_functions)


def _add_sqlite_functions(connection: Any, _record: Any) -> None:
    connection.create_function("london_date", 1, sqlite_london_date, deterministic=True)


def start_of_london_month(month: str) -> dt.datetime:
    """The moment a month ('YYYY-MM') begins in London."""
    return dt.datetime.fromisoformat(month + "-01T00:00:00").replace(tzinfo=LONDON)


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
