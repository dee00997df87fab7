"""/metrics: the Prometheus text format behind a bearer token, with request latency by route and the
figures about cases, tasks, timers, the outbox and the worker read from the database when scraped."""

from __future__ import annotations

import datetime as dt

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from app import worker
from app.extensions import db
from app.models import OutboxMessage
from app.services import instances
from tests.conftest import START, make_user

TOKEN = "scrape-secret-123"
AFTER_TRIAGE_DUE = dt.datetime(2027, 3, 4, 10, 0, tzinfo=dt.UTC)  # triage was due on 3 March


@pytest.fixture
def metrics_token(app, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "SFO_METRICS_TOKEN", TOKEN)


def scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.content_type.startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(answer.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def test_without_a_configured_token_there_is_no_metrics_endpoint(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SFO_METRICS_TOKEN", None)
    answer = client.get("/metrics", headers={"Authorization": "Bearer anything"})
    assert answer.status_code == 404
    assert "SFO_METRICS_TOKEN" in answer.get_json()["error"]["message"]


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}", TOKEN, "Bearer "])
def test_a_missing_or_wrong_token_gets_401_and_no_figures(client, metrics_token, header):
    answer = client.get("/metrics", headers={"Authorization": header} if header else {})
    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "unauthorized"
    assert "sfo_" not in answer.get_data(as_text=True)


def test_figures_of_cases_tasks_timers_outbox_and_worker(app, client, clock, small_definition, metrics_token):
    provider = make_user("provider")
    make_user("sfo-team")
    instances.start_case(provider, small_definition.key, "SFO-1", {"provider_org": provider.organisation})
    instances.start_case(provider, small_definition.key, "SFO-2", {"provider_org": provider.organisation})
    db.session.commit()
    clock.set(AFTER_TRIAGE_DUE)  # nobody triaged, and no worker ran

    samples = scrape(client)
    assert sum(v for (name, _), v in samples.items() if name == "sfo_cases") == 2
    assert value(samples, "sfo_tasks_ready", team="sfo-team") == 2
    assert value(samples, "sfo_tasks_overdue", team="sfo-team") == 2
    assert value(samples, "sfo_timers_due") == 2
    assert value(samples, "sfo_timers_late") == 2
    assert value(samples, "sfo_outbox_messages", status="pending") == 2
    assert value(samples, "sfo_outbox_backlog") == 2
    assert value(samples, "sfo_outbox_oldest_due_age_seconds") == (AFTER_TRIAGE_DUE - START).total_seconds()
    assert value(samples, "sfo_worker_last_pass_timestamp_seconds") == 0
    assert value(samples, "sfo_worker_last_pass_age_seconds") is None

    worker.run_once(app)  # the reminders and escalations fire, and every notice goes out
    first = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
    first.status = "failed"
    db.session.commit()
    clock.set(AFTER_TRIAGE_DUE + dt.timedelta(seconds=42))

    samples = scrape(client)
    assert value(samples, "sfo_timers_late") == 0
    assert value(samples, "sfo_outbox_backlog") == 0
    assert value(samples, "sfo_outbox_messages", status="pending") is None
    assert value(samples, "sfo_outbox_messages", status="failed") == 1
    assert value(samples, "sfo_outbox_messages", status="sent") >= 3
    assert value(samples, "sfo_worker_last_pass_timestamp_seconds") == AFTER_TRIAGE_DUE.timestamp()
    assert value(samples, "sfo_worker_last_pass_age_seconds") == 42
    assert value(samples, "sfo_tasks_ready", team="manager") == 2  # the escalations


def test_request_latency_is_a_histogram_by_route_pattern(app, client, sfo_definition, metrics_token):
    before = scrape(client)
    for _ in range(3):
        client.get("/healthz")
    client.get("/cases/SFO-NOT-THERE")  # not signed in: sent to sign in

    after = scrape(client)
    healthz = {"route": "/healthz", "method": "GET", "status": "200"}
    count = "sfo_http_request_duration_seconds_count"
    assert (value(after, count, **healthz) or 0) - (value(before, count, **healthz) or 0) == 3
    buckets = value(after, "sfo_http_request_duration_seconds_bucket", le="+Inf", **healthz)
    assert buckets == value(after, count, **healthz)
    routes = {dict(labels).get("route") for (name, labels) in after if name == count}
    assert "/cases/<business_key>" in routes
    assert not any("SFO-NOT-THERE" in str(route) for route in routes)
