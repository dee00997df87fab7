"""The paths of the real SFO model, driven only through the JSON API, as the people of each lane: the one
suite of the model's journeys (the services beneath are exercised by every request)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.demo import notification_dates
from app.extensions import db
from app.models import OutboxMessage, ProcessInstance
from app.services.definitions import model_of
from app.services.sample_data import sample_for
from app.services.timers import fire_due_timers
from tests.conftest import START


def _notification(definition, reference, **answers):
    data = sample_for(model_of(definition).start_form().schema, {"other_reviews": []}, START.date())
    data.update(notification_dates(START.date()), case_reference=reference, provider_org="north-probation")
    data.update(answers)
    return data


def _start(api, people, definition, reference="SFO-API-1", **answers):
    return api.start("sfo_review", reference, _notification(definition, reference, **answers), as_user=people.provider)


def _to_conviction_check(case, people, other_reviews=()):
    case.do("confirm_eligibility", as_user=people.team, eligible=True)
    case.do("allocate_reviewer", as_user=people.team, reviewer=people.reviewer.username)
    case.do("write_terms_of_reference", as_user=people.reviewer, other_reviews=list(other_reviews))
    for review in other_reviews:
        case.do("liaise_with_other_review", as_user=people.reviewer, name_contains=review["agency"])
    case.do("gather_evidence", as_user=people.reviewer)
    case.do("draft_report", as_user=people.reviewer)
    case.do("quality_assure_report", as_user=people.qa, qa_decision="approve")
    case.do("record_provider_response", as_user=people.provider)


def _ready(case, people, *, managers=False):
    """The BPMN ids of the case's ready tasks, as a manager sees them (without managers' own, unless asked)."""
    detail = case.refresh(as_user=people.manager)
    return sorted(t["bpmn_id"] for t in detail["ready_tasks"] if managers or t["lane"] != "manager")


def _completed(case, people):
    return {t["bpmn_id"] for t in case.refresh(as_user=people.manager)["completed_tasks"]}


def test_not_eligible_ends_and_tells_the_provider(api, people, sfo_definition):
    case = _start(api, people, sfo_definition)
    assert case["stage"] == "eligibility" and _ready(case, people) == ["confirm_eligibility"]
    case.do("confirm_eligibility", as_user=people.team, eligible=False)
    assert (case["status"], case["outcome"]) == ("completed", "Not an SFO")
    notices = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "not_eligible")).all()
    assert [n.recipient for n in notices] == ["group:provider"]


def test_convicted_of_the_sfo_then_published(api, people, sfo_definition):
    case = _start(api, people, sfo_definition)
    _to_conviction_check(case, people)
    assert (case.refresh(as_user=people.manager)["status"], case["stage"]) == ("waiting", "conviction-check")
    api.message(
        "court-outcome",
        "SFO-API-1",
        {"court_outcome": "convicted_sfo", "outcome_date": "2027-03-01"},
        as_user=people.team,
    )
    detail = case.refresh(as_user=people.manager)
    assert detail["data"]["court_outcome"] == "convicted_sfo" and detail["stage"] == "publication"
    for _ in range(10):
        detail = case.refresh(as_user=people.manager)
        if detail["status"] == "completed":
            break
        [task] = [t for t in detail["ready_tasks"] if t["lane"] != "manager"][:1]
        case.do(task["bpmn_id"], as_user=people.for_task(task), publish_approved=True, publication_date="2027-03-01")
    assert (detail["status"], detail["outcome"]) == ("completed", "Published")
    assert {"anonymise_report", "approve_publication", "publish_report", "tag_themes"} <= _completed(case, people)


def test_acquitted_closes_unpublished(api, people, sfo_definition):
    case = _start(api, people, sfo_definition)
    _to_conviction_check(case, people)
    api.message(
        "court-outcome", "SFO-API-1", {"court_outcome": "acquitted", "outcome_date": "2027-03-01"}, as_user=people.team
    )
    assert _ready(case, people) == ["tag_themes"]
    case.do("tag_themes", as_user=people.team)
    assert (case["status"], case["outcome"]) == ("completed", "Closed unpublished")
    assert "anonymise_report" not in _completed(case, people)


def test_quality_assurance_returns_once_then_approves(api, people, sfo_definition):
    case = _start(api, people, sfo_definition)
    case.do("confirm_eligibility", as_user=people.team, eligible=True)
    case.do("allocate_reviewer", as_user=people.team, reviewer=people.reviewer.username)
    case.do("write_terms_of_reference", as_user=people.reviewer, other_reviews=[])
    case.do("gather_evidence", as_user=people.reviewer)
    case.do("draft_report", as_user=people.reviewer)
    case.do("quality_assure_report", as_user=people.qa, qa_decision="return", qa_comments="More on risk.")
    assert [t["bpmn_id"] for t in case.ready_tasks(as_user=people.reviewer)] == ["draft_report"]
    assert case.refresh(as_user=people.manager)["stage"] == "drafting"
    case.do("draft_report", as_user=people.reviewer)
    case.do("quality_assure_report", as_user=people.qa, qa_decision="approve")
    assert [t["bpmn_id"] for t in case.ready_tasks(as_user=people.provider)] == ["record_provider_response"]
    drafts = [t for t in case.refresh(as_user=people.manager)["completed_tasks"] if t["bpmn_id"] == "draft_report"]
    assert len(drafts) == 2


@pytest.mark.parametrize("count", [0, 1, 3])
def test_liaison_with_other_reviews(api, people, sfo_definition, count):
    reviews = [{"agency": f"Agency {n}", "review_type": "safeguarding_adults_review"} for n in range(count)]
    case = _start(api, people, sfo_definition)
    case.do("confirm_eligibility", as_user=people.team, eligible=True)
    case.do("allocate_reviewer", as_user=people.team, reviewer=people.reviewer.username)
    case.do("write_terms_of_reference", as_user=people.reviewer, other_reviews=reviews)
    liaison = [t for t in case.ready_tasks(as_user=people.reviewer) if t["bpmn_id"] == "liaise_with_other_review"]
    assert sorted(t["name"].rsplit(": ", 1)[-1] for t in liaison) == [f"Agency {n}" for n in range(count)]
    assert all(t["assignee"] == people.reviewer.username for t in liaison)
    for review in reviews:
        case.do(
            "liaise_with_other_review",
            as_user=people.reviewer,
            name_contains=review["agency"],
            liaison_contact="A. Contact",
        )
    case.do("gather_evidence", as_user=people.reviewer)
    assert _ready(case, people) == ["draft_report"]
    other_reviews = case.refresh(as_user=people.manager)["data"]["other_reviews"]
    assert [r["liaison_contact"] for r in other_reviews] == ["A. Contact"] * count


def test_reviewer_tasks_go_to_the_allocated_reviewer_only(api, people, sfo_definition):
    case = _start(api, people, sfo_definition)
    case.do("confirm_eligibility", as_user=people.team, eligible=True)
    case.do("allocate_reviewer", as_user=people.team, reviewer=people.reviewer.username)
    task = case.task("write_terms_of_reference", as_user=people.reviewer)
    assert task["assignee"] == people.reviewer.username
    assert db.session.get(ProcessInstance, case.id).reviewer == people.reviewer.username
    body = {"data": {"other_reviews": []}}
    refused = api.post(f"/tasks/{task['id']}/complete", people.other_reviewer, body, expect=403)
    assert refused["error"]["code"] == "forbidden"


def test_allocating_someone_who_is_not_a_reviewer_is_refused(api, people, sfo_definition):
    case = _start(api, people, sfo_definition)
    case.do("confirm_eligibility", as_user=people.team, eligible=True)
    refused = case.do("allocate_reviewer", as_user=people.team, reviewer=people.qa.username, expect=422)
    assert "reviewer" in refused["error"]["fields"]
    assert _ready(case, people) == ["allocate_reviewer"]


def test_triage_deadline_reminds_then_escalates_to_managers(api, people, sfo_definition, clock):
    case = _start(api, people, sfo_definition)  # Monday 1 March 2027: triage due Wednesday 3 March
    [triage] = case.ready_tasks(as_user=people.team)
    assert triage["due_at"] == "2027-03-03"
    clock.set(dt.datetime(2027, 3, 2, 8, 30, tzinfo=dt.UTC))
    fire_due_timers()
    clock.set(dt.datetime(2027, 3, 4, 9, tzinfo=dt.UTC))
    fire_due_timers()
    fire_due_timers()
    kinds = db.session.scalars(select(OutboxMessage.kind)).all()
    assert kinds.count("reminder") == 1 and kinds.count("escalation") == 1
    escalations = api.tasks(people.manager, candidate="me")
    escalated = [(t["bpmn_id"], t["name"], t["lane"], t["stage"]) for t in escalations]
    assert escalated == [("overdue_task_escalation", "Overdue: Confirm eligibility", "manager", None)]
    assert api.tasks(people.team, overdue="true")[0]["id"] == triage["id"]
    case.do("confirm_eligibility", as_user=people.team, eligible=True)
    assert "overdue_task_escalation" in _ready(case, people, managers=True)  # the manager still has to act


def test_chase_timer_gives_the_team_a_task_to_record_the_outcome(api, people, sfo_definition, clock):
    case = _start(api, people, sfo_definition)
    _to_conviction_check(case, people)
    assert db.session.get(ProcessInstance, case.id).next_timer_at is not None
    clock.set(dt.datetime(2027, 6, 2, 9, tzinfo=dt.UTC))  # about three months later
    api.forget_tokens()
    fire_due_timers()
    case.do("chase_court_outcome", as_user=people.team, outcome_known=True, court_outcome="discontinued")
    assert _ready(case, people) == ["tag_themes"]


def test_a_provider_of_another_organisation_cannot_see_the_case(api, people, sfo_definition):
    case = _start(api, people, sfo_definition)
    api.get(f"/process-instances/{case.id}", people.other_provider, expect=404)
    [task] = case.ready_tasks(as_user=people.team)
    api.get(f"/tasks/{task['id']}", people.other_provider, expect=404)
    visible = api.get(f"/process-instances/{case.id}", people.provider)["data"]
    assert visible["case_reference"] == "SFO-API-1" and "triage_due" not in visible


def test_court_outcome_before_eligibility_is_409_and_for_no_case_404(api, people, sfo_definition):
    case = _start(api, people, sfo_definition)
    outcome = {"court_outcome": "acquitted", "outcome_date": "2027-02-26"}
    error = api.message("court-outcome", "SFO-API-1", outcome, as_user=people.team, expect=409)["error"]
    assert error["code"] == "conflict" and "eligibility" in error["message"]
    api.message("court-outcome", "NO-SUCH-CASE", outcome, as_user=people.team, expect=404)
    assert "court_outcomes" not in case.refresh(as_user=people.team)["data"]


def test_the_anonymiser_cannot_approve_publication_through_the_api(api, people, sfo_definition):
    case = _start(api, people, sfo_definition)
    _to_conviction_check(case, people)
    api.message(
        "court-outcome",
        "SFO-API-1",
        {"court_outcome": "convicted_sfo", "outcome_date": "2027-03-01"},
        as_user=people.team,
    )
    case.do("anonymise_report", as_user=people.publication)
    case.do("provide_progress_summary", as_user=people.provider)
    case.do("coordinate_publication", as_user=people.publication, publication_date="2027-03-01")
    task = case.task("approve_publication", as_user=people.publication)
    refused = api.post(
        f"/tasks/{task['id']}/complete", people.publication, {"data": {"publish_approved": True}}, expect=403
    )
    assert refused["error"]["code"] == "forbidden"
    assert "someone else must approve" in refused["error"]["message"]
    api.post(f"/tasks/{task['id']}/claim", people.publication, expect=403)
    case.complete("approve_publication", {"publish_approved": True}, as_user=people.approver)
    assert "publish_report" in [t["bpmn_id"] for t in case.ready_tasks(as_user=people.publication)]


def test_a_reviewed_match_through_the_api(api, people, sfo_definition):
    case = _start(api, people, sfo_definition)
    _to_conviction_check(case, people)
    api.message(
        "court-outcome",
        "SFO-API-1",
        {"court_outcome": "convicted_sfo", "outcome_date": "2027-03-01"},
        as_user=people.team,
    )
    task = case.task("anonymise_report", as_user=people.publication)
    data = api.get(f"/tasks/{task['id']}", people.publication)["data"]  # the form starts as the approved report
    pack = {
        **data,
        "redaction_log": [{"category": "person", "original": "Someone", "replacement": "Mr A"}],
        "anonymisation_checks": ["person", "victims", "staff", "addresses"],
        "anonymised_lessons": "Staff should know that the family came from Jordan.",
        "public_title": "Risk not reassessed after a move",
        "public_summary": "Risk was not reassessed when the person moved home.",
    }
    refused = api.post(f"/tasks/{task['id']}/complete", people.publication, {"data": pack}, expect=422)
    assert refused["error"]["code"] == "validation_failed"
    [message] = refused["error"]["fields"]["anonymised_lessons"]
    assert "Jordan" not in message
    reference = message.split("with the reference ")[1].split()[0]
    pack["reviewed_matches"] = [{"reference": reference, "reason": "The country."}]
    api.post(f"/tasks/{task['id']}/complete", people.publication, {"data": pack}, expect=200)
    kept = [e for e in case.events(as_user=people.manager) if e["kind"] == "match-reviewed"]
    assert [(e["actor"], e["detail"]["reason"]) for e in kept] == [(people.publication.username, "The country.")]
