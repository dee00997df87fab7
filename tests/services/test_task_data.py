"""A ready task's data, kept per process by case version (app/services/task_data.py): what a task read shows
is the same whether the engine was loaded or not, and nothing read from uncommitted writes is kept."""

from __future__ import annotations

from typing import Any

import pytest

from app.extensions import db
from app.models import Task
from app.services import task_data, tasks
from app.services.task_data import task_values_over_case
from tests.api.helpers import ApiClient
from tests.people import People


@pytest.fixture
def ready_task(client: Any, small_definition: Any, people: People) -> tuple[ApiClient, People, str]:
    api = ApiClient(client)
    case = api.start("small", "SFO-DATA-1", {"provider_org": "north-probation"}, as_user=people.provider)
    return api, people, case.task("triage", as_user=people.team)["id"]


def _counting(data: dict[str, Any]) -> tuple[list[int], Any]:
    calls: list[int] = []

    def load() -> dict[str, Any]:
        calls.append(1)
        return dict(data)

    return calls, load


def test_a_task_read_again_shows_the_same_without_loading_the_engine(ready_task):
    api, people, task_id = ready_task
    task_data.forget_all()
    first = api.get(f"/tasks/{task_id}", people.team)
    again = api.get(f"/tasks/{task_id}", people.team)
    assert again == first
    task = db.session.get(Task, task_id)
    calls, load = _counting({"never": "read"})
    task_values_over_case(task, load)
    assert calls == []  # kept from the first read


def test_a_changed_case_is_read_from_the_engine_again(ready_task):
    api, people, task_id = ready_task
    api.get(f"/tasks/{task_id}", people.team)
    task = db.session.get(Task, task_id)
    task.instance.data = {**(task.instance.data or {}), "note": "committed"}
    db.session.commit()  # a new lock version
    task = db.session.get(Task, task_id)
    calls, load = _counting({})
    task_values_over_case(task, load)
    assert calls == [1]


def test_what_a_session_read_after_its_own_flush_is_not_kept(ready_task):
    _, _, task_id = ready_task
    task_data.forget_all()
    task = db.session.get(Task, task_id)
    task.instance.data = {**(task.instance.data or {}), "note": "not committed"}
    db.session.flush()  # a new lock version that the rollback below undoes
    calls, load = _counting({"note": "not committed"})
    task_values_over_case(task, load)
    db.session.rollback()

    task = db.session.get(Task, task_id)
    task.instance.data = {**(task.instance.data or {}), "note": "committed"}
    db.session.commit()  # the same lock version as the rolled-back write, with other contents
    task = db.session.get(Task, task_id)
    calls, load = _counting({})
    task_values_over_case(task, load)
    assert calls == [1]  # nothing was kept from the rolled-back version


def test_a_row_changed_in_the_session_is_read_from_the_engine(ready_task):
    _, _, task_id = ready_task
    task = db.session.get(Task, task_id)
    task_values_over_case(task, _counting({})[1])  # kept for the committed version
    task.instance.data = {**(task.instance.data or {}), "note": "not flushed"}
    calls, load = _counting({})
    task_values_over_case(task, load)
    assert calls == [1]
    db.session.rollback()


def test_only_the_values_that_differ_from_the_case_are_kept_and_each_reader_gets_a_copy(ready_task):
    _, _, task_id = ready_task
    task_data.forget_all()
    task = db.session.get(Task, task_id)
    case_data = task.instance.data or {}
    own = {"rows": [{"a": 1}]}
    task_values_over_case(task, _counting({**case_data, **own})[1])
    kept = task_values_over_case(task, _counting({})[1])
    assert kept == own
    kept["rows"][0]["a"] = 2
    assert task_values_over_case(task, _counting({})[1]) == own


def test_the_prefill_is_the_same_from_the_engine_and_from_what_was_kept(ready_task):
    _, _, task_id = ready_task
    task_data.forget_all()
    from_engine = tasks.prefill_of(db.session.get(Task, task_id))
    db.session.expunge_all()
    assert tasks.prefill_of(db.session.get(Task, task_id)) == from_engine
