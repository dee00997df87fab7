"""Whole paths through the small process, driven only through the API (the pattern for model path tests)."""

from __future__ import annotations

NORTH = {"provider_org": "north-probation"}
CONVICTED = {"court_outcome": "convicted_sfo", "outcome_date": "2027-02-26"}


def test_eligible_case_closes_on_the_court_outcome(api, people, small_definition):
    case = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    assert [t["bpmn_id"] for t in case.ready_tasks(as_user=people.team)] == ["triage"]
    case.complete("triage", {"eligible": True}, as_user=people.team)
    assert (case["status"], case["stage"]) == ("waiting", "conviction-check")
    case.message("court-outcome", CONVICTED, as_user=people.team)
    assert (case["status"], case["outcome"], case["stage"]) == ("completed", "Done", "closure")
    assert case.refresh(as_user=people.provider)["status"] == "completed"


def test_ineligible_case_closes_at_triage(api, people, small_definition):
    case = api.start("small", "SFO-2", NORTH, as_user=people.provider)
    case.do("triage", as_user=people.for_lane("sfo-team"), eligible=False)
    assert (case["status"], case["outcome"]) == ("completed", "Not an SFO")
    assert case.ready_tasks(as_user=people.team) == []
    api.message("court-outcome", "SFO-2", CONVICTED, as_user=people.team, expect=404)
