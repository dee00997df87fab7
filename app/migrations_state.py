"""Whether the database schema is at the newest migration.

``SCHEMA_HEAD`` names the newest revision in ``migrations/`` (a test checks it against Alembic's own
reading of that folder, so a new migration that forgets it fails there). The readiness check compares the
database's one row with it: a web worker never loads Alembic, which would cost it about 11 MB."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from .extensions import db

SCHEMA_HEAD = "c4a8e2f1d937"


def migrations_current() -> bool:
    try:
        with db.engine.connect() as connection:
            current = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except DBAPIError:  # no alembic_version table: the database was never migrated
        return False
    return current == {SCHEMA_HEAD}
