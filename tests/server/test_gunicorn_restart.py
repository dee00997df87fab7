"""A real SFO case with two other agencies' reviews, driven over HTTP against gunicorn with several
workers, with the whole server stopped and started again while the reviews are being liaised with.

Every request may land on a different worker process, and after the restart every worker is new: each
one re-parses the model and restores the case from the database. A restored multi-instance (one liaison
task per other review) that lost its wiring to its parent stalled the case here: the liaison tasks
completed, but the drafting task never came.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.demo import notification_dates
from app.extensions import db
from app.services.definitions import model_of
from app.services.sample_data import sample_for
from tests.conftest import ROOT, make_user

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
OTHER_REVIEWS = [
    {"agency": "Community Safety Partnership", "review_type": "domestic_homicide_review"},
    {"agency": "Safeguarding Adults Board", "review_type": "safeguarding_adults_review"},
]
STARTUP_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """gunicorn with two sync workers on a free port, started and stopped from the test."""

    def __init__(self, database_url: str, log: Path):
        self.port, self.log, self.process = _free_port(), log, None
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SFO_ENV": "test",
            "SFO_SECRET_KEY": "gunicorn-test",
            "SFO_BASE_URL": "http://sfo.test",
        }

    def start(self) -> None:
        command = [
            GUNICORN,
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--graceful-timeout",
            "5",
            "app:create_app()",
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"gunicorn did not answer within {STARTUP_SECONDS} s: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def call(self, method: str, path: str, token: str, body: Any = None, expect: int = 200) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/v1{path}",
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                status, text = answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        assert status == expect, f"{method} {path}: {status} {text}"
        return json.loads(text)


@pytest.fixture
def server(app, tmp_path):
    db.session.commit()
    running = Server(
        app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://"),
        tmp_path / "gunicorn.log",
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()


def _do(server: Server, token: str, case_id: int, bpmn_id: str, name_contains: str = "", **answers: Any) -> Any:
    ready = server.call("GET", f"/tasks?process_instance_id={case_id}&per_page=100", token)["items"]
    matches = [t for t in ready if t["bpmn_id"] == bpmn_id and name_contains in t["name"]]
    assert matches, f"{bpmn_id} is not ready; ready: {[t['bpmn_id'] for t in ready]}"
    detail = server.call("GET", f"/tasks/{matches[0]['id']}", token)
    data = sample_for(detail["form"]["schema"], answers, dt.date.today())
    return server.call("POST", f"/tasks/{matches[0]['id']}/complete", token, {"data": data})


def test_a_case_with_two_other_reviews_reaches_drafting_across_a_gunicorn_restart(app, sfo_definition, server):
    from app.services.users import create_token

    people = {role: make_user(role) for role in ("provider", "sfo-team", "reviewer")}
    tokens = {role: create_token(user.username) for role, user in people.items()}
    db.session.commit()
    today = dt.date.today()
    notification = sample_for(model_of(sfo_definition).start_form().schema, {"other_reviews": []}, today)
    notification.update(notification_dates(today), case_reference="SFO-GUNICORN-1", provider_org="north-probation")
    body = {"process_key": "sfo_review", "business_key": "SFO-GUNICORN-1", "data": notification}
    case = server.call("POST", "/process-instances", tokens["provider"], body, expect=201)

    _do(server, tokens["sfo-team"], case["id"], "confirm_eligibility", eligible=True)
    _do(server, tokens["sfo-team"], case["id"], "allocate_reviewer", reviewer=people["reviewer"].username)
    _do(server, tokens["reviewer"], case["id"], "write_terms_of_reference", other_reviews=OTHER_REVIEWS)
    _do(server, tokens["reviewer"], case["id"], "liaise_with_other_review", name_contains=OTHER_REVIEWS[0]["agency"])

    server.stop()  # mid-case: one liaison done, one waiting; every worker process is replaced
    server.start()

    _do(server, tokens["reviewer"], case["id"], "liaise_with_other_review", name_contains=OTHER_REVIEWS[1]["agency"])
    _do(server, tokens["reviewer"], case["id"], "gather_evidence")

    detail = server.call("GET", f"/process-instances/{case['id']}", tokens["reviewer"])
    assert detail["status"] == "running"
    assert [t["bpmn_id"] for t in detail["ready_tasks"]] == ["draft_report"]


def _raw(server: Server, method: str, path: str, token: str, body: Any = None, expect: int = 200) -> tuple[int, Any]:
    """(status, answer): the expected status with its answer, or another status with none."""
    try:
        return expect, server.call(method, path, token, body, expect=expect)
    except AssertionError as refused:
        status = int(str(refused).split(": ", 1)[1].split(" ", 1)[0])
        return status, None


def test_the_same_start_and_the_same_completion_sent_twice_at_once_each_win_once(
    app, postgresql, sfo_definition, server
):
    """Each request of a pair may land on a different worker process: exactly one of each pair wins, and
    every case's records agree afterwards (its task rows, audit trail and engine state)."""
    from concurrent.futures import ThreadPoolExecutor

    from app.models import AuditEvent, ProcessInstance, Task
    from app.services.consistency import problems_of
    from app.services.users import create_token

    people = {role: make_user(role) for role in ("provider", "sfo-team")}
    tokens = {role: create_token(user.username) for role, user in people.items()}
    db.session.commit()
    today = dt.date.today()
    schema = model_of(sfo_definition).start_form().schema
    references = [f"SFO-TWICE-{number}" for number in range(6)]

    def start(reference: str) -> tuple[int, Any]:
        notification = sample_for(schema, {"other_reviews": []}, today)
        notification.update(notification_dates(today), case_reference=reference, provider_org="north-probation")
        body = {"process_key": "sfo_review", "business_key": reference, "data": notification}
        return _raw(server, "POST", "/process-instances", tokens["provider"], body, expect=201)

    with ThreadPoolExecutor(4) as pool:
        started = list(pool.map(start, [reference for reference in references for _ in range(2)]))
        assert sorted(status for status, _ in started) == [201] * 6 + [409] * 6
        cases = [case for status, case in started if status == 201]
        tasks = [
            server.call("GET", f"/tasks?process_instance_id={case['id']}", tokens["sfo-team"])["items"][0]
            for case in cases
        ]
        detail = server.call("GET", f"/tasks/{tasks[0]['id']}", tokens["sfo-team"])
        answers = {"data": sample_for(detail["form"]["schema"], {"eligible": True}, today)}
        paths = [f"/tasks/{task['id']}/complete" for task in tasks for _ in range(2)]
        completed = list(pool.map(lambda path: _raw(server, "POST", path, tokens["sfo-team"], answers), paths))
    assert sorted(status for status, _ in completed) == [200] * 6 + [409] * 6

    db.session.expire_all()
    for case in cases:
        row = db.session.get(ProcessInstance, case["id"])
        assert problems_of(row) == [], row.business_key
        done = db.session.scalars(select(Task).where(Task.instance_id == row.id, Task.state == "completed")).all()
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.instance_id == row.id, AuditEvent.kind == "task-completed")
        ).all()
        assert len(done) == len(events) == 1
