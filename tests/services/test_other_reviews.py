"""Another agency's review commissioned after scoping: added by the reviewer or the SFO team until the
report is approved, with its own liaison task and deadline, and kept in other_reviews. Every step runs on a
freshly parsed model with the state reloaded from the database."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, OutboxMessage
from app.services import instances, messages
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.services.timers import fire_due_timers
from tests.conftest import make_user
from tests.sfo_case import SfoCase

LISTED = [{"agency": "Northshire CSP", "review_type": "domestic_homicide_review"}]


def _liaison_tasks(case):
    return [t for t in instances.tasks_of(case.row, "ready") if t.bpmn_id == "liaise_with_added_review"]


def _agencies(case):
    return [r["agency"] for r in case.row.data["other_reviews"]]


def test_a_review_added_during_liaison_gets_its_own_liaison_task_and_joins_other_reviews(sfo_definition, people):
    case = SfoCase(people, sfo_definition, reparse=True)
    case.to_stage("liaison", LISTED)
    case.add_review("Northshire SAB", "safeguarding_adults_review")
    [task] = _liaison_tasks(case)
    assert task.name == "Liaise with another agency's review: Northshire SAB"
    assert (task.lane, task.assignee, task.stage) == ("reviewer", people.reviewer.username, "liaison")
    assert task.due_on == dt.date(2027, 3, 15)  # 10 working days after 1 March 2027
    assert [r["agency"] for r in case.row.data["added_reviews"]] == ["Northshire SAB"]
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "other-review-added")).all()
    assert event.actor == people.reviewer.username and "Northshire SAB" in event.summary
    case.do("liaise_with_other_review", liaison_contact="A. Chair")
    case.do("liaise_with_added_review", liaison_contact="B. Chair")
    case.do("gather_evidence")
    assert case.ready() == ["draft_report"]
    assert _agencies(case) == ["Northshire CSP", "Northshire SAB"]
    added = case.row.data["other_reviews"][1]
    assert (added["liaison_contact"], added["added_by"], added["review_type"]) == (
        "B. Chair",
        people.reviewer.username,
        "safeguarding_adults_review",
    )


def test_a_review_added_during_drafting_is_liaised_with_in_parallel(sfo_definition, people):
    case = SfoCase(people, sfo_definition, reparse=True)
    case.to_stage("drafting")
    case.add_review("Westshire LSCP", "child_safeguarding_practice_review", as_user=people.team)
    assert sorted(case.ready()) == ["draft_report", "liaise_with_added_review"]
    case.do("draft_report")
    case.do("liaise_with_added_review", liaison_contact="C. Chair")
    case.do("quality_assure_report", qa_decision="approve")
    assert case.row.stage == "provider-response"
    [review] = case.row.data["other_reviews"]
    assert (review["agency"], review["liaison_contact"]) == ("Westshire LSCP", "C. Chair")


def test_a_liaison_still_open_when_the_report_is_approved_is_recorded_at_closure(sfo_definition, people):
    case = SfoCase(people, sfo_definition, reparse=True)
    case.to_stage("quality-assurance")
    case.add_review("Westshire LSCP")
    case.do("quality_assure_report", qa_decision="approve")
    assert case.row.data["other_reviews"][0].get("liaison_contact") is None
    case.do("liaise_with_added_review", liaison_contact="D. Chair")
    case.to_conviction_check()
    case.court_outcome("acquitted")
    case.finish()
    assert case.row.data["other_reviews"][0]["liaison_contact"] == "D. Chair"


def test_adding_a_review_is_refused_before_scoping_ends_and_after_the_report_is_approved(sfo_definition, people):
    case = SfoCase(people, sfo_definition, reparse=True)
    case.to_stage("scoping")
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    with pytest.raises(Conflict, match="until the report is approved"):
        case.add_review("Too early")
    case.to_stage("provider-response")
    version = case.row.lock_version
    with pytest.raises(Conflict, match="provider response"):
        case.add_review("Too late")
    assert case.row.lock_version == version and "added_reviews" not in case.row.data
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "other-review-added")).all()


def test_only_the_allocated_reviewer_and_the_sfo_team_add_reviews(sfo_definition, people):
    case = SfoCase(people, sfo_definition)
    case.to_stage("liaison")
    with pytest.raises(Forbidden):
        case.add_review("X", as_user=people.other_reviewer)
    with pytest.raises(Forbidden):
        case.add_review("X", as_user=people.qa)
    with pytest.raises(NotFound):
        case.add_review("X", as_user=people.other_provider)
    with pytest.raises(Invalid) as refused:
        messages.add_other_review(people.reviewer, case.row.id, "  ", "book_club_review")
    assert set(refused.value.fields) == {"data.agency", "data.review_type"}
    assert _liaison_tasks(case) == []


def test_a_provider_in_the_sfo_team_group_still_cannot_add_reviews_to_its_case(sfo_definition, people):
    """Access stays with the role: a provider user whose account also carries the sfo-team group (an extra
    group, or one single sign-on maps) does no SFO team work on its own cases, this included."""
    case = SfoCase(people, sfo_definition)
    case.to_stage("liaison")
    also_in_team = make_user("provider", organisation=people.provider.organisation, groups=("sfo-team",))
    assert instances.get_instance(also_in_team, case.row.id).id == case.row.id
    assert not messages.may_add_other_review(also_in_team, case.row)
    with pytest.raises(Forbidden):
        case.add_review("X", as_user=also_in_team)
    assert _liaison_tasks(case) == []


def test_the_added_liaison_task_has_the_deadline_pattern(sfo_definition, people, clock):
    case = SfoCase(people, sfo_definition, reparse=True)
    case.to_stage("drafting")
    case.add_review("Westshire LSCP")
    clock.set(dt.datetime(2027, 3, 11, 8, 30, tzinfo=dt.UTC))  # 2 working days before 15 March
    fire_due_timers()
    clock.set(dt.datetime(2027, 3, 16, 9, tzinfo=dt.UTC))
    fire_due_timers()
    reminders = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder")).all()
    assert [m.recipient for m in reminders] == [people.reviewer.username]
    assert "Liaise with another agency's review: Westshire LSCP" in reminders[0].subject
    escalation = case.task("overdue_task_escalation")
    assert escalation.name == "Overdue: Liaise with another agency's review" and escalation.lane == "manager"


def test_reviews_can_also_be_added_by_message(sfo_definition, people):
    case = SfoCase(people, sfo_definition)
    case.to_stage("drafting")
    messages.deliver_message(
        people.team,
        "other-review-added",
        case.row.business_key,
        {"agency": "Eastshire SAB", "review_type": "safeguarding_adults_review"},
    )
    [task] = _liaison_tasks(case)
    assert task.name.endswith("Eastshire SAB")
    with pytest.raises(Invalid):
        messages.deliver_message(
            people.team,
            "other-review-added",
            case.row.business_key,
            {"agency": "Eastshire SAB", "review_type": "safeguarding_adults_review", "added_by": "someone.else"},
        )
    with pytest.raises(NotFound):  # the model's own deadline messages are not taken from outside
        messages.deliver_message(make_user("sfo-team"), "deadline-overdue", case.row.business_key, {})
    assert [t.bpmn_id for t in instances.tasks_of(case.row, "ready")].count("overdue_task_escalation") == 0
