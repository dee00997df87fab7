"""Event sub-processes started by a message: heard at any time, and never changing the shared spec."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.clock import FrozenClock
from app.engine import DefinitionInvalid, Engine, parse_process_model
from app.models.users import LANE_GROUPS

FILES = {"listener.bpmn": (Path(__file__).resolve().parent.parent / "data" / "engine" / "listener.bpmn").read_bytes()}


def _engine() -> Engine:
    return Engine(FrozenClock(dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC)))


def _finish(instance) -> None:
    for bpmn_id in ("a", "b"):
        task = next(t for t in instance.ready_human_tasks() if t.bpmn_id == bpmn_id)
        instance.complete_task(task.id, {})


def test_a_message_starts_the_listener_while_the_main_path_waits():
    engine = _engine()
    instance = engine.new_instance(parse_process_model(FILES, LANE_GROUPS), {})
    instance.run()
    assert instance.accepted_message_names() == ["ping"]
    assert instance.waiting_message_names() == []  # a listener is not a wait of the main path
    assert instance.deliver_message("ping", {"n": 1})
    assert instance.data()["pinged"] is True
    assert [t.bpmn_id for t in instance.ready_human_tasks()] == ["a"]


def test_a_triggered_listener_does_not_change_later_instances_in_the_same_process():
    engine, model = _engine(), parse_process_model(FILES, LANE_GROUPS)
    first = engine.new_instance(model, {})
    first.run()
    first.deliver_message("ping", {"n": 1})
    second = engine.new_instance(model, {})
    second.run()
    assert "pinged" not in second.data()
    _finish(second)
    assert second.is_completed, "the listener ran as a normal path of the second instance and held its end"


def test_listener_state_reloads_in_a_fresh_process_and_hears_again():
    engine = _engine()
    instance = engine.new_instance(parse_process_model(FILES, LANE_GROUPS), {})
    instance.run()
    instance.deliver_message("ping", {"n": 1})
    reloaded = engine.load(parse_process_model(FILES, LANE_GROUPS), engine.dump(instance))
    assert reloaded.deliver_message("ping", {"n": 2})
    assert reloaded.data()["ping_message"] == {"n": 2}
    _finish(reloaded)
    assert reloaded.is_completed
    assert reloaded.accepted_message_names() == []


def test_ad_hoc_sub_processes_are_refused_with_the_reason():
    files = {"adhoc.bpmn": (Path(__file__).resolve().parent.parent / "data" / "engine" / "adhoc.bpmn").read_bytes()}
    with pytest.raises(DefinitionInvalid) as refused:
        parse_process_model(files, LANE_GROUPS)
    assert any("ad-hoc sub-processes are not supported" in str(p) for p in refused.value.problems)
