"""The service layer on a small process: projection, deadlines, reminders, escalation, messages."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import AuditEvent, OutboxMessage, Task
from app.services import instances, tasks
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.services.timers import fire_due_timers
from tests.conftest import make_user


def _start(definition, provider, key="SFO-1"):
    return instances.start_case(provider, definition.key, key, {"provider_org": provider.organisation})


def test_start_creates_task_with_due_date_lane_and_notice(small_definition):
    provider = make_user("provider")
    row = _start(small_definition, provider)
    assert row.status == "running" and row.stage == "eligibility"
    [task] = instances.tasks_of(row, "ready")
    assert (task.bpmn_id, task.lane, task.assignee) == ("triage", "sfo-team", None)
    assert task.due_on == dt.date(2027, 3, 3)  # two working days after Monday 1 March
    assert task.organisation == "north-probation"
    kinds = db.session.scalars(select(OutboxMessage.kind)).all()
    assert kinds == ["available"]


def test_deadline_reminder_then_escalation_written_once(small_definition, clock):
    provider = make_user("provider")
    row = _start(small_definition, provider)
    clock.set(dt.datetime(2027, 3, 2, 9, tzinfo=dt.UTC))  # reminder day (1 working day before)
    assert fire_due_timers() == 1
    assert fire_due_timers() == 0
    reminders = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder")).all()
    assert len(reminders) == 1 and reminders[0].recipient == "group:sfo-team"
    clock.set(dt.datetime(2027, 3, 4, 0, 30, tzinfo=dt.UTC))  # the day after the due date
    fire_due_timers()
    fire_due_timers()
    open_tasks = {t.bpmn_id: t for t in instances.tasks_of(row, "ready")}
    assert set(open_tasks) == {"triage", "escalate"}
    assert open_tasks["escalate"].lane == "manager"
    escalations = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "escalation")).all()
    assert len(escalations) == 1
    assert len(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder")).all()) == 1


def test_complete_validates_and_changes_nothing_on_error(small_definition):
    provider = make_user("provider")
    team = make_user("sfo-team")
    row = _start(small_definition, provider)
    [task] = instances.tasks_of(row, "ready")
    version = row.lock_version
    with pytest.raises(Invalid) as error:
        tasks.complete_task(team, task.id, {"eligible": "maybe", "extra": 1})
    assert set(error.value.fields) == {"eligible", "extra"}
    db.session.expire_all()
    assert tasks.get_task(team, task.id).state == "ready"
    assert instances.get_instance(team, row.id).lock_version == version


def test_message_by_business_key_and_not_found(small_definition):
    provider = make_user("provider")
    team = make_user("sfo-team")
    row = _start(small_definition, provider)
    [task] = instances.tasks_of(row, "ready")
    outcome = {"court_outcome": "acquitted", "outcome_date": "2027-02-26"}
    with pytest.raises(NotFound):
        instances.deliver_message(team, "court-outcome", "SFO-1", outcome)
    tasks.complete_task(team, task.id, {"eligible": True})
    assert row.status == "waiting" and row.stage == "conviction-check"
    with pytest.raises(NotFound):
        instances.deliver_message(team, "court-outcome", "NO-SUCH", outcome)
    instances.deliver_message(team, "court-outcome", "SFO-1", outcome)
    assert row.status == "completed" and row.outcome == "Done"
    assert row.data["court_outcome_message"] == outcome
    kinds = [
        e.kind
        for e in db.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == row.id).order_by(AuditEvent.id))
    ]
    assert kinds[:2] == ["started", "task-created"] and "message" in kinds and kinds[-1] == "completed"


def test_provider_of_other_org_gets_not_found_and_reviewer_forbidden(small_definition):
    provider = make_user("provider")
    other = make_user("provider", organisation="south-probation")
    reviewer = make_user("reviewer")
    row = _start(small_definition, provider)
    [task] = instances.tasks_of(row, "ready")
    with pytest.raises(NotFound):
        instances.get_instance(other, row.id)
    with pytest.raises(NotFound):
        tasks.get_task(other, task.id)
    with pytest.raises(Forbidden):
        tasks.complete_task(reviewer, task.id, {"eligible": True})
    assert instances.list_instances(other, instances.InstanceFilters())[1] == 0


def test_claim_conflict_and_release(small_definition):
    provider = make_user("provider")
    alice, bob = make_user("sfo-team"), make_user("sfo-team")
    row = _start(small_definition, provider)
    [task] = instances.tasks_of(row, "ready")
    tasks.claim_task(alice, task.id)
    with pytest.raises(Conflict):
        tasks.claim_task(bob, task.id)
    with pytest.raises(Forbidden):
        tasks.release_task(bob, task.id)
    tasks.release_task(alice, task.id)
    assert db.session.get(Task, task.id).assignee is None


def test_a_script_failing_at_start_leaves_the_case_in_error_to_retry(app):
    from app.services.definitions import deploy_files, read_library
    from tests.conftest import DATA

    files = read_library(DATA)
    files["small.bpmn"] = files["small.bpmn"].replace(
        b"add_working_days(today(), 2)", b"add_working_days(provider_org, 2)"
    )
    definition = deploy_files(files, "system").definition
    provider, manager = make_user("provider"), make_user("manager")
    row = instances.start_case(provider, definition.key, "SFO-ERR", {})
    assert (row.status, row.error_element) == ("error", "set_due")
    assert "north-probation" in row.error_message
    assert instances.tasks_of(row, "ready") == []
    instances.retry_instance(manager, row.id)
    assert row.status == "error"  # the data is still wrong: retrying fails again, recorded again
    kinds = [
        e.kind
        for e in db.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == row.id).order_by(AuditEvent.id))
    ]
    assert kinds == ["started", "error", "retried", "error"]


def test_a_reference_is_one_case_across_every_process(app, small_definition, sfo_definition):
    """Pages and messages name a case by its reference alone: a second process may not reuse it, and the
    database holds to that too (two starts at the same moment: ``test_start_races.py``)."""
    from app.services.errors import Conflict
    from tests.sfo_case import notification

    provider, manager = make_user("provider"), make_user("manager")
    instances.start_case(provider, small_definition.key, "REF-1", {"provider_org": provider.organisation})
    with pytest.raises(Conflict, match="cannot be used for a new case"):
        instances.start_case(
            provider, "sfo_review", "REF-1", notification("REF-1", provider.organisation, sfo_definition)
        )
    second = instances.start_case(
        provider, "sfo_review", "REF-2", notification("REF-2", provider.organisation, sfo_definition)
    )
    assert instances.get_instance_by_key(manager, "REF-2") == second
    second.business_key = "REF-1"
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
