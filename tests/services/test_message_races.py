"""Outside messages and changes arriving at the same moment (PostgreSQL only: each party is a thread with
its own session; a barrier holds both after they chose the case and before they lock it)."""

from __future__ import annotations

import threading

import pytest

from app.extensions import db
from app.models import ProcessInstance
from app.services import messages, retention, tasks
from app.services.errors import ServiceError
from app.services.users import get_user
from tests.conftest import START
from tests.services.races import first_held_at
from tests.services.test_concurrency import _once_per_thread, _run_together
from tests.sfo_case import SfoCase

OUTCOME = {"court_outcome": "convicted_sfo", "outcome_date": "2027-02-26"}


@pytest.fixture
def postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers and has no row locks; set TEST_DATABASE_URL to a PostgreSQL database")


@pytest.fixture
def together(monkeypatch):  # type: ignore[no-untyped-def]
    """Both parties reach the case's lock before either takes it."""
    problems: list[BaseException] = []
    wait = _once_per_thread(threading.Barrier(2, timeout=30), problems)
    lock = messages.lock_instance

    def lock_together(instance_id: int) -> bool:
        wait()
        return lock(instance_id)

    monkeypatch.setattr(messages, "lock_instance", lock_together)
    return problems


def test_two_court_outcomes_at_once_are_both_kept(people, app, postgresql, sfo_definition, together):
    case = SfoCase(people, sfo_definition)
    case.to_stage("drafting")
    instance_id, version = case.row.id, case.row.lock_version
    team = people.team.username

    def send(outcome: str):  # type: ignore[no-untyped-def]
        payload = {**OUTCOME, "court_outcome": outcome}
        return lambda: messages.deliver_message(get_user(team), "court-outcome", "SFO-2027-001", payload).id

    results = _run_together(app, [send("acquitted"), send("convicted_sfo")])
    assert [kind for kind, _ in results] == ["ok", "ok"] and not together, results
    row = db.session.get(ProcessInstance, instance_id)
    assert row.lock_version == version + 2
    assert sorted(o["court_outcome"] for o in row.data["court_outcomes"]) == ["acquitted", "convicted_sfo"]


def test_an_outcome_and_a_review_added_at_once_both_land(people, app, postgresql, sfo_definition, together):
    case = SfoCase(people, sfo_definition)
    case.to_stage("liaison")
    team, reviewer, instance_id = people.team.username, people.reviewer.username, case.row.id
    results = _run_together(
        app,
        [
            lambda: messages.deliver_message(get_user(team), "court-outcome", "SFO-2027-001", OUTCOME).id,
            lambda: messages.add_other_review(get_user(reviewer), instance_id, "Northshire SAB", "other").id,
        ],
    )
    assert [kind for kind, _ in results] == ["ok", "ok"] and not together, results
    row = db.session.get(ProcessInstance, instance_id)
    assert [o["court_outcome"] for o in row.data["court_outcomes"]] == ["convicted_sfo"]
    assert [r["agency"] for r in row.data["added_reviews"]] == ["Northshire SAB"]


def test_a_review_added_by_the_reviewer_as_a_manager_makes_someone_else_reviewer_is_refused(
    people, app, postgresql, sfo_definition, monkeypatch
):
    case = SfoCase(people, sfo_definition)
    case.to_stage("liaison")
    task_id, instance_id = case.task("gather_evidence").id, case.row.id
    reviewer, successor, manager = people.reviewer.username, people.other_reviewer.username, people.manager.username
    checked, changed = threading.Event(), threading.Event()
    lock = messages.lock_instance

    def lock_after_the_change(instance_id: int) -> bool:  # the reviewer was allowed, and is about to lock the case
        checked.set()
        assert changed.wait(timeout=30), "the reviewer was never changed"
        return lock(instance_id)

    monkeypatch.setattr(messages, "lock_instance", lock_after_the_change)

    def add() -> str:
        return messages.add_other_review(get_user(reviewer), instance_id, "Northshire SAB", "other").status

    def change() -> str | None:
        assert checked.wait(timeout=30), "the reviewer never got to the case"
        try:
            user = get_user(manager)
            return tasks.assign_task(user, task_id, successor, make_case_reviewer=True).assignee
        finally:
            changed.set()

    [(added, outcome), (assigned, assignee)] = _run_together(app, [add, change])

    assert (assigned, assignee) == ("ok", successor)
    row = db.session.get(ProcessInstance, instance_id)
    assert row.reviewer == successor
    # the one no longer the case's reviewer is refused, as they are once the change is made
    assert added == "error" and isinstance(outcome, ServiceError) and outcome.status == 403, outcome
    assert not row.data.get("added_reviews")


@pytest.mark.parametrize("action", ["delete", "reduce"])
def test_a_conviction_for_a_case_retention_is_removing_meanwhile_finds_no_case(
    people, app, postgresql, sfo_definition, clock, monkeypatch, action
):
    """Retention takes the closed case and removes it (or reduces it to statistics); a conviction that would
    reopen it comes at that moment and waits for the case's lock. Once it has the lock the case is gone: the
    message is answered 404 and writes nothing, rather than reopening what retention removed."""
    case = SfoCase(people, sfo_definition, "SFO-GONE-1")
    case.to_conviction_check()
    case.court_outcome("acquitted")
    case.finish()
    assert case.row.outcome == "Closed unpublished"
    instance_id, team = case.row.id, people.team.username
    clock.set(START.replace(year=START.year + 8))
    policy = retention.Policy(7, action)

    def remove() -> int:
        return len(retention.apply_policy(policy))

    def convict() -> str:
        return messages.deliver_message(get_user(team), "court-outcome", "SFO-GONE-1", OUTCOME).status

    module, name = retention, "_delete" if action == "delete" else "_reduce"
    [(removed, count), (sent, outcome)] = first_held_at(app, monkeypatch, module, name, remove, convict, flush=True)
    assert (removed, count) == ("ok", 1)
    assert sent == "error" and isinstance(outcome, ServiceError) and outcome.status == 404, outcome
    row = db.session.get(ProcessInstance, instance_id)
    if action == "delete":
        assert row is None
    else:
        assert (row.status, row.state, row.business_key) == ("completed", "", f"reduced/{instance_id}")
