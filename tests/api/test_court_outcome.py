"""The court outcome, added reviews and reopened publication through the JSON API only, as a court-outcome
feed or another system would use them. The parsed model is dropped before each request that moves a case, so
each step runs as in a freshly started process."""

from __future__ import annotations

import pytest

from app.services.messages import COURT_OUTCOMES
from app.services.runtime import runtime
from tests.api.test_sfo_paths import _start

OUTCOME = {"court_outcome": "convicted_sfo", "outcome_date": "2027-02-26"}


def _fresh() -> None:
    runtime()._models.clear()


def _do(case, bpmn_id, user, **answers):
    _fresh()
    return case.do(bpmn_id, as_user=user, **answers)


def _to(case, people, stage):
    steps = [
        ("eligibility", "confirm_eligibility", people.team, {"eligible": True}),
        ("scoping", "allocate_reviewer", people.team, {"reviewer": people.reviewer.username}),
        ("scoping", "write_terms_of_reference", people.reviewer, {"other_reviews": []}),
        ("liaison", "gather_evidence", people.reviewer, {}),
        ("drafting", "draft_report", people.reviewer, {}),
        ("quality-assurance", "quality_assure_report", people.qa, {"qa_decision": "approve"}),
        ("provider-response", "record_provider_response", people.provider, {}),
    ]
    for _, bpmn_id, user, answers in steps:
        detail = case.refresh(as_user=people.manager)
        if detail["stage"] == stage:
            return
        if bpmn_id in [t["bpmn_id"] for t in detail["ready_tasks"]]:
            _do(case, bpmn_id, user, **answers)
    assert case.refresh(as_user=people.manager)["stage"] == stage


def _finish(api, case, people):
    for _ in range(12):
        detail = case.refresh(as_user=people.manager)
        if detail["status"] == "completed":
            return detail
        task = next(t for t in detail["ready_tasks"] if t["lane"] != "manager")
        _do(case, task["bpmn_id"], people.for_task(task), publish_approved=True, publication_date="2027-03-01")
    raise AssertionError("the case did not close")


@pytest.mark.parametrize("stage", ["scoping", "liaison", "drafting", "quality-assurance", "provider-response"])
def test_an_outcome_sent_early_is_kept_and_used(api, people, sfo_definition, stage):
    case = _start(api, people, sfo_definition)
    _to(case, people, stage)
    _fresh()
    detail = api.message("court-outcome", "SFO-API-1", OUTCOME, as_user=people.team)
    assert (detail["id"], detail["stage"]) == (case.id, stage)
    assert [o["court_outcome"] for o in detail["data"]["court_outcomes"]] == ["convicted_sfo"]
    events = api.get(f"/process-instances/{case.id}/events", people.manager)["items"]
    assert any(e["kind"] == "message" and e["detail"]["payload"] == OUTCOME for e in events)
    _to(case, people, "publication")
    assert case["stage"] == "publication"
    assert _finish(api, case, people)["outcome"] == "Published"


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"court_outcome": "Convicted SFO", "outcome_date": "2027-02-26"}, ["data.court_outcome"]),
        ({**OUTCOME, "sentence": "life"}, ["data.sentence"]),
        ({"court_outcome": "convicted_sfo"}, ["data.outcome_date"]),
        ({**OUTCOME, "outcome_date": "2099-01-01"}, ["data.outcome_date"]),
    ],
)
def test_unknown_values_and_keys_get_422_and_change_nothing(api, people, sfo_definition, data, fields):
    case = _start(api, people, sfo_definition)
    _to(case, people, "drafting")
    before = case.refresh(as_user=people.manager)
    error = api.message("court-outcome", "SFO-API-1", data, as_user=people.team, expect=422)["error"]
    assert error["code"] == "validation_failed" and sorted(error["fields"]) == fields
    after = case.refresh(as_user=people.manager)
    assert after["version"] == before["version"] and "court_outcomes" not in after["data"]


def test_openapi_documents_the_outcome_payload_and_its_values(api):
    document = api.get("/openapi.json", None)
    payload = document["components"]["schemas"]["CourtOutcomeData"]
    assert payload["properties"]["court_outcome"]["enum"] == list(COURT_OUTCOMES)
    assert payload["additionalProperties"] is False and payload["required"] == ["court_outcome", "outcome_date"]
    data = document["components"]["schemas"]["Message"]["properties"]["data"]
    assert {"$ref": "#/components/schemas/CourtOutcomeData"} in data["anyOf"]
    assert "/api/v1/process-instances/{instance_id}/other-reviews" in document["paths"]


def test_a_closed_case_refuses_outcomes_except_a_conviction_that_reopens_publication(api, people, sfo_definition):
    case = _start(api, people, sfo_definition)
    _to(case, people, "conviction-check")
    api.message("court-outcome", "SFO-API-1", {**OUTCOME, "court_outcome": "acquitted"}, as_user=people.team)
    _do(case, "tag_themes", people.team)
    assert case.refresh(as_user=people.team)["outcome"] == "Closed unpublished"
    for outcome in ("acquitted", "discontinued"):
        error = api.message(
            "court-outcome", "SFO-API-1", {**OUTCOME, "court_outcome": outcome}, as_user=people.team, expect=409
        )["error"]
        assert "closed" in error["message"]
    _fresh()
    detail = api.message("court-outcome", "SFO-API-1", OUTCOME, as_user=people.team)
    assert (detail["id"], detail["status"], detail["stage"], detail["outcome"]) == (
        case.id,
        "running",
        "publication",
        None,
    )
    assert _finish(api, case, people)["outcome"] == "Published"


def test_a_manager_reopens_publication_through_the_api(api, people, sfo_definition):
    case = _start(api, people, sfo_definition)
    _to(case, people, "conviction-check")
    api.message("court-outcome", "SFO-API-1", {**OUTCOME, "court_outcome": "discontinued"}, as_user=people.team)
    _do(case, "tag_themes", people.team)
    path = f"/process-instances/{case.id}/reopen-publication"
    body = {"outcome_date": "2027-02-26", "reason": "Convicted at a later trial"}
    api.post(path, people.team, body, expect=403)
    assert api.post(path, people.manager, {"outcome_date": "2027-02-26"}, expect=422)["error"]["fields"] == {
        "reason": ["Missing data for required field."]
    }
    detail = api.post(path, people.manager, body)
    assert (detail["status"], detail["stage"]) == ("running", "publication")
    api.post(path, people.manager, body, expect=409)


def test_another_agencys_review_is_added_through_the_api(api, people, sfo_definition):
    case = _start(api, people, sfo_definition)
    _to(case, people, "drafting")
    path = f"/process-instances/{case.id}/other-reviews"
    review = {"agency": "Northshire CSP", "review_type": "domestic_homicide_review"}
    api.post(path, people.qa, review, expect=403)
    api.post(path, people.reviewer, {**review, "review_type": "book_club"}, expect=422)
    _fresh()
    detail = api.post(path, people.reviewer, review, expect=201)
    [task] = [t for t in detail["ready_tasks"] if t["bpmn_id"] == "liaise_with_added_review"]
    assert task["name"].endswith("Northshire CSP") and task["due_at"] == "2027-03-15"
    assert task["assignee"] == people.reviewer.username
    _do(case, "liaise_with_added_review", people.reviewer, liaison_contact="A. Chair")
    _do(case, "draft_report", people.reviewer)
    _do(case, "quality_assure_report", people.qa, qa_decision="approve")
    detail = case.refresh(as_user=people.reviewer)
    assert [(r["agency"], r["liaison_contact"]) for r in detail["data"]["other_reviews"]] == [
        ("Northshire CSP", "A. Chair")
    ]
    error = api.post(path, people.team, review, expect=409)["error"]
    assert "until the report is approved" in error["message"]


PUBLISHED = {"agency": "Northshire CSP", "published_on": "2027-02-26"}


def test_another_review_published_during_the_review_is_kept_and_publication_need_not_wait_for_its_date(
    api, people, sfo_definition
):
    case = _start(api, people, sfo_definition)
    error = api.message("other-review-published", "SFO-API-1", PUBLISHED, as_user=people.team, expect=409)["error"]
    assert error["code"] == "conflict" and "SFO-API-1" in error["message"]  # eligibility is not decided yet
    _to(case, people, "drafting")
    _fresh()
    detail = api.message("other-review-published", "SFO-API-1", PUBLISHED, as_user=people.team)
    assert (detail["id"], detail["stage"]) == (case.id, "drafting")
    assert [r["agency"] for r in detail["data"]["other_reviews_published"]] == ["Northshire CSP"]
    _to(case, people, "conviction-check")
    api.message("court-outcome", "SFO-API-1", OUTCOME, as_user=people.team)
    for _ in range(12):  # a publication date still to come: the other review is out, so it is not waited for
        detail = case.refresh(as_user=people.manager)
        if detail["status"] != "running":
            break
        task = next(t for t in detail["ready_tasks"] if t["lane"] != "manager")
        _do(case, task["bpmn_id"], people.for_task(task), publish_approved=True, publication_date="2027-06-01")
    assert (detail["status"], detail["outcome"]) == ("completed", "Published")
    error = api.message("other-review-published", "SFO-API-1", PUBLISHED, as_user=people.team, expect=409)["error"]
    assert "closed" in error["message"]
