"""A case supervised by two providers, through the JSON API only: each provider's users see the case and
their own response task, answer only their rows; a third organisation gets 404; one provider as before."""

from __future__ import annotations

from tests.api.test_sfo_paths import _start
from tests.conftest import make_user

NORTH, SOUTH = "north-probation", "south-probation"
RECOMMENDATIONS = [
    {"text": "Review the transfer checklist", "addressee": "probation_provider", "level": "local", "provider": NORTH},
    {"text": "Brief staff on risk at transfer", "addressee": "probation_provider", "level": "local", "provider": SOUTH},
]


def _rows(count):
    return [
        {"response": "accept", "action": "Brief every team.", "owner": "Head of PDU", "target_date": "2027-06-30"}
    ] * count


def _sent(api, people, definition, reference, recommendations, **answers):
    assert people.other_provider.organisation == SOUTH  # a provider the service knows: it has users
    case = _start(api, people, definition, reference, **answers)
    case.do("confirm_eligibility", as_user=people.team, eligible=True)
    case.do("allocate_reviewer", as_user=people.team, reviewer=people.reviewer.username)
    case.do("write_terms_of_reference", as_user=people.reviewer, other_reviews=[])
    case.do("gather_evidence", as_user=people.reviewer)
    case.do("draft_report", as_user=people.reviewer, recommendations=recommendations)
    case.do("quality_assure_report", as_user=people.qa, qa_decision="approve")
    return case


def test_two_providers_each_answer_their_own_recommendations(api, people, sfo_definition):
    stranger = make_user("provider", organisation="east-probation")
    case = _sent(api, people, sfo_definition, "SFO-TWO-A", RECOMMENDATIONS, other_providers=[SOUTH])
    for user in (people.provider, people.other_provider):
        assert api.get(f"/process-instances/{case.id}", user)["business_key"] == "SFO-TWO-A"
        assert [c["id"] for c in api.get("/process-instances", user)["items"]] == [case.id]
    api.get(f"/process-instances/{case.id}", stranger, expect=404)
    api.get(f"/process-instances/{case.id}/events", stranger, expect=404)
    assert api.get("/process-instances", stranger)["items"] == []

    [north_task] = case.ready_tasks(as_user=people.provider)
    [south_task] = case.ready_tasks(as_user=people.other_provider)
    assert case.ready_tasks(as_user=stranger) == []
    assert north_task["name"] == f"Respond to the recommendations: {NORTH}"
    assert south_task["name"] == f"Respond to the recommendations: {SOUTH}"
    for user, task in ((people.other_provider, north_task), (people.provider, south_task), (stranger, south_task)):
        api.get(f"/tasks/{task['id']}", user, expect=404)
        api.post(f"/tasks/{task['id']}/complete", user, {"data": {"responses": _rows(1)}}, expect=404)
        api.post(f"/tasks/{task['id']}/claim", user, expect=404)

    shown = api.get(f"/tasks/{south_task['id']}", people.other_provider)
    assert [r["recommendation"] for r in shown["data"]["responses"]] == [2]
    refused = api.post(
        f"/tasks/{south_task['id']}/complete", people.other_provider, {"data": {"responses": _rows(2)}}, expect=422
    )
    assert "responses" in str(refused)
    api.post(f"/tasks/{south_task['id']}/complete", people.other_provider, {"data": {"responses": _rows(1)}})
    api.post(f"/tasks/{north_task['id']}/complete", people.provider, {"data": {"responses": _rows(1)}})
    detail = case.refresh(as_user=people.manager)
    assert detail["stage"] == "conviction-check"
    assert [r["recommendation"] for r in detail["data"]["responses"]] == [1, 2]


def test_one_provider_answers_every_recommendation_as_before(api, people, sfo_definition):
    unnamed = [{k: v for k, v in r.items() if k != "provider"} for r in RECOMMENDATIONS]
    case = _sent(api, people, sfo_definition, "SFO-ONE-A", unnamed)
    [task] = case.ready_tasks(as_user=people.provider)
    assert task["name"] == "Respond to the recommendations"
    api.get(f"/process-instances/{case.id}", people.other_provider, expect=404)
    api.post(f"/tasks/{task['id']}/complete", people.provider, {"data": {"responses": _rows(2)}})
    assert case.refresh(as_user=people.manager)["stage"] == "conviction-check"


def test_each_provider_tracks_its_own_recommendations_through_the_api(api, people, sfo_definition):
    stranger = make_user("provider", organisation="east-probation")
    case = _sent(api, people, sfo_definition, "SFO-TWO-T", RECOMMENDATIONS, other_providers=[SOUTH])
    [north_task] = case.ready_tasks(as_user=people.provider)
    [south_task] = case.ready_tasks(as_user=people.other_provider)
    api.post(f"/tasks/{south_task['id']}/complete", people.other_provider, {"data": {"responses": _rows(1)}})
    api.post(f"/tasks/{north_task['id']}/complete", people.provider, {"data": {"responses": _rows(1)}})
    url = f"/process-instances/{case.id}/recommendations"
    body = {"status": "in_progress", "evidence": "Briefings booked."}
    assert api.put(f"{url}/1/tracking", people.other_provider, body, expect=403)["error"]["code"] == "forbidden"
    api.put(f"{url}/2/tracking", people.other_provider, body)
    api.put(f"{url}/1/tracking", people.provider, body)
    api.put(f"{url}/2/tracking", stranger, body, expect=404)
    api.get(url, stranger, expect=404)
    assert [item["number"] for item in api.get(url, people.other_provider)["items"]] == [1, 2]
    south_open = api.get("/inspection", people.other_provider, provider=SOUTH)["items"]
    assert [(item["case_reference"], item["number"]) for item in south_open] == [("SFO-TWO-T", 2)]
    api.get("/inspection", people.other_provider, provider=NORTH, expect=404)
