"""Cases stored by older code or stalled by a defect since mended: the worker's sweep and ``sfo check``."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from sqlalchemy import delete

from app.extensions import db
from app.models import AuditEvent
from app.services import consistency, instances, progress, tasks
from app.services.definitions import deploy_files
from app.services.timers import fire_due_timers
from tests.conftest import make_user
from tests.services.test_stalls import REVIEWS, loops_not_wired
from tests.sfo_case import SfoCase

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def without_the_invariant(monkeypatch):
    """Save steps as the code before the invariant did: a stalled case was left 'waiting'."""
    monkeypatch.setattr(progress, "_stall_of", lambda row, instance: None)
    yield
    monkeypatch.undo()


def _stalled_by_design(app) -> int:
    files = {p.name: p.read_bytes() for p in (DATA / "engine" / "stall.bpmn", DATA / "triage.schema.json")}
    definition = deploy_files(files, "system").definition
    team = make_user("sfo-team")
    row = instances.start_case(team, definition.key, "STALL-1", {})
    tasks.complete_task(team, instances.tasks_of(row, "ready")[0].id, {"eligible": True})
    return row.id


def test_check_reports_a_stored_case_with_nothing_to_wait_for(app, without_the_invariant):
    _stalled_by_design(app)
    problems = list(consistency.check_open_cases())
    assert [(p.business_key, p.problem.split(":")[0]) for p in problems] == [("STALL-1", "nothing to wait for")]


def test_the_sweep_puts_a_stored_stalled_case_in_error(app, monkeypatch):
    monkeypatch.setattr(progress, "_stall_of", lambda row, instance: None)
    instance_id = _stalled_by_design(app)
    monkeypatch.undo()

    assert consistency.sweep_stalled_cases() == 1
    row = instances.get_instance(make_user("manager"), instance_id)
    assert (row.status, row.error_element) == ("error", "triage")
    assert row.error_message.startswith("Stalled after eligibility")
    assert list(consistency.check_open_cases()) == []
    assert consistency.sweep_stalled_cases() == 0  # a case in error is monitoring's now, not swept again


def test_the_sweep_reaches_a_stalled_case_behind_more_cases_waiting_for_a_message_than_a_pass_checks(app, monkeypatch):
    """A case waiting only for a message looks stalled from the projection, and each pass checks a limited
    number of such cases. Every pass began again at the first case: with as many cases waiting for a
    court's outcome (for months) as a pass checks, a stalled case after them was never reached."""
    files = {p.name: p.read_bytes() for p in (DATA / "engine" / "wait_for_message.bpmn", DATA / "triage.schema.json")}
    definition = deploy_files(files, "system").definition
    team = make_user("sfo-team")
    for n in range(3):
        row = instances.start_case(team, definition.key, f"WAIT-{n}", {})
        tasks.complete_task(team, instances.tasks_of(row, "ready")[0].id, {"eligible": True})
        assert (row.status, row.next_timer_at) == ("waiting", None)
    monkeypatch.setattr(progress, "_stall_of", lambda row, instance: None)
    stalled_id = _stalled_by_design(app)
    monkeypatch.undo()

    assert [consistency.sweep_stalled_cases(limit=2) for _ in range(3)].count(1) == 1
    assert instances.get_instance(make_user("manager"), stalled_id).status == "error"
    assert consistency.sweep_stalled_cases(limit=2) == 0  # round again: the waiting cases are left as they are


def test_workers_started_afresh_for_each_pass_reach_the_stalled_case_too(app, monkeypatch):
    """``sfo worker --once`` from a scheduler, or a worker restarted, has no last case: each such pass began at
    the first case again, so the stalled case behind the waiting ones was never reached that way either."""
    files = {p.name: p.read_bytes() for p in (DATA / "engine" / "wait_for_message.bpmn", DATA / "triage.schema.json")}
    definition = deploy_files(files, "system").definition
    team = make_user("sfo-team")
    for n in range(3):
        row = instances.start_case(team, definition.key, f"WAIT-{n}", {})
        tasks.complete_task(team, instances.tasks_of(row, "ready")[0].id, {"eligible": True})
    monkeypatch.setattr(progress, "_stall_of", lambda row, instance: None)
    stalled_id = _stalled_by_design(app)
    monkeypatch.undo()
    monkeypatch.setattr(consistency, "_starts", random.Random(3))  # where a new process begins, repeatably

    found = []
    for _ in range(20):
        monkeypatch.setattr(consistency, "_checked_last", 0)  # a new process
        found.append(consistency.sweep_stalled_cases(limit=2))
    assert found.count(1) == 1, found
    assert instances.get_instance(make_user("manager"), stalled_id).status == "error"


def test_the_sweep_moves_on_a_case_stalled_by_a_lost_liaison_merge(sfo_definition, people, monkeypatch, clock):
    case = SfoCase(people, sfo_definition)
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    case.do("write_terms_of_reference", other_reviews=REVIEWS)
    monkeypatch.setattr(progress, "_stall_of", lambda row, instance: None)
    with loops_not_wired(sfo_definition, monkeypatch):
        for bpmn_id in ("liaise_with_other_review", "liaise_with_other_review", "gather_evidence"):
            case.do(bpmn_id)
        # the lost liaison still has its deadline timers; once they have fired and the manager has dealt
        # with the escalation, nothing waits
        clock.set(case.row.next_timer_at + dt.timedelta(days=30))
        fire_due_timers()
        fire_due_timers()
        for escalation in [t for t in instances.tasks_of(case.row, "ready") if t.bpmn_id == "overdue_task_escalation"]:
            case.do(escalation.bpmn_id, as_user=people.manager)
    assert (case.row.status, case.ready()) == ("waiting", [])

    assert consistency.sweep_stalled_cases() == 1
    db.session.refresh(case.row)
    assert (case.row.status, case.ready()) == ("running", ["draft_report"])
    assert list(consistency.check_open_cases()) == []


def test_check_reports_task_rows_and_audit_that_disagree_with_the_engine(sfo_definition, people):
    case = SfoCase(people, sfo_definition)
    task = case.task("confirm_eligibility")
    db.session.execute(delete(AuditEvent).where(AuditEvent.task_id == task.id))
    task.state = "cancelled"
    db.session.commit()

    problems = [p.problem for p in consistency.check_open_cases()]
    assert "1 task(s) waiting in the engine have no task row" in problems
    assert "its status 'running' does not match its 0 open task(s)" in problems
    assert "1 task(s) have no 'task created' entry in the audit trail" in problems
