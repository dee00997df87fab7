"""Hostile diagram code reaching a running case: the case goes into error naming the element, the
request returns, no lock is left behind, and a step cut short inside the engine changes nothing."""

from __future__ import annotations

import gc
import sys
import time

import pytest
from sqlalchemy import text

from app.engine.budget import Budget
from app.engine.dryrun import DRY_RUN_START, timer_problems
from app.extensions import db
from app.services import instances, modelling
from app.services.audit import events_of
from app.services.definitions import check_files, deploy_files
from app.services.errors import CaseStopped, Conflict, NotFound
from app.services.runtime import runtime
from tests.api import variants
from tests.conftest import make_user

SMALL = Budget(cpu_seconds=0.5, memory_bytes=128 * 1024 * 1024)


def _deploy(script: str, *, items_script: str | None = None, wait: bool = False):
    """start -> (message 'go' when ``wait``) -> script 'burn' -> manual task 'each' (one per item of
    ``items`` when given) -> end."""
    multi = (
        "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopDataInputRef>items</bpmn:loopDataInputRef>"
        '<bpmn:inputDataItem id="item" name="item" /></bpmn:multiInstanceLoopCharacteristics>'
        if items_script
        else ""
    )
    catch = (
        '<bpmn:intermediateCatchEvent id="go"><bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing>'
        '<bpmn:messageEventDefinition messageRef="go_message" /></bpmn:intermediateCatchEvent>'
        if wait
        else ""
    )
    flows = (
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="go" />'
        '<bpmn:sequenceFlow id="f1" sourceRef="go" targetRef="burn" />'
        if wait
        else '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="burn" />'
    )
    bpmn = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:message id="go_message" name="go" />
  <bpmn:process id="hostile" name="Hostile" isExecutable="true">
    <bpmn:laneSet id="lanes"><bpmn:lane id="team" name="sfo-team"><bpmn:flowNodeRef>start</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>burn</bpmn:flowNodeRef><bpmn:flowNodeRef>go</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>each</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    {catch}
    <bpmn:scriptTask id="burn" name="Work something out"><bpmn:incoming>{"f1" if wait else "f0"}</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{items_script or script}</bpmn:script></bpmn:scriptTask>
    <bpmn:manualTask id="each" name="For each item"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing>{multi}
    </bpmn:manualTask>
    <bpmn:endEvent id="end" name="Done"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    {flows}
    <bpmn:sequenceFlow id="f2" sourceRef="burn" targetRef="each" />
    <bpmn:sequenceFlow id="f3" sourceRef="each" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""
    return deploy_files({"hostile.bpmn": bpmn.encode()}, "system").definition


@pytest.fixture
def small_budget(app, monkeypatch):
    monkeypatch.setattr(runtime().engine, "budget", SMALL)


def test_a_looping_script_puts_the_case_in_error_naming_the_element(app, small_budget):
    definition = _deploy("x = 0\nfor i in range(10000):\n    for j in range(10000):\n        x += 1")
    began = time.perf_counter()
    row = instances.start_case(make_user("sfo-team"), definition.key, "HOSTILE-1", {})
    assert time.perf_counter() - began < 10
    assert (row.status, row.error_element) == ("error", "burn")
    assert "more than 0.5 s of CPU time" in row.error_message


def test_a_start_cut_short_inside_the_engine_creates_nothing(app, small_budget):
    definition = _deploy("", items_script="items = [0] * 150000")  # 150,000 tasks for the engine to make
    with pytest.raises(CaseStopped, match="could not be started .the step used more than"):
        instances.start_case(make_user("sfo-team"), definition.key, "HOSTILE-2", {})
    with pytest.raises(NotFound):
        instances.get_instance_by_key(make_user("manager"), "HOSTILE-2")


def test_a_later_step_cut_short_keeps_the_case_as_it_was_and_puts_it_in_error(app, small_budget):
    team = make_user("sfo-team")
    definition = _deploy("", items_script="items = [0] * (150000 if big else 1)", wait=True)
    row = instances.start_case(team, definition.key, "HOSTILE-3", {"big": True})
    state, version = row.state, row.lock_version
    with pytest.raises(CaseStopped, match="could not move on .*Nothing was changed"):
        instances.deliver_message(team, "go", "HOSTILE-3", {})
    db.session.expire_all()
    row = instances.get_instance_by_key(make_user("manager"), "HOSTILE-3")
    assert row.status == "error" and row.error_message.startswith("the step used more than")
    assert row.state == state and row.lock_version == version + 1
    assert [e.kind for e in events_of(row)][-1] == "error"
    assert "message" not in [e.kind for e in events_of(row)]  # the delivery itself was rolled back


def test_postgresql_sessions_time_out_statements_lock_waits_and_forgotten_transactions(app, postgresql):
    settings = {
        name: db.session.execute(text(f"SHOW {name}")).scalar()
        for name in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")
    }
    assert settings == {
        "statement_timeout": "30s",
        "lock_timeout": "10s",
        "idle_in_transaction_session_timeout": "1min",
    }


def test_a_manager_waiting_on_a_held_case_gets_a_conflict_not_a_hang(app, postgresql, small_definition):
    provider, manager = make_user("provider"), make_user("manager")
    row = instances.start_case(provider, small_definition.key, "HELD-1", {"provider_org": provider.organisation})
    db.session.commit()
    holder = db.engine.connect()
    transaction = holder.begin()
    holder.execute(text("SELECT id FROM process_instance WHERE id = :id FOR UPDATE"), {"id": row.id})
    try:
        db.session.execute(text("SET lock_timeout = '200ms'"))
        began = time.perf_counter()
        with pytest.raises(Conflict):
            instances.cancel_instance(manager, row.id, "Duplicate notification")
        assert time.perf_counter() - began < 5
    finally:
        transaction.rollback()
        holder.close()
        db.session.execute(text("RESET lock_timeout"))
        db.session.commit()


def test_a_costly_script_before_a_timer_is_reported_as_costly_not_as_an_unset_value(app):
    """The deploy check runs scripts to work out timer values; a script over its budget there is the
    problem to report, not the timer deadline it never got to set (seen under load in CI)."""
    source = variants.with_triage_script(variants.CPU_BURNER)
    model = check_files(variants.files(source))
    problems = timer_problems(model, {"provider_org": "north-probation"}, DRY_RUN_START, SMALL)
    assert [(p.element_id, p.message) for p in problems] == [
        ("set_due", "script: the diagram code used more than 0.5 s of CPU time")
    ]


def test_the_budget_is_not_raised_into_a_garbage_collector_callback(app, small_budget):
    """An exception raised into a gc callback cannot unwind the step: Python prints it and drops it
    (seen in CI, where the test tools' own callback then failed). The watchdog waits until the thread
    is back in the step's own code, and the step is still cut short."""
    dropped, busy = [], [0.0]

    def slow_callback(phase: str, info: dict) -> None:
        if phase == "start" and busy[0] < 2.0:  # long enough for the watchdog to look in here, for a while
            began = time.thread_time()
            while time.thread_time() < began + 0.02:
                pass
            busy[0] += time.thread_time() - began

    previous_hook = sys.unraisablehook
    gc.callbacks.append(slow_callback)
    sys.unraisablehook = dropped.append
    try:
        definition = _deploy("", items_script="items = [0] * 150000")
        with pytest.raises(CaseStopped, match="the step used more than"):
            instances.start_case(make_user("sfo-team"), definition.key, "HOSTILE-GC", {})
    finally:
        gc.callbacks.remove(slow_callback)
        sys.unraisablehook = previous_hook
    assert dropped == []


def test_a_case_in_error_from_a_step_cut_short_stays_in_error_when_moved_to_a_new_version(app, small_budget):
    """The error of a step cut short lives only in the case's status (its state is as before the step): moving
    the case to another version saves it again, and must not clear the error a retry has not mended."""
    team, owner = make_user("sfo-team"), make_user("process-owner")
    definition = _deploy("", items_script="items = [0] * (150000 if big else 1)", wait=True)
    row = instances.start_case(team, definition.key, "HOSTILE-4", {"big": True})
    with pytest.raises(CaseStopped):
        instances.deliver_message(team, "go", "HOSTILE-4", {})
    db.session.expire_all()
    failed = (row.error_element, row.error_message)
    newer = _deploy("", items_script="items = [0] * (150000 if big else 2)", wait=True)
    moved, refused = modelling.migrate_instances(owner, definition.key, newer.version)
    assert (moved, refused) == ([row.id], {})
    db.session.expire_all()
    row = instances.get_instance_by_key(make_user("manager"), "HOSTILE-4")
    assert row.status == "error" and (row.error_element, row.error_message) == failed
    assert failed[1].startswith("the step used more than")
    instances.retry_instance(make_user("manager"), row.id)  # the retry succeeds: only now is the error gone
    assert (row.status, row.error_element, row.error_message) == ("waiting", None, None)
