"""The report assembled from the drafting forms, with its versions and QA history from the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest

from app.services.errors import NotFound
from app.services.reports import get_report, recommendation_status
from tests.sfo_case import SfoCase

TODAY = dt.date(2027, 3, 1)


def drafted(people, definition):
    case = SfoCase(people, definition)
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    case.do("write_terms_of_reference", other_reviews=[])
    case.do("gather_evidence")
    return case


def test_every_qa_round_keeps_its_version(sfo_definition, people):
    case = drafted(people, sfo_definition)
    case.do("draft_report", summary="Version one.", overall_judgement="no")
    case.do("quality_assure_report", qa_decision="return", qa_comments="More on planning.")
    case.do(
        "draft_report",
        summary="Version two.",
        overall_judgement="partly",
        good_practice="None found.",
        recommendations=[
            {"text": "A.", "addressee": "hmpps", "level": "national"},
            {"text": "B.", "addressee": "probation_provider", "level": "local"},
        ],
    )
    case.do("quality_assure_report", qa_decision="approve")
    report = get_report(people.qa, case.row, today=TODAY)
    assert [(v.number, v.state) for v in report.versions] == [(1, "returned"), (2, "approved")]
    assert report.sections[0] == ("Summary", "Version two.") and report.judgement.startswith("Partly")
    assert [s[0] for s in report.sections] == [
        "Summary",
        "What happened",
        "Assessment",
        "Planning",
        "Implementation",
        "Review",
        "Partnership working",
        "Management oversight",
        "Good practice",
        "Lessons",
    ]
    assert [(r.number, r.text, r.addressee, r.level) for r in report.recommendations] == [
        (1, "A.", "HM Prison and Probation Service", "National"),
        (2, "B.", "The probation provider", "Local"),
    ]
    assert [(v.number, d.decision, d.comments) for v, d in report.qa_history] == [
        (1, "return", "More on planning."),
        (2, "approve", "Example comments for the reviewer"),
    ]
    first = get_report(people.qa, case.row, version=1, today=TODAY)
    assert first.sections[0][1] == "Version one." and not first.is_current and first.recommendations[0].response is None
    with pytest.raises(NotFound):
        get_report(people.qa, case.row, version=3)


def test_responses_and_progress_are_shown_against_each_recommendation(sfo_definition, people):
    case = drafted(people, sfo_definition)
    case.do(
        "draft_report",
        recommendations=[
            {"text": "A.", "addressee": "hmpps", "level": "national"},
            {"text": "B.", "addressee": "hmpps", "level": "local"},
        ],
    )
    case.do("quality_assure_report", qa_decision="approve")
    case.do(
        "record_provider_response",
        responses=[
            {
                "recommendation": 1,
                "response": "accept",
                "action": "Do A.",
                "owner": "Head",
                "target_date": "2027-02-01",
            },
            {"recommendation": 2, "response": "reject", "action": "Not ours."},
        ],
    )
    report = get_report(people.provider, case.row, today=TODAY)
    first, second = report.recommendations
    assert (first.response, first.action, first.owner, first.target_date) == (
        "Accepted",
        "Do A.",
        "Head",
        dt.date(2027, 2, 1),
    )
    assert (first.status, second.status, second.response) == ("overdue", "rejected", "Rejected")
    assert report.sent_on == TODAY and report.qa_history == []  # the provider does not see QA


def test_the_report_does_not_exist_before_drafting(sfo_definition, people):
    case = drafted(people, sfo_definition)
    with pytest.raises(NotFound):
        get_report(people.team, case.row)


@pytest.mark.parametrize(
    "response, target, progress, status",
    [
        (None, None, None, "awaiting response"),
        ("reject", dt.date(2027, 1, 1), None, "rejected"),
        ("accept", dt.date(2027, 1, 1), "done", "done"),
        ("accept", dt.date(2027, 1, 1), "in_progress", "overdue"),
        ("partly", dt.date(2027, 3, 1), "in_progress", "in progress"),
        ("accept", dt.date(2027, 3, 1), None, "accepted"),
        ("accept", None, "not_started", "accepted"),
    ],
)
def test_recommendation_status(response, target, progress, status):
    assert recommendation_status(response, target, progress, TODAY) == status
