"""Deadlines that help rather than fight (issue 15): evidence and liaison deadlines from the terms of
reference, a new resubmission date after a QA return, a later agreed publication date moving the
publication deadline, and the round limits as settings of the process."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage
from app.services import instances
from app.services.definitions import deploy_files, read_library
from app.services.errors import Invalid
from app.services.timers import fire_due_timers
from app.working_days import add_working_days
from tests.conftest import ROOT
from tests.services.test_publication import clean_pack, convicted_case
from tests.sfo_case import SfoCase

DHR = [{"agency": "Northshire CSP", "review_type": "domestic_homicide_review"}]


def at(clock, day: str, hour: int = 9) -> None:
    clock.set(dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC))


def overdue_titles(case) -> list[str]:
    return sorted(t.name for t in instances.tasks_of(case.row, "ready") if t.bpmn_id == "overdue_task_escalation")


def scoped(people, definition, evidence: str, liaison: str) -> SfoCase:
    case = SfoCase(people, definition)
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    case.do("write_terms_of_reference", other_reviews=DHR, evidence_deadline=evidence, liaison_deadline=liaison)
    return case


def test_evidence_and_liaison_are_due_when_the_terms_of_reference_say(sfo_definition, people, clock):
    case = scoped(people, sfo_definition, evidence="2027-04-15", liaison="2099-01-01")
    draft_due = dt.date.fromisoformat(case.row.data["draft_due"])
    assert case.task("gather_evidence").due_on == dt.date(2027, 4, 15)
    assert case.task("liaise_with_other_review").due_on == draft_due  # never after the draft is due
    at(clock, "2027-04-13")
    fire_due_timers()
    at(clock, "2027-04-16")
    fire_due_timers()
    fire_due_timers()
    kinds = sorted(db.session.scalars(select(OutboxMessage.kind)).all())
    assert kinds.count("reminder") == 1 and kinds.count("escalation") == 1
    assert overdue_titles(case) == ["Overdue: Gather evidence"]
    case.do("gather_evidence")
    at(clock, (draft_due + dt.timedelta(days=1)).isoformat())
    fire_due_timers()
    fire_due_timers()
    assert "Overdue: Liaise with another agency's review" in overdue_titles(case)


def test_a_returned_draft_gets_a_new_resubmission_date(sfo_definition, people, clock):
    case = SfoCase(people, sfo_definition)
    case.to_stage("drafting")
    case.do("draft_report")
    first_due = dt.date.fromisoformat(case.row.data["draft_due"])
    returned_on = first_due + dt.timedelta(days=7)  # QA returns it after the first deadline has passed
    at(clock, returned_on.isoformat())
    case.do("quality_assure_report", qa_decision="return", qa_comments="Say why the visit did not happen.")
    resubmit_by = dt.date.fromisoformat(add_working_days(returned_on.isoformat(), 10))
    assert case.task("draft_report").due_on == resubmit_by
    fire_due_timers()
    fire_due_timers()
    assert overdue_titles(case) == []  # the old deadline does not escalate the returned draft at once
    at(clock, (resubmit_by + dt.timedelta(days=1)).isoformat())
    fire_due_timers()
    fire_due_timers()
    assert overdue_titles(case) == ["Overdue: Draft the review report"]


def test_a_return_never_shortens_the_deadline(sfo_definition, people):
    case = SfoCase(people, sfo_definition)
    case.to_stage("drafting")
    first_due = case.task("draft_report").due_on
    case.do("draft_report")
    case.do("quality_assure_report", qa_decision="return", qa_comments="More on oversight.")
    assert case.task("draft_report").due_on == first_due


def test_a_later_agreed_publication_date_moves_the_deadline(sfo_definition, people, clock):
    case = convicted_case(people, sfo_definition)
    publication_due = case.task("anonymise_report").due_on
    case.do("anonymise_report", **clean_pack())
    case.do("provide_progress_summary")
    case.do(
        "coordinate_publication",
        publication_date="2027-09-01",
        coordination_notes="Agreed with Northshire CSP: publish with the Domestic Homicide Review.",
    )
    case.do("approve_publication", publish_approved=True)
    data = case.row.data
    assert data["publication_due"] == "2027-09-01"
    assert data["publication_deadline_moved"]["previous"] == publication_due.isoformat()
    assert data["publication_deadline_moved"]["reason"].startswith("Agreed with Northshire CSP")
    at(clock, "2027-09-01", 8)
    fire_due_timers()
    fire_due_timers()
    assert case.task("publish_report").due_on == dt.date(2027, 9, 1)
    assert overdue_titles(case) == []  # before: escalated at once, the deadline long past


def test_an_earlier_publication_date_keeps_the_deadline(sfo_definition, people):
    case = convicted_case(people, sfo_definition)
    publication_due = case.task("anonymise_report").due_on
    case.do("anonymise_report", **clean_pack())
    case.do("provide_progress_summary")
    case.do("coordinate_publication", publication_date="2027-03-01", coordination_notes="No other reviews")
    assert case.row.data["publication_due"] == publication_due.isoformat()
    assert "publication_deadline_moved" not in case.row.data


def library_with(**settings: str) -> dict[str, bytes]:
    files = read_library(ROOT / "bpmn", ROOT / "forms")
    bpmn = files["sfo_review.bpmn"]
    for name, value in settings.items():
        start = bpmn.index(f'<spiffworkflow:property name="{name}" value="'.encode())
        end = bpmn.index(b"/>", start)
        bpmn = bpmn[:start] + f'<spiffworkflow:property name="{name}" value="{value}"'.encode() + bpmn[end:]
    files["sfo_review.bpmn"] = bpmn
    return files


def test_round_limits_are_settings_of_the_process(app, people):
    definition = deploy_files(library_with(qa_return_limit="2"), "system").definition
    case = SfoCase(people, definition)
    case.to_stage("drafting")
    case.do("draft_report")
    case.do("quality_assure_report", qa_decision="return", qa_comments="One.")
    case.do("draft_report")
    case.do("quality_assure_report", qa_decision="return", qa_comments="Two.")
    assert case.ready(managers=True) == ["resolve_qa_returns"]
    assert case.task("resolve_qa_returns").name == "Decide on a report returned as often as allowed"


def test_a_setting_the_process_does_not_have_is_refused_at_deploy(app):
    files = read_library(ROOT / "bpmn", ROOT / "forms")
    files["sfo_review.bpmn"] = files["sfo_review.bpmn"].replace(
        b'setting("qa_return_limit")', b'setting("qa_return_limt")'
    )
    with pytest.raises(Invalid) as refused:
        deploy_files(files, "system")
    assert "qa_return_limt" in str(refused.value.fields)
