"""Issue 15 through the JSON API: the draft's failures and why things were not done, the provider's
fixed rows (one per recommendation, numbers never typed), and the deadline a returned draft gets."""

from __future__ import annotations

import datetime as dt

from app.extensions import db
from app.models import ProcessInstance
from app.working_days import add_working_days
from tests.api.test_sfo_paths import _start

FAILURES = [{"description": "No home visit", "classification": "individual", "relevant_to_outcome": True}]
WHY = [{"what": "A home visit", "why_not": "Caseload"}]
RECOMMENDATIONS = [
    {"text": "Audit home visits.", "addressee": "probation_provider", "level": "local"},
    {"text": "Guidance on visits.", "addressee": "hmpps", "level": "national"},
]
ANSWER = {"response": "accept", "action": "Audit.", "owner": "Head of PDU", "target_date": "2027-06-30"}


def _drafted(api, people, sfo_definition):
    case = _start(api, people, sfo_definition)
    case.do("confirm_eligibility", as_user=people.team, eligible=True)
    case.do("allocate_reviewer", as_user=people.team, reviewer=people.reviewer.username)
    case.do("write_terms_of_reference", as_user=people.reviewer, other_reviews=[])
    case.do("gather_evidence", as_user=people.reviewer)
    return case


def test_the_draft_classifies_failures_and_the_provider_answers_fixed_rows(api, people, sfo_definition):
    case = _drafted(api, people, sfo_definition)
    refused = case.do(
        "draft_report",
        as_user=people.reviewer,
        failures=[{"description": "x", "classification": "cosmic", "relevant_to_outcome": True}],
        expect=422,
    )
    assert any(name.startswith("failures.0") for name in refused["error"]["fields"])
    case.do(
        "draft_report",
        as_user=people.reviewer,
        failures=FAILURES,
        done_differently=WHY,
        recommendations=RECOMMENDATIONS,
    )
    case.do("quality_assure_report", as_user=people.qa, qa_decision="approve")
    task = case.task("record_provider_response", as_user=people.provider)
    rows = api.get(f"/tasks/{task['id']}", people.provider)
    refused = case.complete("record_provider_response", {"responses": [ANSWER]}, as_user=people.provider, expect=422)
    assert "responses" in refused["error"]["fields"]
    typed = [{**ANSWER, "recommendation": 7, "text": "Changed."}, {**ANSWER, "recommendation": 7}]
    case.complete("record_provider_response", {"responses": typed}, as_user=people.provider)
    detail = case.refresh(as_user=people.manager)
    assert rows["form"] is not None and detail["stage"] == "conviction-check"
    responses = db.session.get(ProcessInstance, case.id).data["responses"]
    assert [(r["recommendation"], r["text"]) for r in responses] == [
        (1, "Audit home visits."),
        (2, "Guidance on visits."),
    ]


def test_a_returned_draft_is_due_again_from_the_return(api, people, sfo_definition, clock):
    case = _drafted(api, people, sfo_definition)
    first_due = dt.date.fromisoformat(case.task("draft_report", as_user=people.reviewer)["due_at"])
    case.do("draft_report", as_user=people.reviewer)
    returned_on = first_due + dt.timedelta(days=1)  # after the draft's first deadline
    clock.set(dt.datetime.combine(returned_on, dt.time(9), tzinfo=dt.UTC))
    case.do("quality_assure_report", as_user=people.qa, qa_decision="return", qa_comments="More.")
    task = case.task("draft_report", as_user=people.reviewer)
    assert task["due_at"] == add_working_days(returned_on, 10)
