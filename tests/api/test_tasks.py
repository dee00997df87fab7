"""Tasks: inbox filters, the task with its form, claiming and assigning, drafts, and completion."""

from __future__ import annotations

import datetime as dt

import pytest

from app.services.definitions import deploy_files
from tests.api import variants
from tests.conftest import make_user

NORTH = {"provider_org": "north-probation"}


@pytest.fixture
def case(api, people, small_definition):
    return api.start("small", "SFO-1", NORTH, as_user=people.provider)


@pytest.fixture
def triage(case, people):
    return case.task("triage", as_user=people.team)


# --- list ---


def test_list_filters(api, people, small_definition, clock):
    one = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    two = api.start("small", "SFO-2", NORTH, as_user=people.provider)
    three = api.start("small", "SFO-3", NORTH, as_user=people.provider)
    team = people.team
    api.post(f"/tasks/{two.task('triage', as_user=team)['id']}/claim", team)
    three.complete("triage", {"eligible": False}, as_user=people.other_team)

    def keys(**filters):
        return sorted(task["business_key"] for task in api.tasks(team, **filters))

    assert keys() == ["SFO-1", "SFO-2"]
    assert keys(assignee="me") == ["SFO-2"]
    assert keys(candidate="me") == ["SFO-1"]
    assert keys(state="completed") == ["SFO-3"]
    assert keys(business_key="SFO-1") == ["SFO-1"]
    assert keys(process_instance_id=two.id) == ["SFO-2"]
    assert keys(stage="eligibility") == ["SFO-1", "SFO-2"]
    assert keys(overdue="true") == []
    clock.set(dt.datetime(2027, 3, 4, 9, tzinfo=dt.UTC))
    assert keys(overdue="true") == ["SFO-1", "SFO-2"]
    assert [t["business_key"] for t in api.tasks(people.other_team, assignee="me", state="completed")] == ["SFO-3"]
    assert [t["business_key"] for t in api.tasks(team, process_instance_id=one.id)] == ["SFO-1"]


def test_list_pages(api, people, small_definition):
    for number in range(3):
        api.start("small", f"SFO-{number}", NORTH, as_user=people.provider)
    page = api.get("/tasks", people.team, per_page=2, page=2)
    assert (page["total"], page["page"], page["per_page"], len(page["items"])) == (3, 2, 2, 1)
    # a short page counts itself; a full page, an empty one past the end and an empty list are counted
    shown = {
        (per_page, number): (page["total"], len(page["items"]))
        for per_page, number in [(3, 1), (4, 1), (1, 3), (2, 3), (5, 2)]
        for page in [api.get("/tasks", people.team, per_page=per_page, page=number)]
    }
    assert shown == {(3, 1): (3, 3), (4, 1): (3, 3), (1, 3): (3, 1), (2, 3): (3, 0), (5, 2): (3, 0)}
    assert api.get("/tasks", people.team, assignee="me")["total"] == 0


def test_providers_do_not_see_other_teams_tasks(api, people, case):
    assert api.tasks(people.provider) == []
    assert api.tasks(people.other_provider) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"state": "cancelled-ish"}, "state"),
        ({"candidate": "bob"}, "candidate"),
        ({"process_instance_id": "one"}, "process_instance_id"),
        ({"sort": "due"}, "sort"),
    ],
)
def test_list_refuses_bad_filters(api, people, small_definition, query, field):
    assert list(api.get("/tasks", people.team, expect=422, **query)["error"]["fields"]) == [field]


# --- detail ---


def test_detail_has_form_documentation_prefill_and_draft(api, people, case, triage):
    task = api.get(f"/tasks/{triage['id']}", people.team)
    assert (task["id"], task["name"], task["bpmn_id"], task["lane"]) == (
        triage["id"],
        "Triage the case",
        "triage",
        "sfo-team",
    )
    assert (task["process_instance_id"], task["business_key"]) == (case.id, "SFO-1")
    assert (task["assignee"], task["candidate_groups"], task["due_at"], task["state"]) == (
        None,
        ["sfo-team"],
        "2027-03-03",
        "ready",
    )
    assert task["form"]["schema"]["properties"]["eligible"]["type"] == "boolean"
    assert task["form"]["ui_schema"] == {}
    assert task["documentation"] == "Decide whether this is an SFO."
    assert task["data"] == {} and task["draft"] is None


def test_another_organisations_task_is_not_found(api, people, triage):
    for method, path, body in (
        ("GET", "", None),
        ("POST", "/claim", None),
        ("POST", "/complete", {"data": {"eligible": True}}),
    ):
        response = api.call(method, f"/tasks/{triage['id']}{path}", people.other_provider, json=body, expect=404)
        assert response.get_json()["error"]["code"] == "not_found"


def test_unknown_task_is_not_found(api, people, small_definition):
    api.get("/tasks/no-such-task", people.team, expect=404)


# --- claim, unclaim, assign ---


def test_claim_and_unclaim(api, people, triage):
    claimed = api.post(f"/tasks/{triage['id']}/claim", people.team)
    assert claimed["assignee"] == people.team.username
    assert api.post(f"/tasks/{triage['id']}/claim", people.team)["assignee"] == people.team.username  # idempotent
    assert api.post(f"/tasks/{triage['id']}/claim", people.other_team, expect=409)["error"]["code"] == "conflict"
    api.post(f"/tasks/{triage['id']}/unclaim", people.other_team, expect=403)
    assert api.post(f"/tasks/{triage['id']}/unclaim", people.team)["assignee"] is None


def test_claim_of_another_teams_task_is_forbidden(api, people, triage):
    api.post(f"/tasks/{triage['id']}/claim", people.manager, expect=403)


def test_managers_assign(api, people, triage):
    assigned = api.post(f"/tasks/{triage['id']}/assign", people.manager, {"username": people.other_team.username})
    assert assigned["assignee"] == people.other_team.username
    assert api.tasks(people.other_team, assignee="me")[0]["id"] == triage["id"]
    api.post(f"/tasks/{triage['id']}/assign", people.team, {"username": people.team.username}, expect=403)
    fields = api.post(f"/tasks/{triage['id']}/assign", people.manager, {"username": "nobody"}, expect=422)["error"][
        "fields"
    ]
    assert "username" in fields
    api.post(f"/tasks/{triage['id']}/assign", people.manager, {"username": people.provider.username}, expect=422)
    assert "username" in api.post(f"/tasks/{triage['id']}/assign", people.manager, {}, expect=422)["error"]["fields"]


def test_a_team_task_is_never_assigned_to_a_provider_user_in_that_team_group(api, people, triage):
    """A provider user's account may carry other groups, but it never sees another team's tasks, nor
    another organisation's cases: a manager cannot give it one (it could neither open nor do it)."""
    south_in_team = make_user("provider", organisation="south-probation", groups=("sfo-team",))
    fields = api.post(f"/tasks/{triage['id']}/assign", people.manager, {"username": south_in_team.username}, expect=422)
    assert "username" in fields["error"]["fields"]
    assert api.get(f"/tasks/{triage['id']}", people.manager)["assignee"] is None


# --- drafts ---


def test_draft_is_kept_for_the_assignee(api, people, triage):
    api.put(f"/tasks/{triage['id']}/draft", people.team, {"data": {"eligible": True}}, expect=403)  # not picked up yet
    api.post(f"/tasks/{triage['id']}/claim", people.team)
    saved = api.put(f"/tasks/{triage['id']}/draft", people.team, {"data": {"eligible": True}})
    assert saved["data"] == {"eligible": True} and saved["task_id"] == triage["id"]
    api.put(f"/tasks/{triage['id']}/draft", people.team, {"data": {}})
    assert api.get(f"/tasks/{triage['id']}", people.team)["draft"] == {}  # replaced whole
    assert api.get(f"/tasks/{triage['id']}", people.other_team)["draft"] is None
    api.put(f"/tasks/{triage['id']}/draft", people.other_team, {"data": {"eligible": False}}, expect=403)


def test_draft_needs_data(api, people, triage):
    api.post(f"/tasks/{triage['id']}/claim", people.team)
    assert api.put(f"/tasks/{triage['id']}/draft", people.team, {}, expect=422)["error"]["fields"] == {
        "data": ["Missing data for required field."]
    }


# --- complete ---


def test_complete_returns_the_case_and_the_next_ready_tasks(api, people, small_definition, clock):
    from app.services.timers import fire_due_timers

    case = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    clock.set(dt.datetime(2027, 3, 4, 0, 30, tzinfo=dt.UTC))
    fire_due_timers()
    fire_due_timers()  # the reminder, then the escalation to a manager
    done = case.complete("triage", {"eligible": True}, as_user=people.team)
    assert (done["id"], done["status"], done["stage"]) == (case.id, "running", "conviction-check")
    assert [t["bpmn_id"] for t in done["ready_tasks"]] == ["escalate"]
    assert done["data"]["eligible"] is True
    assert [t["bpmn_id"] for t in done["completed_tasks"]] == ["triage"]


def test_invalid_form_data_changes_nothing(api, people, case, triage):
    before = case.refresh(as_user=people.team)
    error = api.post(
        f"/tasks/{triage['id']}/complete", people.team, {"data": {"eligible": "maybe", "extra": 1}}, expect=422
    )["error"]
    assert error["code"] == "validation_failed"
    assert set(error["fields"]) == {"eligible", "extra"}
    assert all(isinstance(message, str) for messages in error["fields"].values() for message in messages)
    assert api.get(f"/tasks/{triage['id']}", people.team)["state"] == "ready"
    after = case.refresh(as_user=people.team)
    assert (after["version"], after["status"], after["data"]) == (before["version"], before["status"], before["data"])


def test_missing_required_answer_is_named(api, people, triage):
    fields = api.post(f"/tasks/{triage['id']}/complete", people.team, {"data": {}}, expect=422)["error"]["fields"]
    assert list(fields) == ["eligible"] and len(fields["eligible"]) == 1


def test_completing_twice_is_a_conflict(api, people, triage):
    api.post(f"/tasks/{triage['id']}/complete", people.team, {"data": {"eligible": False}})
    error = api.post(f"/tasks/{triage['id']}/complete", people.team, {"data": {"eligible": False}}, expect=409)["error"]
    assert error["code"] == "conflict"


def test_completing_a_task_assigned_to_someone_else_is_forbidden(api, people, triage):
    api.post(f"/tasks/{triage['id']}/claim", people.team)
    api.post(f"/tasks/{triage['id']}/complete", people.other_team, {"data": {"eligible": True}}, expect=403)
    assert api.get(f"/tasks/{triage['id']}", people.team)["state"] == "ready"


def test_a_reviewer_cannot_complete_another_reviewers_task(api, people, small_definition):
    deploy_files(variants.triage_by_reviewer(), "system")
    data = {**NORTH, "reviewer": people.reviewer.username}
    case = api.start("small_review", "SFO-9", data, as_user=people.provider)
    task = case.task("triage", as_user=people.reviewer)
    assert task["assignee"] == people.reviewer.username
    api.post(f"/tasks/{task['id']}/complete", people.other_reviewer, {"data": {"eligible": True}}, expect=403)
    assert api.get(f"/tasks/{task['id']}", people.reviewer)["state"] == "ready"
    done = case.complete("triage", {"eligible": True}, as_user=people.reviewer)
    assert done["status"] == "waiting"


def test_complete_needs_a_data_object(api, people, triage):
    fields = api.post(f"/tasks/{triage['id']}/complete", people.team, {"data": "yes"}, expect=422)["error"]["fields"]
    assert list(fields) == ["data"]
