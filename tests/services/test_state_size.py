"""A case's engine state stays the size of what is live: finished loop rounds are dropped, their
history kept for the diagram, and the case goes on exactly as before."""

from __future__ import annotations

from app.engine.inspection import element_states
from app.services.progress import load
from tests.sfo_case import SfoCase


def _return_from_qa(case: SfoCase) -> None:
    case.do("draft_report")
    if "quality_assure_report" in case.ready():
        case.do("quality_assure_report", qa_decision="return")
    if "resolve_qa_returns" in case.ready(managers=True):
        case.do("resolve_qa_returns", qa_decision="return")


def test_twenty_quality_assurance_rounds_leave_the_state_no_bigger_than_two(sfo_definition, people):
    case = SfoCase(people, sfo_definition)
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    case.do("write_terms_of_reference", other_reviews=[{"agency": "CSP", "review_type": "domestic_homicide_review"}])
    case.do("liaise_with_other_review")
    case.do("gather_evidence")
    sizes = []
    for _ in range(20):
        _return_from_qa(case)
        sizes.append(len(case.row.state))
    assert max(sizes[2:]) <= max(sizes[:2]) * 1.1, sizes

    states = element_states(load(case.row))
    assert {"confirm_eligibility", "allocate_reviewer", "liaise_with_other_review"} <= set(states.completed)
    assert {("confirm_eligibility", "eligibility_end"), ("eligibility", "eligible_gateway")} <= set(states.path)

    case.do("draft_report")
    if "quality_assure_report" in case.ready():
        case.do("quality_assure_report", qa_decision="approve")
    else:
        case.do("resolve_qa_returns", qa_decision="approve")
    case.do("record_provider_response")
    assert (case.row.status, case.row.stage) == ("waiting", "conviction-check")
    case.court_outcome("convicted_sfo")
    assert case.row.stage == "publication"
    assert case.row.data["qa_return_count"] >= 20
