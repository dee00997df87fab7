"""The service's sense of time. Tests inject a ``FrozenClock``; production uses ``SystemClock``."""

from __future__ import annotations

import datetime as dt


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, start: dt.datetime):
        self._now = start.astimezone(dt.timezone.utc)

    def now(self) -> dt.datetime:
        return self._now

    def set(self, moment: dt.datetime) -> None:
        self._now = moment.astimezone(dt.timezone.utc)

    def advance(self, **delta: float) -> None:
        self._now += dt.timedelta(**delta)
