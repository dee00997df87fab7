"""The court outcome through the services: accepted from eligibility until closure and kept for the
conviction check, validated, any qualifying SFO conviction published, and a later conviction reopening a
case closed unpublished. Every step runs on a freshly parsed model with the state reloaded from the database."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, ProcessInstance
from app.services import instances, messages, publication
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.services.timers import fire_due_timers
from tests.sfo_case import SfoCase


def _case(people, definition, reference="SFO-2027-001", **answers):
    return SfoCase(people, definition, reference, reparse=True, **answers)


def _events(row, kind):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == row.id, AuditEvent.kind == kind)).all()


def _unchanged(row):
    db.session.expire_all()
    fresh = db.session.get(ProcessInstance, row.id)
    count = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.instance_id == row.id))
    return fresh.lock_version, fresh.state, count


@pytest.mark.parametrize("stage", ["scoping", "liaison", "drafting", "quality-assurance", "provider-response"])
def test_an_early_outcome_is_kept_and_used_at_the_conviction_check(sfo_definition, people, stage):
    case = _case(people, sfo_definition)
    case.to_stage(stage)
    ready = case.ready()
    case.court_outcome("convicted_sfo", outcome_date="2027-02-26")
    assert (case.row.stage, case.ready()) == (stage, ready)  # the case goes on as it was
    [kept] = case.row.data["court_outcomes"]
    assert (kept["court_outcome"], kept["outcome_date"], kept["received_on"]) == (
        "convicted_sfo",
        "2027-02-26",
        "2027-03-01",
    )
    [event] = _events(case.row, "message")
    assert event.detail["payload"]["court_outcome"] == "convicted_sfo" and "convicted_sfo" in event.summary
    case.to_conviction_check()
    assert case.row.stage == "publication" and case.row.data["court_outcome"] == "convicted_sfo"  # no second message
    case.finish(publish_approved=True, publication_date="2027-03-01")
    assert (case.row.status, case.row.outcome) == ("completed", "Published")


def test_an_outcome_while_the_conviction_check_waits_is_used_at_once_and_kept(sfo_definition, people):
    case = _case(people, sfo_definition)
    case.to_conviction_check()
    assert (case.row.status, case.row.stage) == ("waiting", "conviction-check")
    case.court_outcome("acquitted")
    assert case.ready() == ["tag_themes"]
    assert [o["court_outcome"] for o in case.row.data["court_outcomes"]] == ["acquitted"]


def test_the_newest_outcome_before_the_conviction_check_is_the_one_used(sfo_definition, people):
    case = _case(people, sfo_definition)
    case.to_stage("drafting")
    case.court_outcome("acquitted", outcome_date="2027-02-20")
    case.court_outcome("convicted_sfo", outcome_date="2027-02-27")  # a correction, or a conviction after adjournment
    assert [o["court_outcome"] for o in case.row.data["court_outcomes"]] == ["acquitted", "convicted_sfo"]
    case.to_conviction_check()
    assert case.row.stage == "publication"
    assert (case.row.data["court_outcome"], case.row.data["outcome_date"]) == ("convicted_sfo", "2027-02-27")


def test_an_outcome_that_is_not_a_conviction_stops_a_publication_under_way(sfo_definition, people):
    """A conviction quashed, or an outcome corrected by the court's feed, while the report is being prepared
    for publication: it must never be published, so the publication stops and the case closes unpublished."""
    case = _case(people, sfo_definition)
    case.to_conviction_check()
    case.court_outcome("convicted_sfo")
    case.do("anonymise_report")
    assert case.row.stage == "publication" and case.ready()
    case.court_outcome("acquitted")
    assert [o["court_outcome"] for o in case.row.data["court_outcomes"]] == ["convicted_sfo", "acquitted"]
    assert case.row.stage == "closure" and case.ready() == ["tag_themes"]
    assert not [t for t in instances.tasks_of(case.row, "ready") if t.stage == "publication"]
    case.finish()
    assert case.row.outcome == "Closed unpublished" and publication.published_for(case.row) is None


def test_a_later_conviction_during_publication_changes_nothing_and_a_closed_case_refuses_more(sfo_definition, people):
    case = _case(people, sfo_definition)
    case.to_conviction_check()
    case.court_outcome("convicted_sfo")
    ready = case.ready()
    case.court_outcome("convicted_sfo", convicted_offence="manslaughter")  # recorded; publication goes on
    assert case.ready() == ready and case.row.stage == "publication"
    case.finish(publish_approved=True, publication_date="2027-03-01")
    assert case.row.outcome == "Published"
    with pytest.raises(Conflict, match="closed"):
        case.court_outcome("convicted_sfo")


def test_an_outcome_before_the_case_is_eligible_is_refused_and_changes_nothing(sfo_definition, people):
    case = _case(people, sfo_definition)
    before = _unchanged(case.row)
    with pytest.raises(Conflict) as refused:
        case.court_outcome("convicted_sfo")
    assert "SFO-2027-001" in refused.value.message and "eligibility" in refused.value.message
    assert _unchanged(case.row) == before
    with pytest.raises(NotFound):
        messages.deliver_message(
            people.team, "court-outcome", "NO-SUCH-CASE", {"court_outcome": "acquitted", "outcome_date": "2027-02-26"}
        )


def test_an_outcome_for_a_case_found_not_eligible_is_refused(sfo_definition, people):
    case = _case(people, sfo_definition)
    case.do("confirm_eligibility", eligible=False, eligibility_rationale="Not under supervision.")
    before = _unchanged(case.row)
    with pytest.raises(Conflict, match="closed"):
        case.court_outcome("convicted_sfo")
    assert _unchanged(case.row) == before


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"court_outcome": "Convicted SFO", "outcome_date": "2027-02-26"}, {"data.court_outcome"}),
        ({"court_outcome": "convicted_sfo", "outcome_date": "2027-02-26", "verdict": "guilty"}, {"data.verdict"}),
        ({"court_outcome": "convicted_sfo"}, {"data.outcome_date"}),
        ({"court_outcome": "convicted_sfo", "outcome_date": "26/02/2027"}, {"data.outcome_date"}),
        ({"court_outcome": "convicted_sfo", "outcome_date": "20270226"}, {"data.outcome_date"}),  # ISO, not a date
        ({"court_outcome": "convicted_sfo", "outcome_date": "2027-W08-5"}, {"data.outcome_date"}),  # a week date
        ({"court_outcome": "convicted_sfo", "outcome_date": "2027-03-02"}, {"data.outcome_date"}),  # the future
        ({"court_outcome": ["convicted_sfo"], "outcome_date": "2027-02-26"}, {"data.court_outcome"}),
        (
            {"outcome_date": "2027-02-26", "convicted_offence": "x" * 301},
            {"data.court_outcome", "data.convicted_offence"},
        ),
    ],
)
def test_an_unknown_outcome_value_or_key_is_refused_and_changes_nothing(sfo_definition, people, payload, fields):
    case = SfoCase(people, sfo_definition)
    case.to_stage("drafting")
    before = _unchanged(case.row)
    with pytest.raises(Invalid) as refused:
        messages.deliver_message(people.team, "court-outcome", case.row.business_key, payload)
    assert set(refused.value.fields) == fields
    assert _unchanged(case.row) == before
    assert "court_outcomes" not in case.row.data


def test_charged_with_murder_convicted_of_manslaughter_is_published(sfo_definition, people):
    case = _case(people, sfo_definition, offence_category="murder", offence_description="Murder of a neighbour")
    case.to_conviction_check()
    case.court_outcome("convicted_sfo", convicted_offence="Manslaughter")
    assert case.row.stage == "publication" and case.row.data["convicted_offence"] == "Manslaughter"
    case.finish(publish_approved=True, publication_date="2027-03-01")
    assert case.row.outcome == "Published"


def test_convicted_only_of_an_offence_that_is_not_an_sfo_closes_unpublished(sfo_definition, people):
    case = _case(people, sfo_definition, offence_category="murder")
    case.to_conviction_check()
    case.court_outcome("convicted_other", convicted_offence="Affray")
    assert case.ready() == ["tag_themes"]
    case.finish()
    assert case.row.outcome == "Closed unpublished"


def test_the_chase_form_offers_the_outcome_values_of_the_message(sfo_definition, people):
    from app.services.definitions import model_of

    form = model_of(sfo_definition).forms["chase_court_outcome.schema.json"]
    values = [option["const"] for option in form["properties"]["court_outcome"]["oneOf"]]
    assert (
        values
        == list(messages.COURT_OUTCOMES)
        == ["convicted_sfo", "convicted_other", "acquitted", "discontinued", "other"]
    )
    assert "another qualifying offence" in form["properties"]["court_outcome"]["oneOf"][0]["title"]


def test_charged_with_murder_and_the_team_records_manslaughter_on_the_chase_form(sfo_definition, people, clock):
    case = _case(people, sfo_definition, offence_category="murder")
    case.to_conviction_check()
    clock.set(dt.datetime(2027, 6, 2, 9, tzinfo=dt.UTC))
    fire_due_timers()
    case.do("chase_court_outcome", outcome_known=True, court_outcome="convicted_sfo", convicted_offence="Manslaughter")
    assert case.row.stage == "publication"


# --- reopening ------------------------------------------------------------------------------------------


def _chased_eight_times(case, clock):
    """At the conviction check, the court outcome chased every three months for two years, in vain."""
    case.to_conviction_check()
    moment = dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC)
    for _ in range(8):
        moment += dt.timedelta(days=93)
        clock.set(moment)
        fire_due_timers()
        case.do("chase_court_outcome", outcome_known=False)


def _closed_unpublished_after_the_long_wait(case, clock):
    _chased_eight_times(case, clock)
    case.do("review_long_wait", long_wait_decision="close_unpublished", long_wait_rationale="Two years on.")
    case.finish()
    assert (case.row.status, case.row.outcome) == ("completed", "Closed unpublished")


def test_a_conviction_after_closing_unpublished_after_the_long_wait_reopens_publication(sfo_definition, people, clock):
    case = _case(people, sfo_definition)
    _closed_unpublished_after_the_long_wait(case, clock)
    row_id, tasks_before = case.row.id, case.ready(managers=True)
    case.court_outcome("convicted_sfo")
    assert (case.row.id, case.row.business_key, case.row.status) == (row_id, "SFO-2027-001", "running")
    assert case.row.outcome is None and case.row.stage == "publication"
    assert {"anonymise_report", "provide_progress_summary"} <= set(case.ready()) and tasks_before == []
    [reopened] = _events(case.row, "publication-reopened")
    assert reopened.detail["previous_outcome"] == "Closed unpublished"
    case.finish(publish_approved=True, publication_date="2027-03-01")
    assert (case.row.status, case.row.outcome) == ("completed", "Published")
    tagged = [t for t in instances.tasks_of(case.row, "completed") if t.bpmn_id == "tag_themes"]
    assert len(tagged) == 1  # the themes are tagged once


def test_an_outcome_while_a_manager_decides_on_the_long_wait_is_used_at_once(sfo_definition, people, clock):
    case = _case(people, sfo_definition)
    _chased_eight_times(case, clock)
    assert case.ready(managers=True) == ["review_long_wait"]
    case.court_outcome("convicted_sfo")  # before the manager has decided whether to keep waiting
    assert case.row.stage == "publication" and "review_long_wait" not in case.ready(managers=True)
    assert case.row.data["court_outcome"] == "convicted_sfo"


def test_an_overturned_outcome_reopens_publication_and_other_outcomes_do_not(sfo_definition, people):
    case = _case(people, sfo_definition)
    case.to_conviction_check()
    case.court_outcome("acquitted")
    case.finish()
    assert case.row.outcome == "Closed unpublished"
    before = _unchanged(case.row)
    for outcome in ("acquitted", "convicted_other", "discontinued"):
        with pytest.raises(Conflict, match="closed"):
            case.court_outcome(outcome)
    assert _unchanged(case.row) == before
    case.court_outcome("convicted_sfo")  # a retrial, say
    assert case.row.stage == "publication"
    case.finish(publish_approved=True, publication_date="2027-03-01")
    assert case.row.outcome == "Published"


def test_a_conviction_while_the_case_is_closing_goes_to_publication(sfo_definition, people):
    case = _case(people, sfo_definition)
    case.to_conviction_check()
    case.court_outcome("acquitted")
    assert case.ready() == ["tag_themes"]
    case.court_outcome("convicted_sfo")  # before the team has tagged the themes
    case.do("tag_themes")
    assert (case.row.status, case.row.stage) == ("running", "publication")
    case.finish(publish_approved=True, publication_date="2027-03-01")
    assert case.row.outcome == "Published"


def test_a_manager_reopens_publication_with_a_reason(sfo_definition, people):
    case = _case(people, sfo_definition)
    case.to_conviction_check()
    case.court_outcome("acquitted")
    case.finish()
    with pytest.raises(Forbidden):
        messages.reopen_publication(people.team, case.row.id, dt.date(2027, 2, 26), "Retrial")
    with pytest.raises(Invalid) as refused:
        messages.reopen_publication(people.manager, case.row.id, dt.date(2027, 3, 5), " ")
    assert set(refused.value.fields) == {"outcome_date", "reason"}
    assert case.row.status == "completed"
    messages.reopen_publication(people.manager, case.row.id, dt.date(2027, 2, 26), "Convicted at the retrial")
    assert (case.row.status, case.row.stage, case.row.outcome) == ("running", "publication", None)
    [requested] = _events(case.row, "reopen-requested")
    assert requested.actor == people.manager.username and requested.detail["reason"] == "Convicted at the retrial"
    assert case.row.data["court_outcomes"][-1]["recorded_by"] == people.manager.username
    case.finish(publish_approved=True, publication_date="2027-03-01")
    assert case.row.outcome == "Published"
    with pytest.raises(Conflict):
        messages.reopen_publication(people.manager, case.row.id, dt.date(2027, 2, 26), "Again")


def test_a_suspended_case_refuses_the_outcome_until_it_is_resumed(sfo_definition, people):
    case = SfoCase(people, sfo_definition)
    case.to_stage("drafting")
    instances.suspend_instance(people.manager, case.row.id, "Court order")
    before = _unchanged(case.row)
    with pytest.raises(Conflict, match="suspended"):
        case.court_outcome("convicted_sfo")
    assert _unchanged(case.row) == before
    instances.resume_instance(people.manager, case.row.id)
    case.court_outcome("convicted_sfo")
    assert [o["court_outcome"] for o in case.row.data["court_outcomes"]] == ["convicted_sfo"]
