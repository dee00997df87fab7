"""Logs are JSON lines carrying the request id (X-Request-Id, taken or made, and answered), which is
stored with the work the request queued so the worker's lines about that case carry it too; and no
line holds personal data, even when a notification holds a person's name."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re

import pytest
from sqlalchemy import select

from app import worker
from app.extensions import db
from app.models import OutboxMessage, ProcessInstance
from app.services.runtime import now
from app.services.users import create_user
from app.telemetry.logs import ContextFilter, json_formatter
from tests.conftest import PASSWORD, auth_headers
from tests.worker.smtp import SmtpTestServer

AFTER_TRIAGE_DUE = dt.datetime(2027, 3, 4, 10, 0, tzinfo=dt.UTC)
PERSON = "Jonathan Blackwood"
PERSONAL = ("Jonathan", "Blackwood", "Marta", "Kowalczyk", "marta.k", "Liam", "Murphy", "liam.m", "priya", "Priya")


@pytest.fixture
def json_lines():  # type: ignore[no-untyped-def]
    """Every line logged during the test, as the service writes it (JSON), parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(json_formatter())
    root, app_logger = logging.getLogger(), logging.getLogger("app")
    levels = (root.level, app_logger.level)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    app_logger.setLevel(logging.DEBUG)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(levels[0])
    app_logger.setLevel(levels[1])


@pytest.fixture
def smtp(app, monkeypatch):  # type: ignore[no-untyped-def]
    server = SmtpTestServer()
    monkeypatch.setitem(app.config, "SFO_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SFO_SMTP_PORT", server.start())
    yield server
    server.stop()


def test_a_request_takes_a_valid_request_id_or_makes_one_and_answers_with_it(client, json_lines):
    sent = client.get("/healthz", headers={"X-Request-Id": "lb-7f3a9c.01"})
    assert sent.headers["X-Request-Id"] == "lb-7f3a9c.01"
    made = client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-Id"])
    forged = client.get("/healthz", headers={"X-Request-Id": 'x" level=ERROR {injected}'})
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["X-Request-Id"])

    lines = [line for line in json_lines() if line["logger"] == "app.requests"]
    assert [line["request_id"] for line in lines] == [
        "lb-7f3a9c.01",
        made.headers["X-Request-Id"],
        forged.headers["X-Request-Id"],
    ]
    assert {(line["route"], line["status"], line["level"]) for line in lines} == {("/healthz", 200, "INFO")}
    assert all(isinstance(line["duration_ms"], float) and line["time"] for line in lines)


def test_the_worker_logs_a_case_s_timers_and_notifications_under_the_request_that_queued_them(
    app, client, clock, small_definition, smtp, json_lines
):
    provider = create_user("priya", "provider", PASSWORD, organisation="north", display_name="Priya Patel")
    create_user("marta.k", "sfo-team", PASSWORD, display_name="Marta Kowalczyk", email="marta.k@sfo.example")
    create_user("liam.m", "manager", PASSWORD, display_name="Liam Murphy", email="liam.m@sfo.example")
    answer = client.post(
        "/api/v1/process-instances",
        json={"process_key": "small", "business_key": "SFO-77", "data": {"provider_org": "north"}},
        headers={**auth_headers(provider), "X-Request-Id": "notify-req-1"},
    )
    assert answer.status_code == 201 and answer.headers["X-Request-Id"] == "notify-req-1"
    case_id = answer.get_json()["id"]
    assert db.session.get(ProcessInstance, case_id).request_id == "notify-req-1"
    # A notification naming the person (as a template a process owner wrote could).
    db.session.add(
        OutboxMessage(
            kind="case-note",
            recipient="marta.k",
            instance_id=case_id,
            subject=f"SFO-77: {PERSON} was charged",
            body=f"The person, {PERSON}, was charged on 1 March.",
            created_at=now(),
            deliver_after=now(),
            request_id="notify-req-1",
        )
    )
    db.session.commit()

    smtp.refuse = True  # the first delivery fails: its warning must not quote the message either
    worker.run_once(app)
    smtp.refuse = False
    clock.set(AFTER_TRIAGE_DUE)
    worker.run_once(app)

    assert any(PERSON in r.message.get_payload() for r in smtp.received)
    lines = json_lines()
    case_lines = [line for line in lines if line["case_id"] == case_id]
    messages = {line["message"] for line in case_lines}
    assert any(m.startswith("timers fired on case") for m in messages)
    assert any(m.startswith("notification") and "sent by SMTP" in m for m in messages)
    assert any(m.startswith("notification") and "failed (attempt 1)" in m for m in messages)
    assert {line["request_id"] for line in case_lines} == {"notify-req-1"}
    # The escalation the timer queued carries the request id on to its own delivery.
    escalation = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "escalation")).one()
    assert escalation.request_id == "notify-req-1" and escalation.status == "sent"
    text = "\n".join(json.dumps(line) for line in lines)
    for personal in PERSONAL:
        assert personal not in text, f"a log line holds {personal!r}"


def test_a_database_error_never_quotes_the_values_it_was_writing(app, json_lines):
    from sqlalchemy.exc import IntegrityError

    from app.models import WorkerPass

    db.session.add(WorkerPass(worker=PERSON, started_at=now()))
    db.session.commit()
    db.session.add(WorkerPass(worker=PERSON, started_at=now()))
    try:
        db.session.commit()
    except IntegrityError:
        logging.getLogger("app.test").exception("could not record the pass")
    db.session.rollback()

    [line] = [line for line in json_lines() if line["logger"] == "app.test"]
    assert "IntegrityError" in line["exc_info"] and "the database's message is withheld" in line["exc_info"]
    assert "Traceback" in line["exc_info"] and PERSON not in json.dumps(line)
