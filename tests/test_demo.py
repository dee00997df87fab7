"""The demo data (`sfo demo`): users and cases at every stage, including the court outcome that came early,
another agency's review added after scoping, and a publication reopened by a later conviction."""

from __future__ import annotations

from sqlalchemy import select

from app.demo import SCENARIOS, load_demo
from app.extensions import db
from app.models import AuditEvent, ProcessInstance
from app.services import instances


def _case(reference):
    return db.session.scalar(select(ProcessInstance).where(ProcessInstance.business_key == reference))


def test_demo_cases_reach_their_stages_and_loading_twice_changes_nothing(sfo_definition):
    lines = load_demo()
    assert lines[-1].startswith("Demo users share the password")
    for scenario in SCENARIOS:
        row = _case(scenario.reference)
        if scenario.stop_at:
            assert (row.status, row.stage) in (("running", scenario.stop_at), ("waiting", scenario.stop_at)), (
                scenario.reference
            )
        else:
            assert row.status == "completed", scenario.reference
    early = _case("DEMO-012")
    assert [o["court_outcome"] for o in early.data["court_outcomes"]] == ["convicted_sfo"]
    added = _case("DEMO-013")
    assert [t.bpmn_id for t in instances.tasks_of(added, "ready")].count("liaise_with_added_review") == 1
    reopened = _case("DEMO-014")
    kinds = [e.kind for e in db.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == reopened.id))]
    assert "publication-reopened" in kinds and reopened.outcome is None
    count = db.session.scalar(select(db.func.count()).select_from(ProcessInstance))
    load_demo()
    assert db.session.scalar(select(db.func.count()).select_from(ProcessInstance)) == count
