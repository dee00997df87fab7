"""An instance must behave the same whichever process runs each step: the model parsed again and the
state reloaded in a fresh engine between steps, as after a restart or on another gunicorn worker."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from app.clock import FrozenClock
from app.engine import Engine, parse_process_model
from app.models.users import LANE_GROUPS
from app.services.definitions import read_library
from app.services.sample_data import sample_for

ROOT = Path(__file__).resolve().parent.parent.parent
REVIEWS = [
    {"agency": "Northshire CSP", "review_type": "domestic_homicide_review"},
    {"agency": "Northshire SAB", "review_type": "safeguarding_adults_review"},
]


def _fresh_model():
    return parse_process_model(read_library(ROOT / "bpmn", ROOT / "forms"), LANE_GROUPS)


def _complete(engine: Engine, state: str, bpmn_id: str, **answers) -> str:
    """Load the state in a fresh engine with a freshly parsed model, complete one task, dump."""
    instance = engine.load(_fresh_model(), state)
    task = next(t for t in instance.ready_human_tasks() if t.bpmn_id == bpmn_id)
    assert task.form is not None
    instance.complete_task(task.id, sample_for(task.form.schema, answers, engine.clock.now().date()))
    return engine.dump(instance)


def _ready(engine: Engine, state: str) -> list[str]:
    return sorted(t.bpmn_id for t in engine.load(_fresh_model(), state).ready_human_tasks() if t.lane != "manager")


def _to_liaison(engine: Engine) -> str:
    model = _fresh_model()
    form = model.start_form()
    assert form is not None
    data = sample_for(form.schema, {"other_reviews": []}, engine.clock.now().date())
    instance = engine.new_instance(model, data)
    instance.run()
    state = engine.dump(instance)
    state = _complete(engine, state, "confirm_eligibility", eligible=True)
    state = _complete(engine, state, "allocate_reviewer", reviewer="reviewer1")
    return _complete(engine, state, "write_terms_of_reference", other_reviews=REVIEWS)


def test_liaison_instances_completed_in_fresh_processes_reach_drafting():
    engine = Engine(FrozenClock(dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC)))
    state = _to_liaison(engine)
    assert _ready(engine, state) == ["gather_evidence", "liaise_with_other_review", "liaise_with_other_review"]
    for bpmn_id in ("liaise_with_other_review", "gather_evidence", "liaise_with_other_review"):
        state = _complete(engine, state, bpmn_id)
    assert _ready(engine, state) == ["draft_report"]


def test_a_case_stalled_by_a_lost_merge_moves_on_when_loaded():
    """State saved by the old code: liaison instances completed where nobody was listening."""
    engine = Engine(FrozenClock(dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC)))
    state = _to_liaison(engine)
    model = _fresh_model()
    loop = next(
        s
        for s in model.all_task_specs()
        if getattr(s, "bpmn_id", None) == "liaise_with_other_review" and hasattr(s, "merge_child")
    )
    child_spec = loop._wf_spec.task_specs[loop.task_spec]
    child_spec.completed_event.disconnect(loop.merge_child)  # as a process that did not create the instances
    instance = engine.load(model, state)
    for task in [t for t in instance.ready_human_tasks() if t.lane != "manager"]:
        instance.complete_task(task.id, sample_for(task.form.schema, {}, engine.clock.now().date()))
    stalled = engine.dump(instance)
    assert [t.bpmn_id for t in engine.load(model, stalled).ready_human_tasks() if t.lane != "manager"] == []

    repaired = engine.load(_fresh_model(), stalled)
    repaired.run()
    assert [t.bpmn_id for t in repaired.ready_human_tasks() if t.lane != "manager"] == ["draft_report"]
    assert [r["agency"] for r in repaired.data()["other_reviews"]] == [r["agency"] for r in REVIEWS]
