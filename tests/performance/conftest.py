"""Fixtures for the round-trip budgets: counting the SQL statements one request sends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from app.extensions import db
from tests.api.conftest import api  # noqa: F401  (the API client fixture, shared)


class StatementCounter:
    """The SQL statements sent while ``counting`` is open (transaction control included: each is a round trip)."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self._on = False

    def __call__(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if self._on:
            self.statements.append(" ".join(statement.split()))

    def commit(self, conn: Any) -> None:
        if self._on:
            self.statements.append("COMMIT")

    def rollback(self, conn: Any) -> None:
        if self._on:
            self.statements.append("ROLLBACK")

    def count(self, call: Any) -> int:
        """The statements ``call`` sends, from an empty session, as a request in production starts (tests
        keep one app context, so without this a request would find the objects the previous one loaded)."""
        db.session.remove()
        self.statements.clear()
        self._on = True
        try:
            call()
        finally:
            self._on = False
        return len(self.statements)


@pytest.fixture
def statements(app: Flask) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    event.listen(db.engine, "before_cursor_execute", counter)
    event.listen(db.engine, "commit", counter.commit)
    event.listen(db.engine, "rollback", counter.rollback)
    yield counter
    event.remove(db.engine, "before_cursor_execute", counter)
    event.remove(db.engine, "commit", counter.commit)
    event.remove(db.engine, "rollback", counter.rollback)
