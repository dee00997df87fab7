"""``/metrics`` in the Prometheus text format (prometheus-client).

Request latency is a histogram per route, recorded in each process. Under gunicorn with several
workers, set ``PROMETHEUS_MULTIPROC_DIR`` (see ``gunicorn.conf.py``): every worker then writes its
samples there and a scrape answered by any worker adds up all of them. The figures about cases,
tasks, timers, the outbox and the worker are read from the database at scrape time, so they are the
same whichever process answers.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from ..services.errors import NotFound, ServiceError

# Created once per process and added to each scrape's registry (not the library's global one).
REQUEST_SECONDS = Histogram(
    "sfo_http_request_duration_seconds",
    "Time to answer an HTTP request, by route pattern, method and status.",
    ["route", "method", "status"],
    registry=None,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def _observe(response: Any) -> Any:
    started = g.get("sfo_metrics_started")
    if started is not None:
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        REQUEST_SECONDS.labels(route, request.method, str(response.status_code)).observe(time.perf_counter() - started)
    return response


def _start() -> None:
    g.sfo_metrics_started = time.perf_counter()


def register_request_metrics(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_observe)


class Unauthorised(ServiceError):
    status, code = 401, "unauthorized"


def check_metrics_token() -> None:
    """No token configured: the endpoint does not exist. Otherwise ``Authorization: Bearer TOKEN``."""
    expected = current_app.config.get("SFO_METRICS_TOKEN")
    if not expected:
        raise NotFound("Metrics are not enabled on this service (SFO_METRICS_TOKEN is not set).")
    sent = request.headers.get("Authorization", "")
    scheme, _, token = sent.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), str(expected).encode()):
        raise Unauthorised("Send the metrics token as 'Authorization: Bearer TOKEN'.")


def metrics_page() -> tuple[bytes, str]:
    """The exposition text and its content type."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(REQUEST_SECONDS)
    registry.register(DatabaseCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST


class DatabaseCollector(Collector):
    """Figures read from the database when scraped."""

    def collect(self) -> Iterator[Metric]:
        from ..services.operations import service_figures
        from ..services.runtime import now

        moment = now()
        figures = service_figures(moment, current_app.config["SFO_WORKER_INTERVAL"])
        yield _gauge("sfo_cases", "Cases by status and stage.", ["status", "stage"], figures.cases)
        yield _gauge("sfo_tasks_ready", "Ready human tasks, by team (lane).", ["team"], figures.ready_tasks)
        yield _gauge(
            "sfo_tasks_overdue", "Ready human tasks past their due date, by team (lane).", ["team"], figures.overdue
        )
        yield _gauge(
            "sfo_timers_due",
            "Open cases with a timer due now (the next worker pass fires them).",
            [],
            {(): figures.timers_due},
        )
        yield _gauge(
            "sfo_timers_late",
            "Open cases with a timer due for longer than two worker intervals: the worker is behind or stopped.",
            [],
            {(): figures.timers_late},
        )
        yield _gauge("sfo_outbox_messages", "Notifications in the outbox, by status.", ["status"], figures.outbox)
        yield _gauge(
            "sfo_outbox_backlog", "Notifications due to be sent now and not yet sent.", [], {(): figures.outbox_due}
        )
        yield _gauge(
            "sfo_outbox_oldest_due_age_seconds",
            "How long the oldest notification due to be sent has waited (0 when none waits).",
            [],
            {(): figures.outbox_oldest_age},
        )
        last_pass = figures.worker_last_pass
        yield _gauge(
            "sfo_worker_last_pass_timestamp_seconds",
            "When a worker last completed a pass (Unix time; 0 if none ever did).",
            [],
            {(): last_pass.timestamp() if last_pass else 0.0},
        )
        yield _gauge(
            "sfo_worker_last_pass_age_seconds",
            "Seconds since a worker last completed a pass (absent if none ever did).",
            [],
            {(): (moment - last_pass).total_seconds()} if last_pass else {},
        )


def _gauge(name: str, documentation: str, labels: list[str], values: dict[tuple[str, ...], float]) -> Metric:
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for label_values, value in sorted(values.items()):
        family.add_metric(list(label_values), float(value))
    return family
