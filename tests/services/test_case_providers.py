"""A case supervised by more than one provider (a transfer between organisations): each named provider's
users see the case, the report is sent to each, and each answers only the recommendations addressed to
it. A case with one provider behaves as before."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import CaseProvider, OutboxMessage, RecommendationRecord
from app.services import instances, tasks, tracking
from app.services.case_providers import providers_of, sync_case_providers
from app.services.errors import Forbidden, Invalid, NotFound
from app.services.monitoring import case_list
from app.services.outbox import _addresses
from app.services.runtime import now
from tests.conftest import make_user
from tests.sfo_case import SfoCase

NORTH, SOUTH = "north-probation", "south-probation"
RECOMMENDATIONS = [
    {"text": "Review the transfer checklist", "addressee": "probation_provider", "level": "local", "provider": NORTH},
    {"text": "Brief staff on risk at transfer", "addressee": "probation_provider", "level": "local", "provider": SOUTH},
    {"text": "Update national transfer guidance", "addressee": "hmpps", "level": "national"},
]


@pytest.fixture(autouse=True)
def both_providers_known(people):
    """A notification may name only organisations the service knows: the second provider has a user."""
    people.other_provider


@pytest.fixture
def stranger(app):
    return make_user("provider", organisation="east-probation")


def _drafted(people, definition, reference="SFO-TWO-1", recommendations=RECOMMENDATIONS, **answers):
    case = SfoCase(people, definition, reference, **answers)
    case.to_stage("drafting")
    case.do("draft_report", recommendations=recommendations)
    case.do("quality_assure_report", qa_decision="approve")
    return case


def _response_tasks(case):
    return {t.organisation: t for t in instances.tasks_of(case.row, "ready") if t.bpmn_id == "record_provider_response"}


def _answer(task, user, numbers):
    rows = [
        {
            "recommendation": n,
            "response": "accept",
            "action": f"Action on {n}",
            "owner": "Head of quality",
            "target_date": "2027-06-30",
        }
        for n in numbers
    ]
    return tasks.complete_task(user, task.id, {"responses": rows})


def test_the_notification_names_several_providers_and_each_sees_the_case(people, sfo_definition, stranger):
    case = SfoCase(people, sfo_definition, "SFO-TWO-1", other_providers=[SOUTH])
    # Until the SFO team has read the notification and confirmed the case, only its notifier sees it: a
    # provider named by mistake sees nothing of the person.
    assert providers_of(case.row) == [NORTH]
    with pytest.raises(NotFound):
        instances.get_instance(people.other_provider, case.row.id)
    case.to_stage("scoping")
    kept = db.session.scalars(select(CaseProvider).where(CaseProvider.instance_id == case.row.id)).all()
    assert {(p.organisation, p.is_primary) for p in kept} == {(NORTH, True), (SOUTH, False)}
    for user in (people.provider, people.other_provider):
        assert instances.get_instance(user, case.row.id).id == case.row.id
        assert instances.get_instance_by_key(user, "SFO-TWO-1").id == case.row.id
        assert [r.id for r in instances.list_instances(user, instances.InstanceFilters())[0]] == [case.row.id]
    with pytest.raises(NotFound):
        instances.get_instance(stranger, case.row.id)
    with pytest.raises(NotFound):
        instances.get_instance_by_key(stranger, "SFO-TWO-1")
    assert instances.list_instances(stranger, instances.InstanceFilters())[0] == []


def test_each_provider_answers_only_the_recommendations_addressed_to_it(people, sfo_definition, stranger):
    case = _drafted(people, sfo_definition, other_providers=[SOUTH])
    by_org = _response_tasks(case)
    assert set(by_org) == {NORTH, SOUTH}
    assert by_org[NORTH].name == f"Respond to the recommendations: {NORTH}"
    # the recommendation for HMPPS goes to the provider that notified the case
    assert [r["recommendation"] for r in tasks.prefill_of(by_org[NORTH])["responses"]] == [1, 3]
    assert [r["recommendation"] for r in tasks.prefill_of(by_org[SOUTH])["responses"]] == [2]

    # each provider sees its own task, not the other's; a third organisation sees neither
    assert tasks.get_task(people.other_provider, by_org[SOUTH].id).id == by_org[SOUTH].id
    for user, task in ((people.other_provider, by_org[NORTH]), (people.provider, by_org[SOUTH])):
        with pytest.raises(NotFound):
            tasks.get_task(user, task.id)
        with pytest.raises(NotFound):
            _answer(task, user, [1, 3] if task is by_org[NORTH] else [2])
    for task in by_org.values():
        with pytest.raises(NotFound):
            tasks.get_task(stranger, task.id)
    own = tasks.list_tasks(people.other_provider, tasks.TaskFilters(state="ready"))[0]
    assert [t.id for t in own] == [by_org[SOUTH].id]

    # a provider cannot answer rows that are not its own: the rows are fixed
    with pytest.raises(Invalid):
        _answer(by_org[SOUTH], people.other_provider, [1, 2, 3])
    assert _response_tasks(case)[SOUTH].state == "ready"

    _answer(by_org[SOUTH], people.other_provider, [2])
    assert case.row.stage == "provider-response"  # still waiting for the other provider
    _answer(by_org[NORTH], people.provider, [1, 3])
    assert case.row.stage == "conviction-check"
    responses = case.row.data["responses"]
    assert [(r["recommendation"], r["response"], r["action"]) for r in responses] == [
        (1, "accept", "Action on 1"),
        (2, "accept", "Action on 2"),
        (3, "accept", "Action on 3"),
    ]
    records = db.session.scalars(
        select(RecommendationRecord).where(RecommendationRecord.instance_id == case.row.id)
    ).all()
    assert {r.number: r.provider_org for r in records} == {1: NORTH, 2: SOUTH, 3: NORTH}


def test_the_report_is_sent_to_each_provider(people, sfo_definition):
    south_colleague = make_user("provider", organisation=SOUTH)
    case = _drafted(people, sfo_definition, other_providers=[SOUTH])
    by_org = _response_tasks(case)
    notices = {
        m.task_id: _addresses(m)
        for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.instance_id == case.row.id))
        if m.task_id in {t.id for t in by_org.values()}
    }
    assert notices[by_org[NORTH].id] == [people.provider.email]
    assert notices[by_org[SOUTH].id] == sorted([people.other_provider.email, south_colleague.email])


def test_each_provider_tracks_only_its_own_recommendations(people, sfo_definition):
    case = _drafted(people, sfo_definition, "SFO-TWO-2", other_providers=[SOUTH])
    by_org = _response_tasks(case)
    _answer(by_org[SOUTH], people.other_provider, [2])
    _answer(by_org[NORTH], people.provider, [1, 3])
    tracking.track(people.other_provider, case.row, 2, "in_progress", "Briefings booked", "")
    tracking.track(people.provider, case.row, 1, "in_progress", "Checklist drafted", "")
    for user, number in ((people.other_provider, 1), (people.provider, 2)):
        with pytest.raises(Forbidden):
            tracking.track(user, case.row, number, "in_progress", "Not mine", "")
    assert [t.number for t in tracking.recommendations_of_case(people.other_provider, case.row, now().date())] == [
        1,
        2,
        3,
    ]
    inspection = tracking.inspection(people.manager, SOUTH, now().date())
    assert [(t.reference, t.number) for t in inspection] == [("SFO-TWO-2", 2)]


def test_monitoring_finds_the_case_under_each_provider(people, sfo_definition):
    case = SfoCase(people, sfo_definition, "SFO-TWO-3", other_providers=[SOUTH])
    case.to_stage("scoping")
    SfoCase(people, sfo_definition, "SFO-ONE-3")
    for provider, expected in ((SOUTH, ["SFO-TWO-3"]), (NORTH, ["SFO-ONE-3", "SFO-TWO-3"])):
        found = case_list.list_cases(people.manager, case_list.CaseFilters(provider=provider), now().date())
        assert sorted(r.reference for r in found.rows) == expected
    assert {NORTH, SOUTH} <= set(case_list.filter_options().providers)
    assert case.row.provider_org == NORTH


def test_a_case_with_one_provider_is_answered_as_before(people, sfo_definition):
    with_provider = SfoCase(people, sfo_definition, "SFO-ONE-2")
    with_provider.to_stage("drafting")
    with pytest.raises(Invalid):  # only a case with several providers has any to choose from
        with_provider.do("draft_report", recommendations=RECOMMENDATIONS[:1])
    unnamed = [{k: v for k, v in item.items() if k != "provider"} for item in RECOMMENDATIONS]
    case = _drafted(people, sfo_definition, "SFO-ONE-1", recommendations=unnamed)
    [task] = [t for t in instances.tasks_of(case.row, "ready") if t.bpmn_id == "record_provider_response"]
    assert (task.name, task.organisation) == ("Respond to the recommendations", NORTH)
    assert [r["recommendation"] for r in tasks.prefill_of(task)["responses"]] == [1, 2, 3]
    with pytest.raises(NotFound):
        instances.get_instance(people.other_provider, case.row.id)
    _answer(task, people.provider, [1, 2, 3])
    assert case.row.stage == "conviction-check"
    assert [r["recommendation"] for r in case.row.data["responses"]] == [1, 2, 3]
    records = db.session.scalars(
        select(RecommendationRecord).where(RecommendationRecord.instance_id == case.row.id)
    ).all()
    assert {r.provider_org for r in records} == {NORTH}


def test_a_recommendation_cannot_name_a_provider_the_case_does_not_have(people, sfo_definition):
    case = SfoCase(people, sfo_definition, "SFO-TWO-4", other_providers=[SOUTH])
    case.to_stage("drafting")
    wrong = [dict(RECOMMENDATIONS[0], provider="east-probation")]
    with pytest.raises(Invalid):
        case.do("draft_report", recommendations=wrong)
    assert case.task("draft_report").state == "ready"


def test_the_rows_follow_a_change_of_providers(people, sfo_definition):
    """A corrected notification (a provider removed, another added, the primary changed) changes the rows,
    and with them who sees the case."""
    west = make_user("provider", organisation="west-probation")
    case = SfoCase(people, sfo_definition, "SFO-TWO-5", other_providers=[SOUTH])
    case.to_stage("scoping")
    row = case.row
    sync_case_providers(row, dict(row.data, provider_org=SOUTH, other_providers=["west-probation", NORTH]))
    row.data = dict(row.data, provider_org=SOUTH, other_providers=["west-probation", NORTH])
    row.provider_org = SOUTH
    db.session.flush()
    kept = db.session.scalars(select(CaseProvider).where(CaseProvider.instance_id == row.id)).all()
    assert {(p.organisation, p.is_primary) for p in kept} == {(SOUTH, True), ("west-probation", False), (NORTH, False)}
    sync_case_providers(row, dict(row.data, other_providers=[]))
    db.session.flush()
    assert providers_of(row) == [SOUTH]
    assert instances.get_instance(people.other_provider, row.id).id == row.id
    for user in (people.provider, west):
        with pytest.raises(NotFound):
            instances.get_instance(user, row.id)


@pytest.mark.parametrize(
    ("named", "message"),
    [
        (["west-probation"], "west-probation is not a probation provider this service knows"),
        ([NORTH], "north-probation is the provider notifying the case"),
    ],
)
def test_a_provider_the_service_does_not_know_is_refused_at_notification(people, sfo_definition, named, message):
    with pytest.raises(Invalid) as refused:
        SfoCase(people, sfo_definition, "SFO-TWO-9", other_providers=named)
    assert message in refused.value.fields["other_providers"][0]
    assert instances.list_instances(people.manager, instances.InstanceFilters())[0] == []
