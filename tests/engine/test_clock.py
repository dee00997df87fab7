"""Each engine's timers read that engine's clock: a dry run or a second engine never moves the service's time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from app.clock import FrozenClock
from app.engine import Engine, parse_process_model
from app.models.users import LANE_GROUPS
from app.services.definitions import read_library

DATA = Path(__file__).resolve().parent.parent / "data"
MONDAY = dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC)


def _waiting_triage(engine: Engine):
    instance = engine.new_instance(parse_process_model(read_library(DATA), LANE_GROUPS), {"provider_org": "north"})
    instance.run()
    return instance


def test_timers_follow_their_own_engines_clock_when_another_engine_exists():
    service_clock = FrozenClock(MONDAY)
    service = Engine(service_clock)
    instance = _waiting_triage(service)
    reminder_at = instance.next_timer_at()
    assert reminder_at is not None and reminder_at > MONDAY

    Engine(FrozenClock(MONDAY + dt.timedelta(days=30)))  # e.g. a dry run's engine, a month ahead
    instance.run()
    assert instance.notifications == [], "the reminder fired on another engine's clock"

    service_clock.set(reminder_at + dt.timedelta(minutes=1))
    instance.run()
    assert [n.kind for n in instance.notifications] == ["reminder"]


def test_a_migrated_case_reads_its_timers_by_its_engines_clock():
    from app.engine.migration import migrate

    long_ago = dt.datetime(2020, 1, 6, 9, tzinfo=dt.UTC)  # a Monday before the machine's own time
    engine = Engine(FrozenClock(long_ago))
    waiting = _waiting_triage(engine)
    assert waiting.next_timer_at() > long_ago

    migrated = migrate(engine, engine.dump(waiting), waiting.model)
    migrated.run()
    assert migrated.notifications == [], "the reminder fired by the machine's clock during the migration"
