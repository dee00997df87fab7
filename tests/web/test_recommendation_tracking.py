"""Recommendations after the review (issue 15): tracked by their addressee (status, evidence, dates),
overdue actions on the manager dashboard, and the inspection view of a provider's open ones (HTML, CSV)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, RecommendationRecord
from app.services import tracking
from app.services.errors import Forbidden, Invalid
from app.services.reports import get_report
from tests.sfo_case import SfoCase

RECOMMENDATIONS = [
    {"text": "Audit home visits.", "addressee": "probation_provider", "level": "local"},
    {"text": "=Publish national guidance.", "addressee": "hmpps", "level": "national"},
]
RESPONSES = [
    {"response": "accept", "action": "Monthly audit.", "owner": "Head of PDU", "target_date": "2027-06-30"},
    {"response": "partly", "action": "Guidance.", "owner": "HMPPS policy", "target_date": "2027-09-30"},
]


def closed_case(people, definition, reference="SFO-T-1") -> SfoCase:
    case = SfoCase(people, definition, reference=reference)
    case.to_stage("drafting")
    case.do("draft_report", recommendations=RECOMMENDATIONS)
    case.do("quality_assure_report", qa_decision="approve")
    case.do("record_provider_response", responses=RESPONSES)
    case.court_outcome("acquitted")
    case.do("tag_themes", themes=["mappa"])
    assert case.row.status == "completed"
    return case


def test_the_addressee_tracks_its_action_after_the_case_closed(sfo_definition, people, clock):
    case = closed_case(people, sfo_definition)
    row = case.row
    with pytest.raises(Forbidden):  # the provider tracks only what is addressed to it
        tracking.track(people.provider, row, 2, "done", "Done.", "2027-03-01")
    with pytest.raises(Invalid) as refused:
        tracking.track(people.provider, row, 1, "done", "", "")
    assert set(refused.value.fields) == {"evidence", "done_on"}
    with pytest.raises(Invalid):
        tracking.track(people.provider, row, 1, "finished", "x", "")
    with pytest.raises(Invalid):
        tracking.track(people.provider, row, 1, "done", "Audit report.", "2099-01-01")
    assert db.session.get(RecommendationRecord, (row.id, 1)).tracking_status is None  # refused: nothing changed
    tracking.track(people.provider, row, 1, "done", "Audit report of May 2027.", "2027-03-01")
    tracking.track(people.team, row, 2, "in_progress", "Draft guidance circulated.", "")
    [first, second] = tracking.recommendations_of_case(people.manager, row, clock.now().date())
    assert (first.status, first.evidence, first.done_on) == ("done", "Audit report of May 2027.", dt.date(2027, 3, 1))
    assert (first.tracked_by, second.status) == (people.provider.username, "in progress")
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "recommendation-tracked")).all()
    assert len(events) == 2
    assert [r.status for r in get_report(people.manager, row).recommendations] == ["done", "in progress"]
    with pytest.raises(Exception):  # noqa: B017 - another organisation does not see the case at all
        tracking.recommendations_of_case(people.other_provider, row, clock.now().date())


def test_overdue_actions_reach_the_dashboard_and_the_inspection_view(sfo_definition, people, signed_in, clock):
    case = closed_case(people, sfo_definition)
    closed_case(people, sfo_definition, reference="SFO-T-2")
    tracking.track(people.provider, case.row, 1, "done", "Audit report.", "2027-03-01")
    clock.set(dt.datetime(2027, 7, 15, 9, tzinfo=dt.UTC))  # past the first target dates
    count, overdue = tracking.overdue_recommendations(people.manager, clock.now().date())
    assert count == 1 and [(t.reference, t.number) for t in overdue] == [("SFO-T-2", 1)]
    manager = signed_in(people.manager)
    dashboard = manager.get("/monitoring")
    assert "<strong>1</strong> action on recommendations is past its target date" in dashboard.html
    page = manager.get("/monitoring/inspection?provider=north-probation")
    assert "3 open recommendations for north-probation" in page.text
    assert "SFO-T-2" in page.html.split('id="overdue-recommendations"')[1]
    rows = list(
        csv.reader(
            io.StringIO(
                manager.client.get("/monitoring/inspection.csv?provider=north-probation").get_data(as_text=True)
            )
        )
    )
    assert rows[0][:3] == ["case_reference", "recommendation", "text"]
    assert sorted((r[0], r[1], r[7]) for r in rows[1:]) == [
        ("SFO-T-1", "2", "accepted"),
        ("SFO-T-2", "1", "overdue"),
        ("SFO-T-2", "2", "accepted"),
    ]
    assert all(r[2].startswith("'=") for r in rows[1:] if r[1] == "2")  # no spreadsheet formulas
    assert "0 open recommendations" in manager.get("/monitoring/inspection?provider=south-probation").text
    signed_in(people.reviewer).get("/monitoring/inspection", expect=403)
    signed_in(people.provider).get("/monitoring/inspection.csv?provider=north-probation", expect=403)


def test_the_provider_records_progress_on_the_page_without_javascript(sfo_definition, people, signed_in):
    case = closed_case(people, sfo_definition)
    web = signed_in(people.provider)
    page = web.get("/cases/SFO-T-1/recommendations")
    assert "Audit home visits." in page.text and page.html.count("Save progress on recommendation") == 1
    url = "/cases/SFO-T-1/recommendations/1"
    refused = web.post(
        url,
        {"status": "done", "evidence": "Kept <b>", "done_on-day": "31", "done_on-month": "2", "done_on-year": "2027"},
        expect=400,
    )
    assert "There is a problem" in refused.text and "Kept &lt;b&gt;" in refused.html
    refused = web.post(
        url,
        {"status": "done", "evidence": "", "done_on-day": "1", "done_on-month": "3", "done_on-year": "2027"},
        expect=400,
    )
    assert "Give the evidence that the action is done" in refused.text
    web.post(
        url,
        {
            "status": "done",
            "evidence": "Audit report.",
            "done_on-day": "1",
            "done_on-month": "3",
            "done_on-year": "2027",
        },
    )
    assert db.session.get(RecommendationRecord, (case.row.id, 1)).tracking_status == "done"
    web.post("/cases/SFO-T-1/recommendations/2", {"status": "done", "evidence": "x"}, expect=403)
    signed_in(people.other_provider).get("/cases/SFO-T-1/recommendations", expect=404)
