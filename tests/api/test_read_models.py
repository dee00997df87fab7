"""The read models the pages and the API both render: what one caller is shown of a task or a case."""

from __future__ import annotations

from app.services.read_models import case_view, task_view
from tests.api.test_case_providers_api import NORTH, RECOMMENDATIONS, SOUTH, _rows, _sent


def test_each_provider_is_shown_its_own_response_and_not_the_other_providers(api, people, sfo_definition):
    case = _sent(api, people, sfo_definition, "SFO-VIEW-A", RECOMMENDATIONS, other_providers=[SOUTH])
    [north_task] = case.ready_tasks(as_user=people.provider)
    [south_task] = case.ready_tasks(as_user=people.other_provider)
    api.post(f"/tasks/{south_task['id']}/complete", people.other_provider, {"data": {"responses": _rows(1)}})
    api.post(f"/tasks/{north_task['id']}/complete", people.provider, {"data": {"responses": _rows(1)}})

    for user, own, other in ((people.provider, NORTH, SOUTH), (people.other_provider, SOUTH, NORTH)):
        view = case_view(user, "SFO-VIEW-A")
        shown = [step.task.name for step in view.completed_steps]
        assert f"Respond to the recommendations: {own}" in shown
        assert f"Respond to the recommendations: {other}" not in shown
        assert all(step.task.lane == "provider" for step in view.completed_steps)
        # the API's answer lists the same completed tasks as the case page's records
        answered = api.get(f"/process-instances/{case.id}", user)["completed_tasks"]
        assert [task["name"] for task in answered] == [task.name for task in view.completed_tasks]

    managed = [step.task.name for step in case_view(people.manager, "SFO-VIEW-A").completed_steps]
    assert {f"Respond to the recommendations: {NORTH}", f"Respond to the recommendations: {SOUTH}"} <= set(managed)


def test_a_task_view_shows_what_was_posted_over_the_draft_over_the_starting_values(api, people, sfo_definition):
    unnamed = [{k: v for k, v in RECOMMENDATIONS[0].items() if k != "provider"}]
    case = _sent(api, people, sfo_definition, "SFO-VIEW-B", unnamed)
    [task] = case.ready_tasks(as_user=people.provider)
    draft = {"responses": _rows(1)}
    api.post(f"/tasks/{task['id']}/claim", people.provider)
    api.put(f"/tasks/{task['id']}/draft", people.provider, {"data": draft})

    view = task_view(people.provider, task["id"])
    assert view.draft_saved_at is not None and view.may_work
    assert view.draft["responses"][0]["owner"] == "Head of PDU"
    assert view.shown_values()["responses"][0]["owner"] == "Head of PDU"
    posted = {"responses": [{**_rows(1)[0], "owner": "Chief officer"}]}
    assert view.shown_values(posted)["responses"][0]["owner"] == "Chief officer"
    assert view.prefill["responses"][0]["recommendation"] == 1  # the row the process set is read-only

    fresh = task_view(people.manager, task["id"])
    assert fresh.draft is None and fresh.draft_saved_at is None and not fresh.may_work


def test_a_task_list_s_lines_are_what_the_task_schema_dumps_of_each_task(api, people, sfo_definition):
    """The list's lines are written without marshmallow (``presenters.task_line``): they must stay what
    ``TaskSchema`` documents and dumps of the task itself, for every kind of line (ready or done, held or
    not, with a due date or without)."""
    from app.api.schemas import TaskSchema
    from app.extensions import db
    from app.models import Task

    case = _sent(api, people, sfo_definition, "SFO-VIEW-C", RECOMMENDATIONS, other_providers=[SOUTH])
    [task] = case.ready_tasks(as_user=people.provider)
    api.post(f"/tasks/{task['id']}/claim", people.provider)
    seen = []
    for user in (people.manager, people.provider, people.team):
        for query in (
            {"state": "ready"},
            {"state": "completed"},
            {"assignee": "me"},
            {"state": "completed", "business_key": "SFO-VIEW-C"},
            {"candidate": "me"},
        ):
            items = api.get("/tasks", user, per_page=100, **query)["items"]
            seen += items
            for item in items:
                assert item == TaskSchema().dump(db.session.get(Task, item["id"])), (user.role, query)
    kinds = {(i["state"], i["assignee"] is None, i["due_at"] is None, i["completed_at"] is None) for i in seen}
    assert {("ready", True, False, True), ("ready", False, False, True), ("completed", False, False, False)} <= kinds
