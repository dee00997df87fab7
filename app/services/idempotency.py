"""The idempotency store: a retry of a request with the same key gets the first answer, and the work
is done once.

A caller's key is claimed at the start of the request's transaction and its answer stored at the end
of the same transaction, so the key row is committed exactly when the work is. A second request with
the key while the first is in flight waits on the row (PostgreSQL's unique index, SQLite's write
lock) and then finds the stored answer. Only answers of work done are kept: an error answer changed
nothing, so its retry is simply carried out afresh.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import IdempotencyKey
from .errors import Conflict, Invalid
from .runtime import now, transactional

KEY_LIFETIME = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255
HEADER = "Idempotency-Key"


def check_key(key: str) -> str:
    if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise Invalid(
            "The Idempotency-Key header is not valid.",
            {HEADER: [f"Use 1 to {MAX_KEY_LENGTH} printable ASCII characters, for example a UUID."]},
        )
    return key


def claim_key(username: str, key: str, fingerprint: str) -> IdempotencyKey | None:
    """The stored answer of an earlier request with this key, or None when this request is the first
    (the key is then held by this transaction until it commits with the answer)."""
    if _insert_claim(username, key, fingerprint):
        return None
    row = db.session.scalar(
        select(IdempotencyKey)
        .where(IdempotencyKey.username == username, IdempotencyKey.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:  # purged between the two statements: claim it afresh
        return claim_key(username, key, fingerprint)
    if row.expires_at <= now():
        _restart(row, fingerprint)
        return None
    if row.fingerprint != fingerprint:
        raise Invalid(
            "This Idempotency-Key was already used for a different request.",
            {HEADER: ["Use a new key for a new request; reuse a key only to retry the very same request."]},
        )
    if row.response_status is None:
        raise Conflict("A request with this Idempotency-Key is still being processed. Retry it shortly.")
    return row


def record_answer(username: str, key: str, status: int, body: str, location: str | None) -> None:
    row = db.session.get(IdempotencyKey, (username, key))
    if row is None:
        raise RuntimeError("the idempotency key was not claimed in this transaction")
    row.response_status, row.response_body, row.location = status, body, location


@transactional
def purge_expired_keys() -> int:
    """Forget keys past their lifetime (the worker calls this every pass); return how many."""
    result = db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _insert_claim(username: str, key: str, fingerprint: str) -> bool:
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    values = {
        "username": username,
        "key": key,
        "fingerprint": fingerprint,
        "created_at": now(),
        "expires_at": now() + KEY_LIFETIME,
    }
    statement = insert(IdempotencyKey).values(**values).on_conflict_do_nothing().returning(IdempotencyKey.key)
    return db.session.scalar(statement) is not None  # a row comes back only if this insert made it


def _restart(row: IdempotencyKey, fingerprint: str) -> None:
    row.fingerprint, row.created_at, row.expires_at = fingerprint, now(), now() + KEY_LIFETIME
    row.response_status = row.response_body = row.location = None
