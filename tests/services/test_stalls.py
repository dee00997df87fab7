"""The invariant after every step: an open case waits for a person, a timer or a message, or it is in
error with the element and a plain reason, where a manager can see it and retry it."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from pathlib import Path

from app.engine import runtime as engine_runtime
from app.engine.definitions import connect_loop_children
from app.services import instances, tasks
from app.services.audit import events_of
from app.services.definitions import deploy_files
from app.services.runtime import runtime
from app.services.timers import fire_due_timers
from tests.conftest import make_user
from tests.people import People
from tests.sfo_case import SfoCase

DATA = Path(__file__).resolve().parent.parent / "data"
REVIEWS = [
    {"agency": "Northshire CSP", "review_type": "domestic_homicide_review"},
    {"agency": "Northshire SAB", "review_type": "safeguarding_adults_review"},
]


@contextmanager
def loops_not_wired(definition, monkeypatch):
    """The defect the invariant must catch: liaison instances completed where their loop cannot hear
    (and the repair on load, which would otherwise mend it at the next step, held back)."""
    monkeypatch.setattr(engine_runtime, "_merge_lost_loop_instances", lambda workflow: None)
    model = runtime().model_for(definition)
    processes = [model.spec, *model.subprocess_specs.values()]
    loops = [(p, s) for p in processes for s in p.task_specs.values() if hasattr(s, "merge_child")]
    assert loops, "the model has no loop to unwire"
    for process, loop in loops:
        process.task_specs[loop.task_spec].completed_event.disconnect(loop.merge_child)
    try:
        yield
    finally:
        for process in processes:
            connect_loop_children(process)
        monkeypatch.undo()


def _to_liaison(case: SfoCase, people: People) -> None:
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    case.do("write_terms_of_reference", other_reviews=REVIEWS)


def test_a_step_that_leaves_nothing_to_wait_for_puts_the_case_in_error_and_retry_moves_it_on(
    sfo_definition, people, monkeypatch, clock
):
    case = SfoCase(people, sfo_definition)
    _to_liaison(case, people)
    with loops_not_wired(sfo_definition, monkeypatch):
        for bpmn_id in ("liaise_with_other_review", "liaise_with_other_review", "gather_evidence"):
            case.do(bpmn_id)
        row = case.row
        # the lost liaison still has its deadline: it is not silent, its overdue timer brings in a manager
        assert row.status == "waiting" and row.next_timer_at is not None
        clock.set(row.next_timer_at + dt.timedelta(days=30))
        fire_due_timers()
        fire_due_timers()
        for escalation in [t for t in instances.tasks_of(row, "ready") if t.bpmn_id == "overdue_task_escalation"]:
            case.do(escalation.bpmn_id, as_user=people.manager)
    row = case.row
    assert row.status == "error"
    assert row.error_message == "Stalled after liaison: nothing is waiting for a person, a timer or a message."
    assert row.error_element in ("gather_evidence", "liaise_with_other_review", "overdue_work")
    assert [e.kind for e in events_of(row)][-1] == "error"

    instances.retry_instance(people.manager, row.id)
    assert (row.status, case.ready()) == ("running", ["draft_report"])
    assert [r["agency"] for r in row.data["other_reviews"]] == [r["agency"] for r in REVIEWS]


def test_a_diagram_whose_join_can_never_fire_puts_the_case_in_error_not_waiting(app):
    files = {p.name: p.read_bytes() for p in (DATA / "engine" / "stall.bpmn", DATA / "triage.schema.json")}
    definition = deploy_files(files, "system").definition
    team = make_user("sfo-team")
    row = instances.start_case(team, definition.key, "STALL-1", {})
    task = instances.tasks_of(row, "ready")[0]
    tasks.complete_task(team, task.id, {"eligible": True})
    assert (row.status, row.error_element) == ("error", "triage")
    assert row.error_message.startswith("Stalled after eligibility")

    instances.retry_instance(make_user("manager"), row.id)  # nothing mended: it stays in error, and says so again
    assert row.status == "error"
    assert [e.kind for e in events_of(row)].count("error") == 2
