"""The service's sense of time. Tests inject a ``FrozenClock``; production uses ``SystemClock``."""

from __future__ import annotations

import datetime as dt


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, start: dt.datetime):
        self._now = start.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        return self._now

    def set(self, moment: dt.datetime) -> None:
        self._now = moment.astimezone(dt.UTC)

    def advance(self, **delta: float) -> None:
        self._now += dt.timedelta(**delta)
