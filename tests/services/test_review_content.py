"""What a review must answer (issue 15): why things were not done, failures classified and marked as
relevant to the outcome, good practice; in the report, searchable and in the lessons figures and digest."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ReviewFailure
from app.services import lessons, tasks
from app.services.errors import Invalid
from app.services.reports import get_report
from app.services.runtime import now
from app.services.sample_data import sample_for
from tests.sfo_case import SfoCase

FAILURES = [
    {
        "description": "No home visit after the new partner moved in",
        "classification": "individual",
        "relevant_to_outcome": True,
    },
    {
        "description": "Caseloads above the workload measure for a year",
        "classification": "organisational",
        "relevant_to_outcome": True,
    },
    {
        "description": "Police call-out information not shared with probation",
        "classification": "systemic",
        "relevant_to_outcome": False,
    },
]
DONE_DIFFERENTLY = [
    {"what": "Refer to MARAC after the second call-out", "why_not": "The officer did not know of the call-out"}
]


def drafted(people, definition, reference, failures=FAILURES, good_practice="Prompt recall request."):
    case = SfoCase(people, definition, reference=reference)
    case.to_stage("drafting")
    case.do("draft_report", failures=failures, done_differently=DONE_DIFFERENTLY, good_practice=good_practice)
    return case


def test_the_draft_asks_why_and_classifies_failures(sfo_definition, people):
    case = drafted(people, sfo_definition, "SFO-C-1")
    report = get_report(people.reviewer, case.row)
    assert [(d.what, d.why_not) for d in report.done_differently] == [
        ("Refer to MARAC after the second call-out", "The officer did not know of the call-out")
    ]
    assert [(f.number, f.classification, f.relevant_to_outcome) for f in report.failures] == [
        (1, "Individual", True),
        (2, "Organisational", True),
        (3, "Systemic", False),
    ]
    assert ("Good practice", "Prompt recall request.") in report.sections
    # not counted before the report is approved
    assert db.session.scalars(select(ReviewFailure)).all() == []


def test_a_failure_needs_its_class_and_relevance(sfo_definition, people):
    case = SfoCase(people, sfo_definition, reference="SFO-C-2")
    case.to_stage("drafting")
    task = case.task("draft_report")
    form = tasks.form_of(task)
    assert form is not None
    data = sample_for(form.schema, {}, now().date())
    for broken in (
        {"description": "x", "classification": "cosmic", "relevant_to_outcome": True},
        {"description": "x", "classification": "systemic"},
    ):
        with pytest.raises(Invalid) as refused:
            tasks.complete_task(people.reviewer, task.id, {**data, "failures": [broken]})
        assert any(name.startswith("failures.0") for name in refused.value.fields)
    with pytest.raises(Invalid) as refused:
        tasks.complete_task(people.reviewer, task.id, {**data, "done_differently": [{"what": "x"}]})
    assert any(name.startswith("done_differently.0") for name in refused.value.fields)
    assert case.task("draft_report").state == "ready"


def test_failures_are_counted_and_searchable_once_approved(sfo_definition, people, clock):
    start = clock.now()
    first = drafted(people, sfo_definition, "SFO-C-3")
    first.do("quality_assure_report", qa_decision="approve")
    clock.set(start + dt.timedelta(days=100))
    second = drafted(people, sfo_definition, "SFO-C-4", failures=FAILURES[:1])
    second.do("quality_assure_report", qa_decision="return")
    second.do(
        "draft_report",
        failures=FAILURES[1:2],
        done_differently=DONE_DIFFERENTLY,
        good_practice="Prompt recall request.",
    )
    second.do("quality_assure_report", qa_decision="approve")  # the approved version counts, not the returned one
    for case in (first, second):
        case.do("record_provider_response")
        case.court_outcome("acquitted")
        case.do("tag_themes", themes=["mappa"], lessons_for_dissemination="Share call-outs.")

    figures = lessons.failure_counts("quarter")
    assert figures.total == 4
    by_class = {code: (counts, total, relevant) for code, _, counts, total, relevant in figures.classes}
    assert len(figures.periods) == 2
    assert by_class["organisational"][1:] == (2, 2)
    assert by_class["systemic"][1:] == (1, 0)
    assert by_class["individual"][1:] == (1, 1)
    assert figures.themes == [("mappa", "MAPPA management", [1, 2, 1])]

    found = lessons.search_failures("workload measure")
    assert {(f.reference, f.classification) for f in found} == {
        ("SFO-C-3", "Organisational"),
        ("SFO-C-4", "Organisational"),
    }
    assert [f.reference for f in lessons.search_failures(classification="systemic")] == ["SFO-C-3"]
    assert [f.description for f in lessons.search_failures(relevant="no")] == [FAILURES[2]["description"]]
    assert lessons.search_failures("100%_") == []

    digest = lessons.lessons_digest(start.date(), (start + dt.timedelta(days=400)).date(), start.date())
    assert [e.good_practice for e in digest.entries] == ["Prompt recall request.", "Prompt recall request."]
    assert digest.failures is not None and digest.failures.total == 4
    rows = list(csv.reader(io.StringIO(lessons.digest_csv(digest))))
    assert ["failures", "", "", "Organisational", "2", "", ""] in rows
    assert ["failures relevant to the outcome", "", "", "Systemic", "0", "", ""] in rows
