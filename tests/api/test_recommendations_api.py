"""Recommendation tracking and the inspection list through the JSON API (issue 15): the same rules as the
pages, bearer tokens, the JSON error body, and nothing changed by a refused request."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, RecommendationRecord
from tests.sfo_case import SfoCase

RECOMMENDATIONS = [
    {"text": "Audit home visits.", "addressee": "probation_provider", "level": "local"},
    {"text": "Publish national guidance.", "addressee": "hmpps", "level": "national"},
]
RESPONSES = [
    {"response": "accept", "action": "Monthly audit.", "owner": "Head of PDU", "target_date": "2027-06-30"},
    {"response": "partly", "action": "Guidance.", "owner": "HMPPS policy", "target_date": "2027-09-30"},
]


def closed_case(people, definition, reference="SFO-API-1") -> SfoCase:
    case = SfoCase(people, definition, reference=reference)
    case.to_stage("drafting")
    case.do("draft_report", recommendations=RECOMMENDATIONS)
    case.do("quality_assure_report", qa_decision="approve")
    case.do("record_provider_response", responses=RESPONSES)
    case.court_outcome("acquitted")
    case.do("tag_themes", themes=["mappa"])
    assert case.row.status == "completed"
    return case


def untouched(case: SfoCase) -> bool:
    records = db.session.scalars(select(RecommendationRecord).where(RecommendationRecord.instance_id == case.row.id))
    events = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "recommendation-tracked")
    )
    return all(r.tracking_status is None for r in records) and events == 0


def test_a_case_s_recommendations_are_listed_with_their_tracking(api, people, sfo_definition):
    case = closed_case(people, sfo_definition)
    url = f"/process-instances/{case.row.id}/recommendations"
    listed = api.get(url, people.provider)["items"]
    assert [(r["number"], r["addressee"], r["status"], r["tracking_status"]) for r in listed] == [
        (1, "probation_provider", "accepted", None),
        (2, "hmpps", "accepted", None),
    ]
    assert listed[0]["case_reference"] == "SFO-API-1" and listed[0]["target_date"] == "2027-06-30"
    assert api.get(f"{url}/2", people.manager)["text"] == "Publish national guidance."
    api.get(f"{url}/3", people.manager, expect=404)
    api.get(url, people.other_provider, expect=404)  # another organisation's case does not exist for them
    api.get(url, people.other_reviewer, expect=403)
    api.get(url, None, expect=401)
    assert set(api.get(url, people.manager, expect=422, page="2")["error"]["fields"]) == {"page"}
    assert set(api.get(f"{url}/1", people.manager, expect=422, status="done")["error"]["fields"]) == {"status"}


def test_before_the_report_is_sent_there_is_nothing_to_track(api, people, sfo_definition):
    case = SfoCase(people, sfo_definition, reference="SFO-API-0")
    case.to_stage("drafting")
    url = f"/process-instances/{case.row.id}/recommendations"
    assert api.get(url, people.team)["items"] == []
    refused = api.put(f"{url}/1/tracking", people.team, {"status": "accepted"}, expect=404)
    assert refused["error"]["code"] == "not_found"


def test_the_addressee_records_progress_with_the_page_s_rules(api, people, sfo_definition, clock):
    case = closed_case(people, sfo_definition)
    url = f"/process-instances/{case.row.id}/recommendations"
    done = {"status": "done", "evidence": "Audit report of May 2027.", "done_on": "2027-03-01"}
    tracked = api.put(f"{url}/1/tracking", people.provider, done)
    assert (tracked["tracking_status"], tracked["status"], tracked["done_on"]) == ("done", "done", "2027-03-01")
    assert tracked["updated_by"] == people.provider.username
    assert tracked["updated_on"] == clock.now().date().isoformat()
    tracked = api.put(f"{url}/2/tracking", people.team, {"status": "in_progress", "evidence": "Draft circulated."})
    assert (tracked["status"], tracked["done_on"]) == ("in progress", None)
    assert api.get(f"{url}/2", people.provider)["tracking_status"] == "in_progress"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"status": "done"}, {"evidence", "done_on"}),
        ({"status": "finished", "evidence": "x"}, {"status"}),
        ({"status": "not_done"}, {"evidence"}),
        ({"status": "done", "evidence": "Audit.", "done_on": "2099-01-01"}, {"done_on"}),
        ({"status": "done", "evidence": "Audit.", "done_on": "1 March"}, {"done_on"}),
        ({"status": "accepted", "evidence": "x" * 5001}, {"evidence"}),
        ({"status": "accepted", "colour": "red"}, {"colour"}),
        ({"evidence": "x"}, {"status"}),
        ({"status": 7}, {"status"}),
    ],
)
def test_bad_tracking_is_refused_with_fields_and_changes_nothing(api, people, sfo_definition, body, fields):
    case = closed_case(people, sfo_definition)
    refused = api.put(f"/process-instances/{case.row.id}/recommendations/1/tracking", people.provider, body, expect=422)
    assert refused["error"]["code"] == "validation_failed" and set(refused["error"]["fields"]) == fields
    assert untouched(case)


def test_tracking_is_for_the_addressee(api, people, sfo_definition):
    case = closed_case(people, sfo_definition)
    url = f"/process-instances/{case.row.id}/recommendations"
    body = {"status": "accepted", "evidence": ""}
    assert api.put(f"{url}/2/tracking", people.provider, body, expect=403)["error"]["code"] == "forbidden"
    api.put(f"{url}/1/tracking", people.other_provider, body, expect=404)
    api.put(f"{url}/1/tracking", people.reviewer, body, expect=403)  # the case's reviewer does not track
    api.put(f"{url}/1/tracking", people.qa, body, expect=403)
    api.put(f"{url}/9/tracking", people.team, body, expect=404)
    api.call("PUT", f"{url}/1/tracking?as_of=2027-01-01", people.provider, json=body, expect=422)
    api.put(f"{url}/1/tracking", None, body, expect=401)
    api.put(f"/process-instances/{case.row.id + 1000}/recommendations/1/tracking", people.team, body, expect=404)
    assert untouched(case)


def test_the_inspection_list_is_a_provider_s_open_recommendations(api, people, sfo_definition):
    case = closed_case(people, sfo_definition)
    closed_case(people, sfo_definition, reference="SFO-API-2")
    url = f"/process-instances/{case.row.id}/recommendations/1/tracking"
    api.put(url, people.provider, {"status": "done", "evidence": "Audit.", "done_on": "2027-03-01"})
    found = api.get("/inspection", people.manager, provider="north-probation")
    assert found["provider"] == "north-probation"
    assert sorted((r["case_reference"], r["number"]) for r in found["items"]) == [
        ("SFO-API-1", 2),
        ("SFO-API-2", 1),
        ("SFO-API-2", 2),
    ]
    own = api.get("/inspection", people.provider, provider="north-probation")
    assert own["items"] == found["items"]
    assert api.get("/inspection", people.manager, provider="south-probation")["items"] == []
    api.get("/inspection", people.provider, provider="south-probation", expect=404)  # only its own organisation
    api.get("/inspection", people.other_provider, provider="north-probation", expect=404)
    api.get("/inspection", people.team, provider="north-probation", expect=403)
    api.get("/inspection", people.reviewer, provider="north-probation", expect=403)
    assert set(api.get("/inspection", people.manager, expect=422)["error"]["fields"]) == {"provider"}
    refused = api.get("/inspection", people.manager, expect=422, provider="north-probation", status="open")
    assert set(refused["error"]["fields"]) == {"status"}
    api.get("/inspection", None, provider="north-probation", expect=401)


def test_the_endpoints_are_in_the_openapi_document(api):
    document = api.get("/openapi.json", None)
    paths = document["paths"]
    assert set(paths["/api/v1/process-instances/{instance_id}/recommendations/{number}/tracking"]) == {"put"}
    put = paths["/api/v1/process-instances/{instance_id}/recommendations/{number}/tracking"]["put"]
    assert {"403", "404", "422"} <= set(put["responses"])
    assert (
        "get" in paths["/api/v1/inspection"]
        and "get" in paths["/api/v1/process-instances/{instance_id}/recommendations"]
    )
    assert {"Tracked", "Tracking"} <= set(document["components"]["schemas"])
