"""Every path of the SFO model, driven through the services with the people of each lane."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, Task
from app.services import instances
from app.services.timers import fire_due_timers
from tests.sfo_case import SfoCase


def test_not_eligible_ends_and_tells_the_provider(sfo_definition, people):
    case = SfoCase(people, sfo_definition)
    assert case.row.stage == "eligibility" and case.ready() == ["confirm_eligibility"]
    case.do("confirm_eligibility", eligible=False, eligibility_rationale="Charged after supervision ended.")
    assert (case.row.status, case.row.outcome) == ("completed", "Not an SFO")
    notices = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "not_eligible")).all()
    assert [n.recipient for n in notices] == ["group:provider"]


def test_convicted_of_the_sfo_is_published(sfo_definition, people):
    case = SfoCase(people, sfo_definition)
    case.to_conviction_check()
    assert (case.row.status, case.row.stage) == ("waiting", "conviction-check")
    case.court_outcome("convicted_sfo")
    assert case.row.data["court_outcome"] == "convicted_sfo"
    assert case.row.stage == "publication"
    steps = 0
    while case.row.status != "completed" and steps < 10:
        ready = case.ready()
        assert ready, f"stuck at {case.row.stage}"
        case.do(ready[0], publish_approved=True, publication_date=dt.date(2027, 3, 1).isoformat())
        steps += 1
    assert case.row.outcome == "Published"
    completed = {t.bpmn_id for t in db.session.scalars(select(Task).where(Task.state == "completed"))}
    assert {"anonymise_report", "approve_publication", "publish_report", "tag_themes"} <= completed


def test_acquitted_closes_unpublished(sfo_definition, people):
    case = SfoCase(people, sfo_definition)
    case.to_conviction_check()
    case.court_outcome("acquitted")
    assert case.ready() == ["tag_themes"]
    case.do("tag_themes")
    assert (case.row.status, case.row.outcome) == ("completed", "Closed unpublished")
    completed = {t.bpmn_id for t in db.session.scalars(select(Task).where(Task.state == "completed"))}
    assert "anonymise_report" not in completed


def test_quality_assurance_returns_once_then_approves(sfo_definition, people):
    case = SfoCase(people, sfo_definition)
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    case.do("write_terms_of_reference", other_reviews=[])
    case.do("gather_evidence")
    case.do("draft_report")
    case.do("quality_assure_report", qa_decision="return", qa_comments="Say more about risk assessment.")
    assert case.ready() == ["draft_report"] and case.row.stage == "drafting"
    case.do("draft_report")
    case.do("quality_assure_report", qa_decision="approve")
    assert case.ready() == ["record_provider_response"]
    drafts = db.session.scalars(select(Task).where(Task.bpmn_id == "draft_report", Task.state == "completed")).all()
    assert len(drafts) == 2


@pytest.mark.parametrize("count", [0, 1, 3])
def test_one_liaison_task_per_other_review(sfo_definition, people, count):
    reviews = [{"agency": f"Agency {n}", "review_type": "domestic_homicide_review"} for n in range(count)]
    case = SfoCase(people, sfo_definition)
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    case.do("write_terms_of_reference", other_reviews=reviews)
    liaison = [t for t in instances.tasks_of(case.row, "ready") if t.bpmn_id == "liaise_with_other_review"]
    assert len(liaison) == count
    assert sorted(t.name.rsplit(": ", 1)[-1] for t in liaison) == [f"Agency {n}" for n in range(count)]
    assert all(t.assignee == people.reviewer.username for t in liaison)
    for _ in range(count):
        case.do("liaise_with_other_review", liaison_contact="A. Contact")
    case.do("gather_evidence")
    assert case.ready() == ["draft_report"]
    assert [r["liaison_contact"] for r in case.row.data["other_reviews"]] == ["A. Contact"] * count


def test_reviewer_tasks_go_to_the_allocated_reviewer_only(sfo_definition, people):
    case = SfoCase(people, sfo_definition)
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    task = case.task("write_terms_of_reference")
    assert task.assignee == people.reviewer.username and case.row.reviewer == people.reviewer.username
    from app.services.errors import Forbidden

    with pytest.raises(Forbidden):
        case.do("write_terms_of_reference", as_user=people.other_reviewer)


def test_allocating_someone_who_is_not_a_reviewer_is_refused(sfo_definition, people):
    from app.services.errors import Invalid

    case = SfoCase(people, sfo_definition)
    case.do("confirm_eligibility", eligible=True)
    with pytest.raises(Invalid) as error:
        case.do("allocate_reviewer", reviewer=people.qa.username)
    assert "reviewer" in error.value.fields


def test_triage_deadline_reminds_then_escalates_to_managers(sfo_definition, people, clock):
    case = SfoCase(people, sfo_definition)  # Monday 1 March 2027: triage due Wednesday 3 March
    assert case.task("confirm_eligibility").due_on == dt.date(2027, 3, 3)
    clock.set(dt.datetime(2027, 3, 2, 8, 30, tzinfo=dt.UTC))
    fire_due_timers()
    clock.set(dt.datetime(2027, 3, 4, 9, 0, tzinfo=dt.UTC))
    fire_due_timers()
    fire_due_timers()
    kinds = sorted(db.session.scalars(select(OutboxMessage.kind)).all())
    assert kinds.count("reminder") == 1 and kinds.count("escalation") == 1
    assert "overdue_task_escalation" in case.ready(managers=True)
    escalation = case.task("overdue_task_escalation")
    assert escalation.lane == "manager" and escalation.stage is None
    assert escalation.name == "Overdue: Confirm eligibility"
    case.do("confirm_eligibility", eligible=True)
    assert "overdue_task_escalation" in case.ready(managers=True)  # the manager still has to act


def test_chase_timer_gives_the_team_a_task_to_record_the_outcome(sfo_definition, people, clock):
    case = SfoCase(people, sfo_definition)
    case.to_conviction_check()
    chase_at = case.row.next_timer_at
    assert chase_at is not None
    clock.set(dt.datetime(2027, 6, 2, 9, tzinfo=dt.UTC))  # about three months later
    fire_due_timers()
    assert "chase_court_outcome" in case.ready()
    case.do("chase_court_outcome", outcome_known=True, court_outcome="discontinued")
    assert case.ready() == ["tag_themes"]


def test_provider_of_another_organisation_cannot_see_the_case(sfo_definition, people):
    from app.services.errors import NotFound

    case = SfoCase(people, sfo_definition)
    with pytest.raises(NotFound):
        instances.get_instance(people.other_provider, case.row.id)
    visible = instances.visible_data(people.provider, case.row)
    assert visible["case_reference"] == "SFO-2027-001" and "triage_due" not in visible
