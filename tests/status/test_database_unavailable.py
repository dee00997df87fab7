"""A database outage answers 503 with Retry-After (the JSON error body for the API, a page for the web),
never a 500 or a trace; and a task completion whose connection drops while its answer is being built
is not committed, so the retry with the same key does it once."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
from sqlalchemy import func, select, text

from app.api import tasks as api_tasks
from app.extensions import db
from app.models import AuditEvent, Task
from tests.conftest import ROOT, auth_headers, make_user

UNAVAILABLE_CODE = "service_unavailable"


def _closed_port() -> int:
    with socket.socket() as probe:  # bound and closed again: nothing listens there
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# A fresh app in its own process: the web blueprints can be registered on one app per process only.
PROBE = """
import json, sys
from app import create_app
app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": sys.argv[1]})
client, answers = app.test_client(), []
for method, path in [("GET", "/api/v1/tasks"), ("POST", "/api/v1/tasks/abc/complete"), ("GET", "/published"),
                     ("GET", "/readyz")]:
    response = client.open(path, method=method, headers={"Authorization": "Bearer some-token"}, json={"data": {}})
    answers.append({"path": path, "status": response.status_code, "retry_after": response.headers.get("Retry-After"),
                    "json": response.get_json(silent=True), "text": response.get_data(as_text=True)})
print(json.dumps(answers))
"""


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def outage_answers(request, tmp_path_factory):
    urls = {
        "postgresql": f"postgresql://postgres@127.0.0.1:{_closed_port()}/sfo",
        "sqlite": f"sqlite:///{tmp_path_factory.mktemp('outage') / 'no-such-folder' / 'sfo.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE, urls[request.param]],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "SFO_ENV": "test"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return {answer["path"]: answer for answer in json.loads(result.stdout.strip().splitlines()[-1])}


@pytest.mark.parametrize("path", ["/api/v1/tasks", "/api/v1/tasks/abc/complete"])
def test_the_api_answers_503_with_retry_after_when_the_database_is_unreachable(outage_answers, path):
    answer = outage_answers[path]
    assert (answer["status"], answer["retry_after"]) == (503, "5"), answer["text"][:2000]
    error = answer["json"]["error"]
    assert error["code"] == UNAVAILABLE_CODE and "retry it with the same Idempotency-Key" in error["message"]
    assert "Traceback" not in answer["text"]


def test_pages_answer_503_with_a_page_when_the_database_is_unreachable(outage_answers):
    answer = outage_answers["/published"]
    page = answer["text"]
    assert (answer["status"], answer["retry_after"]) == (503, "5"), page[:2000]
    assert "Sorry, the service is unavailable" in page and "govuk-template" in page
    assert "Traceback" not in page and "127.0.0.1" not in page and "sqlite3" not in page


def test_readiness_says_the_database_is_unreachable(outage_answers):
    answer = outage_answers["/readyz"]
    assert answer["status"] == 503 and answer["json"]["database"] == "unreachable"


def test_a_completion_whose_connection_drops_while_answering_commits_nothing_and_the_retry_completes_once(
    app, client, small_definition, monkeypatch
):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs a server to terminate the connection of (pg_terminate_backend); set TEST_DATABASE_URL")
    from app.services import instances

    provider, team = make_user("provider"), make_user("sfo-team")
    row = instances.start_case(provider, "small", "SFO-1", {"provider_org": "north-probation"})
    [task] = instances.tasks_of(row, "ready")
    task_id = task.id
    db.session.commit()
    original, dropped = api_tasks.present_instance, []

    def drop_connection_then_present(user, instance):
        if not dropped:  # the database goes away after the work was done, while the answer is built
            pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
            with db.engine.connect() as other:
                dropped.append(other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar())
                other.commit()
        return original(user, instance)

    monkeypatch.setattr(api_tasks, "present_instance", drop_connection_then_present)
    headers = {**auth_headers(team), "Idempotency-Key": "complete-triage"}

    first = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"eligible": True}}, headers=headers)

    assert dropped == [True]
    assert first.status_code == 503, first.get_data(as_text=True)
    assert first.headers["Retry-After"] == "5" and first.get_json()["error"]["code"] == UNAVAILABLE_CODE
    db.session.expire_all()
    assert db.session.get(Task, task_id).state == "ready"  # nothing was committed: the outcome was "not done"

    retry = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"eligible": True}}, headers=headers)
    again = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"eligible": True}}, headers=headers)

    assert retry.status_code == again.status_code == 200 and retry.get_json() == again.get_json()
    completions = select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "task-completed")
    assert db.session.scalar(completions) == 1
