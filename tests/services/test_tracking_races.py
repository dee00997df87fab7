"""Progress recorded on a recommendation while a task of its case rewrites the recommendations (PostgreSQL).

The person recording progress is held once their change is written and before it is committed; the task's
completion then runs until it finishes or waits for a lock the held party has, and only then is the held
party let go: the race is decided by the database, not by how the threads happen to be timed.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, RecommendationRecord
from app.services import tracking
from app.services.errors import ServiceError
from app.services.instances import get_instance
from app.services.users import get_user
from tests.api.test_recommendations_api import RECOMMENDATIONS, RESPONSES
from tests.services.test_concurrency import _run_together
from tests.services.test_draft_races import _blocked_on_a_lock
from tests.sfo_case import SfoCase

pytestmark = pytest.mark.usefixtures("postgresql")


def test_progress_recorded_while_the_themes_are_tagged_is_kept(app, people, sfo_definition, monkeypatch):
    case = SfoCase(people, sfo_definition)
    case.to_stage("drafting")
    case.do("draft_report", recommendations=RECOMMENDATIONS)
    case.do("quality_assure_report", qa_decision="approve")
    case.do("record_provider_response", responses=RESPONSES)
    case.court_outcome("acquitted")
    assert "tag_themes" in case.ready()  # its form rewrites the recommendation rows (their themes)
    instance_id, provider = case.row.id, people.provider.username
    written, completion_done = threading.Event(), threading.Event()
    tracking_thread = threading.local()
    original_event = tracking.record_event

    def record_then_hold(*args, **kwargs):  # type: ignore[no-untyped-def]
        event = original_event(*args, **kwargs)
        if getattr(tracking_thread, "held", None) is False:
            tracking_thread.held = True
            db.session.flush()  # the progress is written, not yet committed
            written.set()
            while not completion_done.is_set() and not _blocked_on_a_lock(app):
                time.sleep(0.02)  # waiting for a state of the completion, not for a guessed interleaving
        return event

    monkeypatch.setattr(tracking, "record_event", record_then_hold)

    def track() -> str:
        tracking_thread.held = False
        user = get_user(provider)
        done = tracking.track(user, get_instance(user, instance_id), 1, "done", "Audit report.", "2027-03-01")
        return done.tracking_status

    def tag_themes() -> str:
        assert written.wait(timeout=30), "the progress was never written"
        try:
            return case.do("tag_themes", as_user=get_user(people.team.username), themes=["mappa"]).status
        finally:
            completion_done.set()

    [(tracked, outcome), (tagged, tag_outcome)] = _run_together(app, [track, tag_themes])

    assert tagged == "ok", tag_outcome
    record = db.session.get(RecommendationRecord, (instance_id, 1))
    trail = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "recommendation-tracked")).all()
    if tracked == "ok":  # the trail says the progress was recorded: the record says so too
        assert (record.tracking_status, record.evidence, len(trail)) == ("done", "Audit report.", 1)
    else:
        assert isinstance(outcome, ServiceError) and outcome.status == 409, outcome
        assert (record.tracking_status, trail) == (None, [])
