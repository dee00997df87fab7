"""Serialising schema changes: one ``sfo init`` at a time per database."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from ..extensions import db

# pg_advisory_lock's key: any constant the service uses for nothing else ("SFOINIT" in ASCII).
INIT_LOCK_KEY = 0x53464F494E4954


@contextmanager
def init_lock() -> Iterator[None]:
    """Hold a lock that a second ``sfo init`` on the same database waits for: a PostgreSQL advisory lock
    on a connection of its own, or a lock file beside an SQLite database."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            # The second init waits as long as the first takes (a minute under load), not the service's
            # lock and statement timeouts; and the first's connection sits idle in its transaction all
            # that time, past the service's idle limit. SET LOCAL ends with this connection's transaction.
            connection.execute(text("SET LOCAL lock_timeout = 0"))
            connection.execute(text("SET LOCAL statement_timeout = 0"))
            connection.execute(text("SET LOCAL idle_in_transaction_session_timeout = 0"))
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": INIT_LOCK_KEY})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": INIT_LOCK_KEY})
                connection.commit()
        return
    database = db.engine.url.database
    if db.engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(Path(database).with_name(Path(database).name + ".init-lock"), "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
