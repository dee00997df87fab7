"""A request that only read ends its transaction with COMMIT rather than ROLLBACK.

For a transaction that changed nothing the two are the same. But psycopg forgets every prepared statement
at a ROLLBACK (the transaction might have dropped what they name), and removing a request's session rolls
back: so every read (GET) request emptied the connection's cache, and PostgreSQL planned every query of
every request afresh. Planning was most of a read's time in the database (getting a task: 0.28 ms of the
0.50 ms its main query took). A transaction that sent anything but SELECT, or whose session holds changes
not yet sent, is rolled back as before.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from .extensions import db
from .services.runtime import loaded_values_kept

WROTE = "sfo_wrote"  # on a connection's info: its transaction sent a statement other than SELECT
CONNECTION = "sfo_connection"  # on a session's info: the connection its transaction began on


def end_reads_with_commit(app: Flask) -> None:
    """Register after ``db.init_app``: teardown functions run in reverse order, so this one runs before
    Flask-SQLAlchemy removes (and so rolls back) the request's session."""
    with app.app_context():
        engine = db.engine
    event.listen(engine, "begin", _begun)
    event.listen(engine, "before_cursor_execute", _noted)
    app.teardown_appcontext(_commit_if_read_only)


@event.listens_for(Session, "after_begin")
def _remember_connection(session: Session, transaction: SessionTransaction, connection: Any) -> None:
    session.info[CONNECTION] = connection


@event.listens_for(Session, "after_transaction_end")
def _forget_connection(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(CONNECTION, None)


def _begun(connection: Any) -> None:
    connection.info[WROTE] = False


def _noted(connection: Any, cursor: Any, statement: str, *_: Any) -> None:
    if statement.lstrip()[:6].upper() != "SELECT":
        connection.info[WROTE] = True


def _commit_if_read_only(error: BaseException | None) -> None:
    if error is not None or not db.session.registry.has():
        return
    session = db.session()
    connection = session.info.get(CONNECTION)
    if connection is None or connection.info.get(WROTE, True) or session.new or session.dirty or session.deleted:
        return
    # Nothing was written, so nothing loaded is stale: the commit expires nothing. A streamed response (the case
    # list's CSV) runs after this, and reads what the request loaded from objects no longer in a session.
    try:
        with loaded_values_kept():
            session.commit()
    except Exception:  # noqa: BLE001 - nothing was written: the rollback that follows ends it as well
        session.rollback()
