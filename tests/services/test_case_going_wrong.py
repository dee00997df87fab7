"""A case going wrong: suspended, extended, migrated, reloaded, messaged at odd moments. Each test is a
defect once found: the case must neither move while it should stand still, nor lose what it waits for."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, Task
from app.services import consistency, deadlines, instances, messages, modelling, tasks
from app.services.audit import events_of
from app.services.definitions import deploy_files, read_library
from app.services.errors import Conflict
from app.services.timers import fire_due_timers
from tests.conftest import ROOT
from tests.services.test_deadlines_that_help import DHR, at, overdue_titles, scoped
from tests.sfo_case import SfoCase


def _outbox_kinds(case) -> list[str]:
    query = select(OutboxMessage.kind).where(OutboxMessage.instance_id == case.row.id)
    return sorted(db.session.scalars(query).all())


def test_extending_a_deadline_of_a_suspended_case_fires_none_of_its_other_timers(sfo_definition, people, clock):
    case = scoped(people, sfo_definition, evidence="2027-04-15", liaison="2027-04-15")
    instances.suspend_instance(people.manager, case.row.id, "Awaiting police disclosure")
    sent_before = _outbox_kinds(case)
    at(clock, "2027-04-20")  # both the evidence and the liaison deadlines have passed meanwhile
    evidence = case.task("gather_evidence")
    deadlines.extend_deadline(people.manager, evidence.id, dt.date(2027, 6, 30), "Disclosure delayed")
    assert case.row.status == "suspended"
    assert overdue_titles(case) == []  # the suspended case stood still: the liaison escalated nothing
    assert _outbox_kinds(case) == sent_before  # and nobody was reminded
    instances.resume_instance(people.manager, case.row.id)
    fire_due_timers()
    assert overdue_titles(case) == ["Overdue: Liaise with another agency's review"]  # once resumed, it does


@pytest.mark.parametrize("last", ["liaise_with_other_review", "gather_evidence"])
def test_a_new_reviewer_made_during_liaison_gets_the_draft_whichever_task_is_done_last(sfo_definition, people, last):
    case = scoped(people, sfo_definition, evidence="2027-04-15", liaison="2027-04-15")
    new = people.other_reviewer
    tasks.assign_task(people.manager, case.task("gather_evidence").id, new.username, make_case_reviewer=True)
    assert {t.assignee for t in instances.tasks_of(case.row, "ready") if t.lane == "reviewer"} == {new.username}
    first = "gather_evidence" if last == "liaise_with_other_review" else "liaise_with_other_review"
    case.do(first, as_user=new)
    case.do(last, as_user=new)
    assert case.task("draft_report").assignee == new.username
    assert case.row.reviewer == new.username


def _next_version() -> object:
    files = read_library(ROOT / "bpmn", ROOT / "forms")
    files["sfo_review.bpmn"] = files["sfo_review.bpmn"].replace(
        b'name="Gather evidence"', b'name="Gather the evidence"'
    )
    return deploy_files(files, "system").definition


def test_a_timer_that_fell_due_before_a_migration_still_fires_after_it(sfo_definition, people, clock):
    case = scoped(people, sfo_definition, evidence="2027-04-15", liaison="2027-04-15")
    second = _next_version()
    at(clock, "2027-04-20")  # the worker has not run since the evidence and liaison deadlines passed
    moved, refused = modelling.migrate_instances(people.owner, "sfo_review", second.version)
    assert (moved, refused) == ([case.row.id], {})
    assert case.row.next_timer_at is not None and case.row.next_timer_at <= clock.now()  # the worker sees it due
    fire_due_timers()
    assert overdue_titles(case) == ["Overdue: Gather evidence", "Overdue: Liaise with another agency's review"]


def test_an_extended_liaison_is_not_escalated_on_its_old_date(sfo_definition, people, clock):
    case = scoped(people, sfo_definition, evidence="2027-06-30", liaison="2027-04-15")
    liaison = case.task("liaise_with_other_review")
    assert liaison.due_on == dt.date(2027, 4, 15)
    deadlines.extend_deadline(people.manager, liaison.id, dt.date(2027, 5, 28), "The other review started late")
    assert case.task("liaise_with_other_review").due_on == dt.date(2027, 5, 28)
    at(clock, "2027-04-20")  # after the old date, before the new one
    fire_due_timers()
    assert overdue_titles(case) == []
    at(clock, "2027-05-31")
    fire_due_timers()
    assert "Overdue: Liaise with another agency's review" in overdue_titles(case)


def _liaising_with_two_agencies(people, definition):  # type: ignore[no-untyped-def]
    """A case in liaison with two agencies, each due on 15 April (the evidence on 30 June)."""
    case = SfoCase(people, definition)
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    reviews = [*DHR, {"agency": "Northshire SAB", "review_type": "safeguarding_adults_review"}]
    case.do(
        "write_terms_of_reference", other_reviews=reviews, evidence_deadline="2027-06-30", liaison_deadline="2027-04-15"
    )
    return case


def test_with_two_agencies_the_liaison_escalates_when_the_first_still_open_is_due(sfo_definition, people, clock):
    case = _liaising_with_two_agencies(people, sfo_definition)
    first = case.task("liaise_with_other_review")
    deadlines.extend_deadline(people.manager, first.id, dt.date(2027, 5, 14), "Their review started late")
    at(clock, "2027-04-16")
    fire_due_timers()
    assert overdue_titles(case) == ["Overdue: Liaise with another agency's review"]  # the other one was overdue


def test_an_extended_liaison_is_not_escalated_once_the_other_agency_is_done(sfo_definition, people, clock):
    case = _liaising_with_two_agencies(people, sfo_definition)
    case.do("liaise_with_other_review")  # one agency is done in time
    remaining = case.task("liaise_with_other_review")
    deadlines.extend_deadline(people.manager, remaining.id, dt.date(2027, 5, 14), "Their review started late")
    at(clock, "2027-04-20")
    fire_due_timers()
    assert overdue_titles(case) == []


def test_an_extended_liaison_is_not_escalated_when_the_other_agency_is_done_after_the_extension(
    sfo_definition, people, clock
):
    case = _liaising_with_two_agencies(people, sfo_definition)
    first, second = sorted(
        (t for t in instances.tasks_of(case.row, "ready") if t.bpmn_id == "liaise_with_other_review"),
        key=lambda t: (t.created_at, t.id),
    )
    deadlines.extend_deadline(people.manager, second.id, dt.date(2027, 5, 14), "Their review started late")
    case.do("liaise_with_other_review")  # the first agency, done in time
    at(clock, "2027-04-20")
    fire_due_timers()
    assert overdue_titles(case) == []  # the one still open is due on 14 May
    at(clock, "2027-05-17")
    fire_due_timers()
    assert overdue_titles(case) == ["Overdue: Liaise with another agency's review"]


@pytest.mark.parametrize("summary_last", [True, False])
def test_an_extended_publication_deadline_holds_whichever_branch_is_done_last(
    sfo_definition, people, clock, summary_last
):
    case = SfoCase(people, sfo_definition)
    case.to_conviction_check()
    case.court_outcome("convicted_sfo")
    anonymise = case.task("anonymise_report")
    assert (
        anonymise.due_on == case.task("provide_progress_summary").due_on == dt.date(2027, 3, 31)
    )  # Easter falls between
    deadlines.extend_deadline(people.manager, anonymise.id, dt.date(2027, 4, 30), "Coordinating with the DHR")
    assert case.task("provide_progress_summary").due_on == dt.date(2027, 4, 30)  # the deadline they share
    if not summary_last:
        case.do("provide_progress_summary")
    case.do("anonymise_report")
    case.do("coordinate_publication", publication_date="2027-03-01")
    if summary_last:
        case.do("provide_progress_summary")
    assert case.task("approve_publication").due_on == dt.date(2027, 4, 30)
    at(clock, "2027-04-01")  # after the publication deadline as it was
    fire_due_timers()
    assert overdue_titles(case) == []


def test_extending_one_added_review_leaves_the_other_added_the_same_day(sfo_definition, people):
    case = scoped(people, sfo_definition, evidence="2027-04-15", liaison="2027-04-15")
    case.add_review("Northshire SAB")
    case.add_review("Southshire MAPPA", "mappa_serious_case_review")
    first, second = (t for t in instances.tasks_of(case.row, "ready") if t.bpmn_id == "liaise_with_added_review")
    was = first.due_on
    assert second.due_on == was
    deadlines.extend_deadline(people.manager, first.id, was + dt.timedelta(days=28), "Late start")
    due = {t.id: t.due_on for t in instances.tasks_of(case.row, "ready")}
    assert (due[first.id], due[second.id]) == (was + dt.timedelta(days=28), was)


def test_a_suspended_case_waiting_for_the_other_review_says_so_and_takes_it_once_resumed(sfo_definition, people):
    case = SfoCase(people, sfo_definition, reparse=True)
    case.to_conviction_check()
    case.court_outcome("convicted_sfo")
    case.finish(publish_approved=True, publication_date="2027-06-01")
    assert (case.row.status, case.row.stage, case.ready()) == ("waiting", "publication", [])  # for 1 June
    instances.suspend_instance(people.manager, case.row.id, "Awaiting legal advice")
    published = {"agency": "Northshire CSP", "published_on": "2027-03-01"}
    with pytest.raises(Conflict, match="suspended"):  # not "no case is waiting": the sender is to send it again
        messages.deliver_message(people.team, "other-review-published", case.row.business_key, published)
    instances.resume_instance(people.manager, case.row.id)
    messages.deliver_message(people.team, "other-review-published", case.row.business_key, published)
    assert case.ready() == ["publish_report"]


def test_an_overdue_task_extended_is_reminded_and_escalated_again_against_its_new_date(sfo_definition, people, clock):
    case = SfoCase(people, sfo_definition, reparse=True)
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    case.do("write_terms_of_reference", other_reviews=[], evidence_deadline="2027-04-15", liaison_deadline="2027-04-15")
    at(clock, "2027-04-13")
    fire_due_timers()
    at(clock, "2027-04-16")
    fire_due_timers()
    assert overdue_titles(case) == ["Overdue: Gather evidence"]
    case.do("overdue_task_escalation", as_user=people.manager)
    evidence = case.task("gather_evidence")
    deadlines.extend_deadline(people.manager, evidence.id, dt.date(2027, 5, 14), "More records to come")
    assert case.row.next_timer_at == dt.datetime(2027, 5, 12, 7, tzinfo=dt.UTC)  # reminded 2 working days before
    reminders = _outbox_kinds(case).count("reminder")
    at(clock, "2027-05-12")
    fire_due_timers()
    assert _outbox_kinds(case).count("reminder") == reminders + 1
    at(clock, "2027-05-17")
    fire_due_timers()
    assert overdue_titles(case) == ["Overdue: Gather evidence"]  # the extended date passed too
    assert consistency.problems_of(case.row) == []
    case.do("gather_evidence")
    assert case.row.stage == "drafting" and case.row.next_timer_at is not None


def test_extending_an_overdue_task_closes_its_escalation_and_leaves_the_others_open(sfo_definition, people, clock):
    case = scoped(people, sfo_definition, evidence="2027-04-15", liaison="2027-04-15")
    case.reparse = True
    at(clock, "2027-04-20")
    fire_due_timers()
    assert overdue_titles(case) == ["Overdue: Gather evidence", "Overdue: Liaise with another agency's review"]
    escalation = next(t for t in instances.tasks_of(case.row, "ready") if t.name == "Overdue: Gather evidence")
    evidence = case.task("gather_evidence")
    deadlines.extend_deadline(people.manager, evidence.id, dt.date(2027, 6, 30), "Disclosure delayed")
    assert overdue_titles(case) == ["Overdue: Liaise with another agency's review"]  # the evidence is not overdue
    db.session.expire_all()
    closed = db.session.get(Task, escalation.id)
    assert (closed.state, closed.completed_by) == ("completed", people.manager.username)
    [event] = [e for e in events_of(case.row) if e.kind == "task-completed" and e.task_id == escalation.id]
    assert event.detail["data"]["escalation_action"] == "extension_agreed"
    assert "30 June 2027" in event.detail["data"]["escalation_notes"]
    assert consistency.problems_of(case.row) == []
    at(clock, "2027-07-01")
    fire_due_timers()  # the new date is enforced as the first was
    assert overdue_titles(case) == ["Overdue: Gather evidence", "Overdue: Liaise with another agency's review"]


def test_the_liaison_escalation_closes_once_every_overdue_agency_is_extended(sfo_definition, people, clock):
    case = _liaising_with_two_agencies(people, sfo_definition)
    at(clock, "2027-04-20")
    fire_due_timers()
    assert overdue_titles(case) == ["Overdue: Liaise with another agency's review"]  # one for the loop
    first, second = [t for t in instances.tasks_of(case.row, "ready") if t.bpmn_id == "liaise_with_other_review"]
    deadlines.extend_deadline(people.manager, first.id, dt.date(2027, 5, 14), "Their review started late")
    assert overdue_titles(case) == ["Overdue: Liaise with another agency's review"]  # the other is still overdue
    deadlines.extend_deadline(people.manager, second.id, dt.date(2027, 5, 21), "Their review started late too")
    assert overdue_titles(case) == []
    assert consistency.problems_of(case.row) == []
