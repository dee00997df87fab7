"""Idempotency-Key on starting a case, completing a task and delivering a message: a retry with the
same key gets the first answer and does nothing twice; the same key for another request is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, IdempotencyKey, ProcessInstance
from app.services.idempotency import purge_expired_keys
from app.worker import run_once

NORTH = {"provider_org": "north-probation"}
START = {"process_key": "small", "business_key": "SFO-1", "data": NORTH}


def _post(api, path, user, body, key, expect):
    return api.call("POST", path, user, expect=expect, json=body, headers={"Idempotency-Key": key} if key else {})


def _events(kind: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == kind)) or 0


def test_starting_a_case_twice_with_one_key_starts_it_once_and_answers_the_same(api, people, small_definition):
    first = _post(api, "/process-instances", people.provider, START, "start-1", 201)
    again = _post(api, "/process-instances", people.provider, START, "start-1", 201)

    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert (first.headers.get("Idempotent-Replayed"), again.headers["Idempotent-Replayed"]) == (None, "true")
    assert db.session.scalar(select(func.count()).select_from(ProcessInstance)) == 1
    assert _events("started") == 1
    # Without the key the same request is a new request: here it clashes with the case it started.
    _post(api, "/process-instances", people.provider, START, None, 409)


def test_completing_a_task_twice_with_one_key_completes_it_once(api, people, small_definition):
    case = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    task = case.task("triage", as_user=people.team)
    path, body = f"/tasks/{task['id']}/complete", {"data": {"eligible": True}}

    first = _post(api, path, people.team, body, "complete-1", 200)
    again = _post(api, path, people.team, body, "complete-1", 200)

    assert again.get_json() == first.get_json() and first.get_json()["status"] == "waiting"
    assert _events("task-completed") == 1
    _post(api, path, people.team, body, "complete-2", 409)  # a new key is a new request: the task is done


def test_delivering_a_message_twice_with_one_key_delivers_it_once(api, people, small_definition):
    case = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    case.complete("triage", {"eligible": True}, as_user=people.team)
    body = {
        "name": "court-outcome",
        "business_key": "SFO-1",
        "data": {"court_outcome": "convicted_sfo", "outcome_date": "2027-03-01"},
    }

    first = _post(api, "/messages", people.team, body, "outcome-1", 200)
    again = _post(api, "/messages", people.team, body, "outcome-1", 200)

    assert again.get_json() == first.get_json() and first.get_json()["status"] == "completed"
    assert _events("message") == 1


def test_the_same_key_for_a_different_request_is_refused_and_changes_nothing(api, people, small_definition):
    _post(api, "/process-instances", people.provider, START, "reused", 201)
    other = {**START, "business_key": "SFO-2"}

    error = _post(api, "/process-instances", people.provider, other, "reused", 422).get_json()["error"]

    assert error["code"] == "validation_failed" and "different request" in error["message"]
    assert list(error["fields"]) == ["Idempotency-Key"]
    assert db.session.scalars(select(ProcessInstance.business_key)).all() == ["SFO-1"]
    # The same body on another path is another request too.
    case_id = db.session.scalar(select(ProcessInstance.id))
    api.call(
        "POST",
        f"/process-instances/{case_id}/cancel",
        people.manager,
        json={"reason": "x"},
        headers={"Idempotency-Key": "reused"},
        expect=200,
    )  # cancel takes no key: the header is ignored
    _post(api, "/messages", people.provider, START, "reused", 422)


def test_keys_belong_to_their_caller(api, people, small_definition):
    first = _post(api, "/process-instances", people.provider, START, "shared-key", 201)
    second_user = api.call(
        "POST",
        "/process-instances",
        people.other_provider,
        json={**START, "business_key": "SFO-9", "data": {"provider_org": "south-probation"}},
        headers={"Idempotency-Key": "shared-key"},
        expect=201,
    )
    assert second_user.get_json()["id"] != first.get_json()["id"]


def test_a_json_body_is_compared_by_content_not_by_spacing(api, people, small_definition):
    headers = {"Idempotency-Key": "spacing", "Content-Type": "application/json"}
    compact = '{"process_key":"small","business_key":"SFO-1","data":{"provider_org":"north-probation"}}'
    spaced = '{ "data": {"provider_org": "north-probation"},  "business_key": "SFO-1", "process_key": "small" }'
    first = api.call("POST", "/process-instances", people.provider, data=compact, headers=headers, expect=201)
    again = api.call("POST", "/process-instances", people.provider, data=spaced, headers=headers, expect=201)
    assert again.get_json() == first.get_json()


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "tab\tinside"])
def test_an_unusable_key_is_refused_before_anything_is_done(api, people, small_definition, key):
    response = api.call(
        "POST", "/process-instances", people.provider, json=START, headers={"Idempotency-Key": key}, expect=None
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert list(response.get_json()["error"]["fields"]) == ["Idempotency-Key"]
    assert db.session.scalar(select(func.count()).select_from(ProcessInstance)) == 0


def test_an_error_answer_is_not_kept_so_the_retry_is_carried_out(api, people, small_definition):
    case = api.start("small", "SFO-1", NORTH, as_user=people.provider)
    task = case.task("triage", as_user=people.team)
    path = f"/tasks/{task['id']}/complete"

    _post(api, path, people.team, {"data": {"eligible": "perhaps"}}, "fix-and-retry", 422)
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
    _post(api, path, people.team, {"data": {"eligible": True}}, "fix-and-retry", 200)
    assert _events("task-completed") == 1


def test_keys_expire_after_a_day_and_the_worker_purges_them(app, api, people, small_definition, clock):
    _post(api, "/process-instances", people.provider, START, "old-key", 201)
    clock.advance(hours=23, minutes=59)
    assert purge_expired_keys() == 0
    _post(api, "/process-instances", people.provider, {**START, "business_key": "SFO-2"}, "old-key", 422)

    clock.advance(minutes=1)  # 24 hours after it was first used, the key is free for a new request
    _post(api, "/process-instances", people.provider, {**START, "business_key": "SFO-2"}, "old-key", 201)
    stored = db.session.get(IdempotencyKey, (people.provider.username, "old-key"))
    assert stored.expires_at == clock.now() + dt.timedelta(hours=24)

    clock.advance(hours=25)
    run_once(app)
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


def test_the_openapi_document_offers_the_header_on_the_three_actions(api):
    document = api.get("/openapi.json", None)
    offering = sorted(
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if any(p.get("name") == "Idempotency-Key" and p["in"] == "header" for p in operation.get("parameters", []))
    )
    assert offering == [
        "POST /api/v1/messages",
        "POST /api/v1/process-instances",
        "POST /api/v1/tasks/{task_id}/complete",
    ]
    complete = document["paths"]["/api/v1/tasks/{task_id}/complete"]["post"]
    assert "503" in complete["responses"]
