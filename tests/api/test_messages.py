"""Messages from other systems, correlated by business key to the one case waiting for them."""

from __future__ import annotations

NORTH = {"provider_org": "north-probation"}
ACQUITTED = {"court_outcome": "acquitted", "outcome_date": "2027-02-26"}


def test_message_completes_the_waiting_case(api, people, small_definition):
    case = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    case.complete("triage", {"eligible": True}, as_user=people.team)
    done = api.message("court-outcome", "SFO-1", ACQUITTED, as_user=people.team)
    assert (done["id"], done["status"], done["outcome"]) == (case.id, "completed", "Done")
    assert done["data"]["court_outcome_message"] == ACQUITTED


def test_message_nobody_waits_for_is_not_found(api, people, small_definition):
    case = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    error = api.message("court-outcome", "SFO-1", ACQUITTED, as_user=people.team, expect=404)["error"]  # at triage
    assert error["code"] == "not_found" and "SFO-1" in error["message"]
    api.message("court-outcome", "NO-SUCH-CASE", ACQUITTED, as_user=people.team, expect=404)
    case.complete("triage", {"eligible": True}, as_user=people.team)
    api.message("some-other-message", "SFO-1", as_user=people.team, expect=404)
    assert case.refresh(as_user=people.team)["status"] == "waiting"


def test_providers_may_not_send_messages(api, people, small_definition):
    api.message("court-outcome", "SFO-1", ACQUITTED, as_user=people.provider, expect=403)


def test_message_body_is_checked(api, people, small_definition):
    fields = api.post("/messages", people.team, {"name": "court-outcome"}, expect=422)["error"]["fields"]
    assert fields == {"business_key": ["Missing data for required field."]}
    fields = api.post(
        "/messages", people.team, {"name": "x", "business_key": "SFO-1", "data": [], "extra": 1}, expect=422
    )["error"]["fields"]
    assert set(fields) == {"data", "extra"}
