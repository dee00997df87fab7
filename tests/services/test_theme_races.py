"""Two people correcting a review's themes at the same moment (PostgreSQL): the last one's themes stand.

The first is held once their themes are written and before they are committed; the second then runs until it
finishes or waits for a lock the first has, and only then is the first let go: the race is decided by the
database, not by how the threads happen to be timed.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, ReviewTheme
from app.services import case_themes, lessons
from app.services.errors import ServiceError
from app.services.instances import get_instance
from app.services.users import get_user
from tests.services.test_concurrency import _run_together
from tests.services.test_draft_races import _blocked_on_a_lock
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
    written, second_done = threading.Event(), threading.Event()
    first = threading.local()
    original_event = lessons.record_event

    def record_then_hold(*args, **kwargs):  # type: ignore[no-untyped-def]
        event = original_event(*args, **kwargs)
        if getattr(first, "held", None) is False:
            first.held = True
            db.session.flush()  # the first person's themes are written, not yet committed
            written.set()
            while not second_done.is_set() and not _blocked_on_a_lock(app):
                time.sleep(0.02)  # waiting for a state of the other party, not for a guessed interleaving
        return event

    monkeypatch.setattr(lessons, "record_event", record_then_hold)

    def set_by(username: str, codes: list[str]) -> list[str]:
        user = get_user(username)
        return case_themes.set_themes(user, get_instance(user, instance_id), codes)

    def set_first() -> list[str]:
        first.held = False
        return set_by(team, ["domestic_abuse"])

    def set_second() -> list[str]:
        assert written.wait(timeout=30), "the first never wrote its themes"
        try:
            return set_by(manager, ["accommodation"])
        finally:
            second_done.set()

    results = _run_together(app, [set_first, set_second])

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
