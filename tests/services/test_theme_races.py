"""Two people correcting a review's themes at the same moment (PostgreSQL): the last one's themes stand.

The first is held once their themes are written and before they are committed; the second then runs until it
finishes or waits for a lock the first has, and only then is the first let go: the race is decided by the
database, not by how the threads happen to be timed.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, ReviewTheme
from app.services import case_themes, lessons
from app.services.errors import ServiceError
from app.services.instances import get_instance
from app.services.users import get_user
from tests.services.races import first_held_at
from tests.sfo_case import SfoCase

pytestmark = pytest.mark.usefixtures("postgresql")


def test_two_people_setting_a_review_s_themes_at_once_leave_one_of_their_choices(
    app, people, sfo_definition, monkeypatch
):
    case = SfoCase(people, sfo_definition)
    case.to_stage("drafting")
    case.do("draft_report")
    case.do("quality_assure_report", qa_decision="approve")
    case_themes.set_themes(people.team, case.row, ["mappa"])  # set once; both now correct it
    instance_id, team, manager = case.row.id, people.team.username, people.manager.username

    def set_by(username: str, codes: list[str]) -> list[str]:
        user = get_user(username)
        return case_themes.set_themes(user, get_instance(user, instance_id), codes)

    # the first person is held once their themes are written, not committed
    results = first_held_at(
        app,
        monkeypatch,
        lessons,
        "record_event",
        lambda: set_by(team, ["domestic_abuse"]),
        lambda: set_by(manager, ["accommodation"]),
        flush=True,
    )

    stored = sorted(db.session.scalars(select(ReviewTheme.theme_code).where(ReviewTheme.instance_id == instance_id)))
    trail = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.instance_id == instance_id, AuditEvent.kind == "themes-changed")
        .order_by(AuditEvent.id)
    ).all()
    chosen = [value for kind, value in results if kind == "ok"]
    refused = [value for kind, value in results if kind == "error"]
    assert all(isinstance(e, ServiceError) and e.status == 409 for e in refused), refused
    assert chosen, results
    assert stored == sorted(trail[-1].detail["after"])  # the stored themes are the last change the trail shows
    assert stored in [sorted(c) for c in chosen]  # one person's choice, not a mixture of both
    assert [e.detail["before"] for e in trail[1:]] == [e.detail["after"] for e in trail[:-1]]
