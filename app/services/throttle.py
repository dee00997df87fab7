"""Failed sign-ins, counted in a store every server process shares: the service's database, or Redis
when one is configured. Two limits, kept apart so that one attacker cannot lock a colleague out:

- per account *and* address: a few failures for one username from one address refuse further tries
  for that username from that address only; its owner signing in from elsewhere is not affected;
- per address: many failures from one address (over any usernames) refuse that address only.

Every attempt is counted before its password is checked (one atomic step of the store, so attempts made
at once by several workers cannot all pass), and given back when the password was right: both count
failures only, and a correct password is refused only at an address that is itself throttled.
The store keeps neither what was typed as the username (often a password typed in the wrong box) nor the
address: each is kept as a keyed hash, the key derived from the service's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from flask import Flask, current_app
from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Table, case, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from ..config import DATABASE_STORAGE
from ..models import RateLimitCounter

_TABLE = cast(Table, RateLimitCounter.__table__)

# Counters this long past their window are deleted by the next failure anyone records.
STALE_SECONDS = 24 * 3600


class DatabaseStorage(Storage):
    """Fixed-window counters in the ``rate_limit_counter`` table (``limits`` storage interface)."""

    STORAGE_SCHEME = None  # built by ``storage_for``, not from a URI: it needs the app's engine

    def __init__(self, engine: Callable[[], Engine], clock: Callable[[], float]):
        super().__init__()
        self._engine, self._clock = engine, clock

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        moment = self._clock()
        table = _TABLE
        expired = table.c.expires_at <= moment
        insert = _dialect_insert(self._engine())(table).values(key=key, count=amount, expires_at=moment + expiry)
        upsert = insert.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "count": case((expired, amount), else_=table.c.count + amount),
                "expires_at": case((expired, moment + expiry), else_=table.c.expires_at),
            },
        ).returning(table.c.count)
        with self._engine().begin() as connection:
            count = int(connection.execute(upsert).scalar_one())
            connection.execute(delete(table).where(table.c.expires_at < moment - STALE_SECONDS))
        return count

    def get(self, key: str) -> int:
        row = self._row(key)
        return int(row.count) if row is not None else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return float(row.expires_at) if row is not None else self._clock()

    def _row(self, key: str) -> Any:
        table = _TABLE
        query = select(table.c.count, table.c.expires_at).where(table.c.key == key, table.c.expires_at > self._clock())
        with self._engine().connect() as connection:
            return connection.execute(query).first()

    def check(self) -> bool:
        with self._engine().connect() as connection:
            connection.execute(text("SELECT 1"))
        return True

    def reset(self) -> int | None:
        with self._engine().begin() as connection:
            return int(connection.execute(delete(_TABLE)).rowcount)

    def clear(self, key: str) -> None:
        with self._engine().begin() as connection:
            connection.execute(delete(_TABLE).where(_TABLE.c.key == key))


def _dialect_insert(engine: Engine) -> Any:
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


@dataclass(frozen=True)
class SignInThrottle:
    limiter: FixedWindowRateLimiter
    per_account: RateLimitItem
    per_address: RateLimitItem
    secret: bytes

    def claim_attempt(self, address: str, username: str) -> int:
        """Count one attempt of this address at this username, before its password is checked; 0 when it
        may go on, else how many seconds until the address may try again.

        Counting and comparing are one operation of the store (an upsert returning the count, a Redis
        script, a locked counter), so attempts arriving at once from several workers cannot all slip in
        under the limit."""
        waits = [self._claim(item, *identifiers) for item, identifiers in self._limits(address, username)]
        return max(waits)

    def release_attempt(self, address: str, username: str) -> None:
        """Give back the attempt of a correct password: only failures count. (A window ending between the
        claim and its release lends the next window one attempt.)"""
        for item, identifiers in self._limits(address, username):
            self.limiter.storage.incr(item.key_for(*identifiers), item.get_expiry(), amount=-1)

    def _limits(self, address: str, username: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        address = self._hidden(address)
        return [(self.per_account, (address, self._account(username))), (self.per_address, (address,))]

    def _claim(self, item: RateLimitItem, *identifiers: str) -> int:
        if self.limiter.hit(item, *identifiers):
            return 0
        reset = self.limiter.get_window_stats(item, *identifiers).reset_time
        return max(1, math.ceil(reset - self.clock()))

    def clock(self) -> float:
        storage = self.limiter.storage
        return storage._clock() if isinstance(storage, DatabaseStorage) else time.time()

    def reset(self) -> None:
        self.limiter.storage.reset()

    def _account(self, username: str) -> str:
        return "account:" + self._hidden(username.strip().lower())

    def _hidden(self, identifier: str) -> str:
        return hmac.new(self.secret, identifier.encode(), hashlib.sha256).hexdigest()[:32]


def storage_for(app: Flask) -> Storage:
    uri = app.config["SFO_RATELIMIT_STORAGE_URL"]
    if uri == DATABASE_STORAGE:
        from ..extensions import db
        from .runtime import runtime

        return DatabaseStorage(lambda: db.engine, lambda: runtime().clock.now().timestamp())
    options = {"key_prefix": app.config["SFO_RATELIMIT_KEY_PREFIX"]} if uri.startswith("redis") else {}
    storage = storage_from_string(uri, **options)
    if not isinstance(storage, Storage):
        raise RuntimeError(f"{uri} names an asynchronous rate-limit store; the service needs a synchronous one")
    return storage


def init_throttle(app: Flask) -> None:
    app.extensions["sfo.throttle"] = SignInThrottle(
        FixedWindowRateLimiter(storage_for(app)),
        parse(app.config["SFO_SIGN_IN_ACCOUNT_LIMIT"]),
        parse(app.config["SFO_SIGN_IN_ADDRESS_LIMIT"]),
        hashlib.sha256(b"sign-in throttle\0" + str(app.config["SECRET_KEY"]).encode()).digest(),
    )


def sign_in_throttle() -> SignInThrottle:
    return current_app.extensions["sfo.throttle"]
