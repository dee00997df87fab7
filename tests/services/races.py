"""Races decided by the database, not by how threads happen to be timed (PostgreSQL).

``first_held_at`` runs two parties at once: the first is held at a point of its own choosing (its first call of
a function, before or after the call) until the second has finished or waits for a lock the first holds; only
then does the first go on. No sleep hopes for an interleaving: the hold waits for a state of the other party.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import text

from app.extensions import db
from tests.services.test_concurrency import _run_together


def blocked_on_a_lock(app: Flask) -> bool:
    """Whether another session of this database is waiting for a row lock."""
    with app.app_context():
        query = text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        waiting = db.session.scalar(query)
        db.session.rollback()
        return bool(waiting)


def first_held_at(  # noqa: PLR0913 - each says where and how the first party is held
    app: Flask,
    monkeypatch: Any,
    module: Any,
    name: str,
    first: Callable[[], Any],
    second: Callable[[], Any],
    *,
    before: bool = False,
    flush: bool = False,
) -> list[tuple[str, Any]]:
    """Run ``first`` and ``second`` together; ``first`` is held at its first call of ``module.name`` (after it, or
    ``before`` it; with ``flush``, its writes sent and not committed), and ``second`` starts once it is held.
    Their results as ``_run_together`` gives them."""
    reached, second_done = threading.Event(), threading.Event()
    party = threading.local()
    original = getattr(module, name)

    def hold() -> None:
        party.first = False  # once
        if flush:
            db.session.flush()
        reached.set()
        while not second_done.is_set() and not blocked_on_a_lock(app):
            time.sleep(0.02)  # waiting for a state of the other party, not for a guessed interleaving

    def held(*args: Any, **kwargs: Any) -> Any:
        if before and getattr(party, "first", False):
            hold()
        result = original(*args, **kwargs)
        if not before and getattr(party, "first", False):
            hold()
        return result

    monkeypatch.setattr(module, name, held)

    def run_first() -> Any:
        party.first = True
        return first()

    def run_second() -> Any:
        assert reached.wait(timeout=30), f"the first party never reached {name}"
        try:
            return second()
        finally:
            second_done.set()

    return _run_together(app, [run_first, run_second])
