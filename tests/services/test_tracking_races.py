"""Progress recorded on a recommendation while a task of its case rewrites the recommendations (PostgreSQL).

The person recording progress is held once their change is written and before it is committed; the task's
completion then runs until it finishes or waits for a lock the held party has, and only then is the held
party let go: the race is decided by the database, not by how the threads happen to be timed.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, RecommendationRecord
from app.services import tracking
from app.services.errors import ServiceError
from app.services.instances import get_instance
from app.services.users import get_user
from tests.api.test_recommendations_api import RECOMMENDATIONS, RESPONSES
from tests.services.races import first_held_at
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

    def track() -> str:
        user = get_user(provider)
        done = tracking.track(user, get_instance(user, instance_id), 1, "done", "Audit report.", "2027-03-01")
        return done.tracking_status

    def tag_themes() -> str:
        return case.do("tag_themes", as_user=get_user(people.team.username), themes=["mappa"]).status

    # the progress is held once it is written, not committed
    [(tracked, outcome), (tagged, tag_outcome)] = first_held_at(
        app, monkeypatch, tracking, "record_event", track, tag_themes, flush=True
    )

    assert tagged == "ok", tag_outcome
    record = db.session.get(RecommendationRecord, (instance_id, 1))
    trail = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "recommendation-tracked")).all()
    if tracked == "ok":  # the trail says the progress was recorded: the record says so too
        assert (record.tracking_status, record.evidence, len(trail)) == ("done", "Audit report.", 1)
    else:
        assert isinstance(outcome, ServiceError) and outcome.status == 409, outcome
        assert (record.tracking_status, trail) == (None, [])
