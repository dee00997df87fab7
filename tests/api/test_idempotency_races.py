"""The same request twice at the same moment (PostgreSQL): with one Idempotency-Key the work is done once
and both callers get the same answer; without a key (or with two keys) one delivery wins and the other
is told why, never a 500."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, ProcessInstance
from app.services import idempotency, instances
from tests.conftest import auth_headers, make_user
from tests.services.test_concurrency import _once_per_thread

pytestmark = pytest.mark.usefixtures("postgresql")
OUTCOME = {
    "name": "court-outcome",
    "business_key": "SFO-1",
    "data": {"court_outcome": "acquitted", "outcome_date": "2027-02-26"},
}


def _waiting_case(team) -> int:
    provider = make_user("provider")
    row = instances.start_case(provider, "small", "SFO-1", {"provider_org": "north-probation"})
    [task] = instances.tasks_of(row, "ready")
    from app.services import tasks

    tasks.complete_task(team, task.id, {"eligible": True})
    return row.id


def _post_together(app, requests: list[tuple[str, dict[str, Any], dict[str, str]]]) -> list[Any]:
    db.session.commit()
    answers: list[Any] = [None] * len(requests)

    def post(index: int) -> None:
        path, body, headers = requests[index]
        response = app.test_client().post(path, json=body, headers=headers)
        answers[index] = (response.status_code, response.get_json(), response.headers.get("Idempotent-Replayed"))

    threads = [threading.Thread(target=post, args=(i,), daemon=True) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a request never finished: a deadlock"
    db.session.expire_all()
    return answers


def _hold(monkeypatch, module: Any, name: str, parties: int) -> list[BaseException]:
    barrier, problems = threading.Barrier(parties, timeout=15), []
    wait = _once_per_thread(barrier, problems)
    original: Callable[..., Any] = getattr(module, name)

    def wait_then_call(*args: Any, **kwargs: Any) -> Any:
        wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, wait_then_call)
    return problems


def _messages_recorded(instance_id: int) -> int:
    query = (
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.instance_id == instance_id, AuditEvent.kind == "message")
    )
    return db.session.scalar(query) or 0


def test_one_message_sent_twice_at_once_with_one_key_is_delivered_once_and_both_get_its_answer(
    app, small_definition, monkeypatch
):
    team = make_user("sfo-team")
    instance_id = _waiting_case(team)
    headers = {**auth_headers(team), "Idempotency-Key": "outcome-SFO-1"}
    problems = _hold(monkeypatch, idempotency, "claim_key", 2)  # both reach the key before either has it

    answers = _post_together(app, [("/api/v1/messages", OUTCOME, headers)] * 2)

    assert not problems
    assert [a[0] for a in answers] == [200, 200], answers
    assert answers[0][1] == answers[1][1] and answers[0][1]["status"] == "completed"
    assert sorted(str(a[2]) for a in answers) == ["None", "true"]  # one did the work, one was given its answer
    assert _messages_recorded(instance_id) == 1


@pytest.mark.parametrize("keys", [(None, None), ("first-key", "second-key")])
def test_one_message_sent_twice_at_once_without_a_shared_key_is_delivered_once(
    app, small_definition, monkeypatch, keys
):
    team = make_user("sfo-team")
    instance_id = _waiting_case(team)
    version = db.session.get(ProcessInstance, instance_id).lock_version
    requests = [
        ("/api/v1/messages", OUTCOME, {**auth_headers(team), **({"Idempotency-Key": key} if key else {})})
        for key in keys
    ]
    problems = _hold(monkeypatch, instances, "deliver_message", 2)  # both read the waiting case first

    answers = _post_together(app, requests)

    assert not problems
    statuses = sorted(a[0] for a in answers)
    assert statuses[0] == 200 and statuses[1] in (404, 409), answers  # never 500
    loser = next(a for a in answers if a[0] != 200)
    assert loser[1]["error"]["code"] in ("conflict", "not_found")
    assert _messages_recorded(instance_id) == 1
    assert db.session.get(ProcessInstance, instance_id).lock_version == version + 1


def test_one_case_started_twice_at_once_with_one_key_is_started_once(app, small_definition, monkeypatch):
    provider = make_user("provider")
    body = {"process_key": "small", "business_key": "SFO-7", "data": {"provider_org": "north-probation"}}
    headers = {**auth_headers(provider), "Idempotency-Key": "start-SFO-7"}
    problems = _hold(monkeypatch, idempotency, "claim_key", 2)

    answers = _post_together(app, [("/api/v1/process-instances", body, headers)] * 2)

    assert not problems
    assert [a[0] for a in answers] == [201, 201] and answers[0][1] == answers[1][1], answers
    assert db.session.scalar(select(func.count()).select_from(ProcessInstance)) == 1
