"""Process instances: start, list with filters and pages, read, audit trail, and managers' controls."""

from __future__ import annotations

import datetime as dt

import pytest

from app.extensions import db
from app.models import ProcessInstance
from app.services.definitions import deploy_files
from tests.api import variants
from tests.api.helpers import API
from tests.sfo_case import SfoCase

NORTH = {"provider_org": "north-probation"}


def _stored_version(case_id: int) -> int:
    db.session.expire_all()
    return db.session.get(ProcessInstance, case_id).lock_version


# --- start ---


def test_start_answers_201_with_the_case(api, people, small_definition):
    response = api.call(
        "POST",
        "/process-instances",
        people.provider,
        expect=201,
        json={"process_key": "small", "business_key": "SFO-1", "data": {}},
    )
    case = response.get_json()
    assert response.headers["Location"].endswith(f"{API}/process-instances/{case['id']}")
    assert case["process_key"] == "small" and case["process_version"] == 1
    assert (case["business_key"], case["status"], case["stage"], case["outcome"]) == (
        "SFO-1",
        "running",
        "eligibility",
        None,
    )
    assert case["data"] == {"case_reference": "SFO-1", "provider_org": "north-probation"}
    assert case["ready_tasks"] == []  # triage is the SFO team's, not the provider's
    assert case["completed_tasks"] == [] and case["error"] is None
    # the lock version stored (1 where the case is inserted once, with its first step; 2 on SQLite, where it
    # is inserted, then updated)
    assert case["version"] == _stored_version(case["id"])
    assert case["created_at"] == case["updated_at"] == "2027-03-01T09:00:00+00:00"


def test_start_takes_the_business_key_from_the_case_reference(api, people, small_definition):
    case = api.start("small", None, {"case_reference": "SFO-7"}, as_user=people.team)
    assert case.business_key == "SFO-7"


def test_start_validates_against_the_start_form(api, people, small_definition):
    error = api.post("/process-instances", people.team, {"process_key": "small", "data": {"colour": "red"}}, expect=422)
    assert set(error["error"]["fields"]) == {"colour", "case_reference"}
    assert api.get("/process-instances", people.team)["total"] == 0


def test_start_of_a_duplicate_case_is_a_conflict(api, people, small_definition):
    api.start("small", "SFO-1", as_user=people.provider)
    error = api.post(
        "/process-instances", people.provider, {"process_key": "small", "business_key": "SFO-1"}, expect=409
    )
    assert error["error"]["code"] == "conflict"


def test_start_of_an_unknown_process_is_not_found(api, people, small_definition):
    api.post("/process-instances", people.provider, {"process_key": "nope", "business_key": "SFO-1"}, expect=404)


def test_reviewers_may_not_start_cases(api, people, small_definition):
    api.post("/process-instances", people.reviewer, {"process_key": "small", "business_key": "SFO-1"}, expect=403)


def test_a_provider_cannot_notify_for_another_organisation(api, people, small_definition):
    body = {"process_key": "small", "business_key": "SFO-1", "data": {"provider_org": "south-probation"}}
    fields = api.post("/process-instances", people.provider, body, expect=422)["error"]["fields"]
    assert "provider_org" in fields


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"business_key": "SFO-1"}, "process_key"),
        ({"process_key": "small", "business_key": "SFO-1", "colour": "red"}, "colour"),
        ({"process_key": "small", "business_key": "SFO-1", "data": ["not", "an", "object"]}, "data"),
        ({"process_key": 5, "business_key": "SFO-1"}, "process_key"),
    ],
)
def test_start_body_is_checked_field_by_field(api, people, small_definition, body, field):
    fields = api.post("/process-instances", people.team, body, expect=422)["error"]["fields"]
    assert field in fields and all(isinstance(m, str) for m in fields[field])


def test_malformed_json_is_a_bad_request(api, people, small_definition):
    response = api.call(
        "POST",
        "/process-instances",
        people.team,
        data='{"process_key": "small",',
        content_type="application/json",
        expect=400,
    )
    assert response.get_json()["error"]["code"] == "bad_request"
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_body_that_is_not_json_is_a_bad_request(api, people, small_definition):
    response = api.call(
        "POST",
        "/process-instances",
        people.team,
        data="process_key=small",
        content_type="application/x-www-form-urlencoded",
        expect=400,
    )
    assert "application/json" in response.get_json()["error"]["message"]


def test_a_json_body_that_is_not_an_object_fails_validation(api, people, small_definition):
    response = api.call("POST", "/process-instances", people.team, json=["small"], expect=422)
    assert response.get_json()["error"]["fields"] == {"_body": ["Invalid input type."]}


# --- read ---


def test_detail_shows_tasks_and_data(api, people, small_definition):
    case = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    detail = case.refresh(as_user=people.team)
    started_version = detail["version"]
    [task] = detail["ready_tasks"]
    assert task["bpmn_id"] == "triage" and task["name"] == "Triage the case"
    assert (task["lane"], task["assignee"], task["candidate_groups"]) == ("sfo-team", None, ["sfo-team"])
    assert (task["due_at"], task["state"]) == ("2027-03-03", "ready")
    assert detail["data"]["triage_due"] == "2027-03-03"
    case.complete("triage", {"eligible": True}, as_user=people.team)
    detail = case.refresh(as_user=people.manager)
    assert detail["ready_tasks"] == [] and detail["status"] == "waiting" and detail["stage"] == "conviction-check"
    [done] = detail["completed_tasks"]
    assert (done["bpmn_id"], done["state"], done["completed_by"]) == ("triage", "completed", people.team.username)
    assert detail["version"] == started_version + 1 == _stored_version(detail["id"])


def test_providers_see_only_their_notification_data_and_their_tasks(api, people, small_definition):
    case = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    case.complete("triage", {"eligible": True}, as_user=people.team)
    detail = case.refresh(as_user=people.provider)
    assert detail["data"] == {"case_reference": "SFO-1", "provider_org": "north-probation"}
    assert detail["completed_tasks"] == []


def test_providers_see_the_reviews_they_notified_not_the_reviewers_liaison_records(api, people, sfo_definition):
    """The notification's other_reviews is the list the reviewer goes on to keep, with each liaison's
    contact and notes: the provider sees of it what its notification asked (agency and type), no more."""
    listed = [{"agency": "Northshire CSP", "review_type": "domestic_homicide_review"}]
    case = SfoCase(people, sfo_definition, "SFO-LIAISE-1", other_reviews=listed)
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    case.do("write_terms_of_reference", other_reviews=listed)
    case.do("liaise_with_other_review", liaison_contact="Jo Bloggs, DHR chair", liaison_notes="Family fear him.")
    case.do("gather_evidence")
    assert case.row.data["other_reviews"][0]["liaison_contact"] == "Jo Bloggs, DHR chair"  # the reviewer's record

    detail = api.get(f"/process-instances/{case.row.id}", people.provider)

    assert detail["data"]["other_reviews"] == listed
    assert "Jo Bloggs" not in repr(detail) and "Family fear him" not in repr(detail)


FAILING = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://sfo.test">
  <bpmn:process id="failing" name="Failing" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="providers" name="provider"><bpmn:flowNodeRef>start</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="team" name="sfo-team"><bpmn:flowNodeRef>assess</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="assess" name="Assess"><bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:script>risk_notes = "Lives at 14 Mill Lane with the victim's sister"
score = int(risk_notes)</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="assess" />
    <bpmn:sequenceFlow id="f1" sourceRef="assess" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_provider_is_told_its_case_is_in_error_but_not_the_data_the_error_quotes(api, people, client):
    """A failing step's message quotes the values it failed on (here a note providers never see): the
    provider learns where the case failed, in the API and on its case page; the teams read the message."""
    from tests.web.conftest import Browser

    deploy_files({"failing.bpmn": FAILING.encode()}, "system")
    case = api.start("failing", "SFO-ERR-1", NORTH, as_user=people.provider)
    assert case["status"] == "error"

    provider_sees = [
        api.get(f"/process-instances/{case.id}", people.provider),
        api.get("/process-instances", people.provider),
        api.get(f"/process-instances/{case.id}/events", people.provider),
        Browser(client).sign_in(people.provider).get("/cases/SFO-ERR-1").text,
    ]
    assert provider_sees[0]["error"]["element"] == "assess" and provider_sees[0]["error"]["message"]
    assert all("Mill Lane" not in repr(seen) for seen in provider_sees), provider_sees
    assert "Mill Lane" in api.get(f"/process-instances/{case.id}", people.manager)["error"]["message"]
    assert "Mill Lane" in repr(api.get(f"/process-instances/{case.id}/events", people.team))


def test_another_organisations_case_is_not_found(api, people, small_definition):
    case = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    for path in (f"/process-instances/{case.id}", f"/process-instances/{case.id}/events"):
        assert api.get(path, people.other_provider, expect=404)["error"]["code"] == "not_found"
    assert api.get("/process-instances", people.other_provider)["total"] == 0


def test_a_reviewer_not_allocated_is_forbidden(api, people, small_definition):
    case = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    api.get(f"/process-instances/{case.id}", people.reviewer, expect=403)


def test_unknown_case_is_not_found(api, people, small_definition):
    api.get("/process-instances/999", people.team, expect=404)


# --- list: filters and pages ---


def _three_cases(api, people):
    first = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    second = api.start("small", "SFO-2", NORTH, as_user=people.provider)
    third = api.start("small", "SFO-3", NORTH, as_user=people.provider)
    second.complete("triage", {"eligible": True}, as_user=people.team)
    return first, second, third


def _keys(page):
    return sorted(item["business_key"] for item in page["items"])


def test_list_filters(api, people, small_definition, clock):
    first, second, third = _three_cases(api, people)
    deploy_files(variants.files(variants.with_key("other")), "system")
    api.start("other", "OTHER-1", NORTH, as_user=people.provider)
    team = people.team
    assert _keys(api.get("/process-instances", team, process_key="small")) == ["SFO-1", "SFO-2", "SFO-3"]
    assert _keys(api.get("/process-instances", team, business_key="SFO-2")) == ["SFO-2"]
    assert _keys(api.get("/process-instances", team, status="waiting")) == ["SFO-2"]
    assert _keys(api.get("/process-instances", team, stage="conviction-check")) == ["SFO-2"]
    assert _keys(api.get("/process-instances", team, stage="eligibility", process_key="small")) == ["SFO-1", "SFO-3"]
    api.post(f"/tasks/{third.task('triage', as_user=team)['id']}/claim", team)
    assert _keys(api.get("/process-instances", team, assignee="me")) == ["SFO-3"]
    assert _keys(api.get("/process-instances", people.manager, assignee=team.username)) == ["SFO-3"]
    assert api.get("/process-instances", team, overdue="true")["total"] == 0
    clock.set(dt.datetime(2027, 3, 4, 9, tzinfo=dt.UTC))  # triage was due on 3 March
    assert _keys(api.get("/process-instances", team, overdue="true")) == ["OTHER-1", "SFO-1", "SFO-3"]
    assert api.get("/process-instances", team, overdue="false")["total"] == 4


def test_list_pages(api, people, small_definition):
    _three_cases(api, people)
    first = api.get("/process-instances", people.team, per_page=2)
    assert (first["total"], first["page"], first["per_page"], len(first["items"])) == (3, 1, 2, 2)
    second = api.get("/process-instances", people.team, per_page=2, page=2)
    assert len(second["items"]) == 1
    in_order = [item["business_key"] for item in first["items"] + second["items"]]
    assert in_order == ["SFO-3", "SFO-2", "SFO-1"]  # most recently changed first, then newest
    assert api.get("/process-instances", people.team, page=3, per_page=2)["items"] == []
    assert api.get("/process-instances", people.team)["per_page"] == 25


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"per_page": 0}, "per_page"),
        ({"per_page": 101}, "per_page"),
        ({"page": 0}, "page"),
        ({"page": "two"}, "page"),
        ({"status": "sleeping"}, "status"),
        ({"overdue": "perhaps"}, "overdue"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_list_refuses_bad_filters(api, people, small_definition, query, field):
    fields = api.get("/process-instances", people.team, expect=422, **query)["error"]["fields"]
    assert list(fields) == [field]


def test_list_items_are_summaries(api, people, small_definition):
    api.start("small", "SFO-1", NORTH, as_user=people.provider)
    [item] = api.get("/process-instances", people.team)["items"]
    assert {"id", "process_key", "process_version", "business_key", "status", "stage", "version"} <= set(item)
    assert "data" not in item


# --- events ---


def test_events_oldest_first(api, people, small_definition, clock):
    case = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    clock.advance(hours=1)
    case.complete("triage", {"eligible": True}, as_user=people.team)
    clock.advance(hours=1)
    case.message("court-outcome", {"court_outcome": "convicted_sfo", "outcome_date": "2027-02-26"}, as_user=people.team)
    events = case.events(as_user=people.manager)
    kinds = [e["kind"] for e in events]
    assert {"started", "task-created", "task-completed", "message", "completed"} <= set(kinds)
    assert kinds.index("started") < kinds.index("task-completed") < kinds.index("message") < kinds.index("completed")
    times = [e["occurred_at"] for e in events]
    assert times == sorted(times) and times[-1] == "2027-03-01T11:00:00+00:00"
    completed = events[kinds.index("task-completed")]
    assert completed["actor"] == people.team.username and completed["detail"]["data"] == {"eligible": True}


def test_providers_see_events_without_their_details(api, people, small_definition):
    case = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    case.complete("triage", {"eligible": True}, as_user=people.team)
    events = case.events(as_user=people.provider)
    assert events and all(e["detail"] is None for e in events)


# --- suspend, resume, cancel, retry ---


def test_suspend_and_resume(api, people, small_definition):
    case = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    suspended = api.post(f"/process-instances/{case.id}/suspend", people.manager, {"reason": "Court order"})
    assert suspended["status"] == "suspended"
    task = case.task("triage", as_user=people.team)
    api.post(f"/tasks/{task['id']}/complete", people.team, {"data": {"eligible": True}}, expect=409)
    api.post(f"/process-instances/{case.id}/suspend", people.manager, expect=409)
    resumed = api.post(f"/process-instances/{case.id}/resume", people.manager)
    assert resumed["status"] == "running"
    api.post(f"/process-instances/{case.id}/resume", people.manager, expect=409)
    kinds = [e["kind"] for e in case.events(as_user=people.manager)]
    assert "suspended" in kinds and "resumed" in kinds


def test_only_managers_control_cases(api, people, small_definition):
    case = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    for action in ("suspend", "resume", "retry"):
        api.post(f"/process-instances/{case.id}/{action}", people.team, expect=403)
    api.post(f"/process-instances/{case.id}/cancel", people.team, {"reason": "Duplicate"}, expect=403)
    assert case.refresh(as_user=people.team)["status"] == "running"


def test_control_of_another_organisations_case_is_not_found(api, people, small_definition):
    case = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    api.post(f"/process-instances/{case.id}/suspend", people.other_provider, expect=403)  # the role check comes first
    api.post("/process-instances/999/suspend", people.manager, expect=404)


def test_cancel_needs_a_reason_and_cancels_the_tasks(api, people, small_definition):
    case = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    fields = api.post(f"/process-instances/{case.id}/cancel", people.manager, {}, expect=422)["error"]["fields"]
    assert "reason" in fields
    cancelled = api.post(f"/process-instances/{case.id}/cancel", people.manager, {"reason": "Notified in error"})
    assert cancelled["status"] == "cancelled" and cancelled["ready_tasks"] == []
    assert api.tasks(people.team, process_instance_id=case.id) == []
    api.post(f"/process-instances/{case.id}/cancel", people.manager, {"reason": "Again"}, expect=409)


def test_actions_refuse_unknown_keys(api, people, small_definition):
    case = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    fields = api.post(f"/process-instances/{case.id}/resume", people.manager, {"force": True}, expect=422)["error"][
        "fields"
    ]
    assert fields == {"force": ["Unknown field."]}


def test_retry_runs_the_failed_element_again(api, people, small_definition, clock, dry_run_worker):
    deployed = api.upload(variants.files(variants.failing_until("2027-03-02", NORTH["provider_org"])), people.owner)
    assert deployed["key"] == "small_fragile"  # through the dry run: it fails on a real case's data only
    case = api.start("small_fragile", "SFO-1", NORTH, as_user=people.provider)
    api.post(f"/process-instances/{case.id}/retry", people.manager, expect=409)  # not in error
    failed = case.complete("triage", {"eligible": True}, as_user=people.team)
    assert failed["status"] == "error"
    assert failed["error"]["element"] == "eligible_gateway" and "Error evaluating" in failed["error"]["message"]
    assert api.get("/process-instances", people.team, status="error")["total"] == 1
    still = api.post(f"/process-instances/{case.id}/retry", people.manager)
    assert still["status"] == "error"
    clock.set(dt.datetime(2027, 3, 2, 9, tzinfo=dt.UTC))
    healed = api.post(f"/process-instances/{case.id}/retry", people.manager)
    assert (healed["status"], healed["stage"], healed["error"]) == ("waiting", "conviction-check", None)
