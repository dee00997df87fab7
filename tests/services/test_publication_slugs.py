"""Publication numbers (slugs): two publications at the same moment both succeed, with distinct numbers."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ProcessInstance, PublishedReport
from app.services import publication
from app.services.reports import SECTIONS
from app.services.runtime import transaction
from tests.people import People
from tests.services.test_concurrency import _once_per_thread, _run_together
from tests.sfo_case import SfoCase


@pytest.fixture(autouse=True)
def recorded_facts_not_needed(monkeypatch):
    """Only numbering is tested here: who may publish, and on what recorded facts, is tested in
    test_publication_duties; the pack below is set directly, without a recorded outcome or approval."""
    monkeypatch.setattr(publication, "publication_blockers", lambda record: {})


def _ready_to_publish(people: People, definition, reference: str) -> int:
    """A case whose data holds an approved, anonymised pack (set directly: the route there is tested elsewhere)."""
    row = SfoCase(people, definition, reference).row
    pack = {f"anonymised_{name}": f"Clean text for {title.lower()}." for name, title in SECTIONS}
    row.data = {
        **(row.data or {}),
        **pack,
        "court_outcome": "convicted_sfo",
        "publish_approved": True,
        "published_on": "2027-03-01",
    }
    db.session.commit()
    return row.id


def _publish(instance_id: int) -> str:
    with transaction():
        return publication.publish_snapshot(db.session.get(ProcessInstance, instance_id), "publisher").slug


@pytest.mark.usefixtures("postgresql")
def test_two_publications_at_the_same_moment_both_succeed_with_distinct_numbers(
    people, app, sfo_definition, monkeypatch
):
    first, second = (_ready_to_publish(people, sfo_definition, f"SFO-2027-00{n}") for n in (1, 2))
    barrier, problems = threading.Barrier(2, timeout=15), []
    wait = _once_per_thread(barrier, problems)
    original = publication._new_slug

    def number_together(year: int) -> str:
        wait()  # both publications are in flight and about to take a number
        return original(year)

    monkeypatch.setattr(publication, "_new_slug", number_together)

    results = _run_together(app, [lambda: _publish(first), lambda: _publish(second)])

    assert not problems
    assert sorted(results) == [("ok", "2027-001"), ("ok", "2027-002")], results
    assert sorted(db.session.scalars(select(PublishedReport.slug))) == ["2027-001", "2027-002"]


def test_numbering_carries_on_after_reports_published_before_the_counter_existed(people, app, sfo_definition):
    earlier = _ready_to_publish(people, sfo_definition, "SFO-2027-001")
    db.session.add(
        PublishedReport(
            instance_id=None,
            slug="2027-001",
            title="An earlier review",
            published_on=dt.date(2027, 1, 5),
            year=2027,
            offence_type="other",
            offence_title="Other",
            content={},
            themes=[],
            published_by="publisher",
            created_at=dt.datetime(2027, 1, 5, tzinfo=dt.UTC),
        )
    )
    db.session.commit()

    assert _publish(earlier) == "2027-002"
    assert _publish(earlier) == "2027-002"  # publishing the same case again keeps its number
    assert _publish(_ready_to_publish(people, sfo_definition, "SFO-2027-002")) == "2027-003"
