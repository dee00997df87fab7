"""Monitoring pages at 10,000 cases in PostgreSQL: dashboard and filtered case list server time.

Loading reuses ``api_latency``'s loader: template cases driven through the real services, then cloned
in bulk. The clones' dates are then spread over a year (so the monthly figures and the stage
durations group over many distinct dates, as real data would), one case in ten gets a deadline
extension on its open task and one running case in a hundred is put in error.

Measured in process with the Flask test client, signed in as a manager, one request at a time; the
time is the whole request: routing, queries, template rendering. Prints p50, p95 and n per page.
The dashboard keeps its monthly figures (timeliness, extensions, stage durations, outcomes, throughput)
for a few minutes; it is measured as served and with that history recalculated on every request.

    python bench/monitoring.py --database-url postgresql://postgres@127.0.0.1:5432/sfo_mon_bench
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask, g
from sqlalchemy import text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

import api_latency as loader  # noqa: E402  (the bulk loader of the API benchmark)

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.services.monitoring.dashboard import history_cache  # noqa: E402
from app.services.users import get_user  # noqa: E402
from app.web.auth import GENERATION  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/sfo_mon_bench"
TARGET_MS = 150.0

SPREAD_SQL = (
    # a year of notifications: every timestamp of a case moves back by (id % 330) days
    "UPDATE process_instance SET created_at = created_at - make_interval(days => id % 330),"
    " updated_at = updated_at - make_interval(days => id % 330)",
    "UPDATE task SET created_at = created_at - make_interval(days => instance_id % 330),"
    " completed_at = completed_at - make_interval(days => instance_id % 330)"
    " + make_interval(days => abs(hashtext(id)) % 25),"
    " due_on = due_on - (instance_id % 330) + (abs(hashtext(id)) % 20)",
    "INSERT INTO deadline_extension (instance_id, task_id, bpmn_id, stage, due_variable, previous_due, new_due,"
    " reason, approved_by, approved_at)"
    " SELECT instance_id, id, bpmn_id, stage, 'due', due_on - 10, due_on, 'bench', 'manager1', created_at"
    " FROM task WHERE state = 'ready' AND due_on IS NOT NULL AND instance_id % 10 = 0",
    "UPDATE process_instance SET status = 'error', error_element = 'record_notification',"
    " error_message = 'bench: a failing script' WHERE status = 'running' AND id % 100 = 0",
    "ANALYZE",
)


def spread(app: Flask) -> None:
    with app.app_context(), db.engine.begin() as connection:
        for statement in SPREAD_SQL:
            connection.execute(text(statement))


def signed_in_client(app: Flask, username: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    with app.app_context():
        user = get_user(username)
        assert user is not None
        user_id, generation = user.id, user.session_generation
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
        session[GENERATION] = generation  # a session from before a password change is not honoured
    return client


def measure(app: Flask, client, path: str, repetitions: int, warmup: int, cold: bool = False) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    with app.app_context():
        for index in range(warmup + repetitions):
            for name in list(vars(g)):
                g.pop(name)
            if cold:
                history_cache.clear()
            started = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"GET {path}: {response.status_code}\n{response.get_data(as_text=True)[:500]}")
            if index >= warmup:
                samples.append(elapsed)
            db.session.remove()
    return samples


def percentile(samples: list[float], percent: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(percent / 100 * len(ordered) + 0.5) - 1))]


COLD = "dashboard, monthly history recalculated"
PAGES: list[tuple[str, str]] = [
    ("dashboard (monthly history kept, as served)", "/monitoring"),
    (COLD, "/monitoring"),
    (
        "cases: overdue of one reviewer, by due date",
        "/monitoring/cases?reviewer=reviewer01&overdue=yes&sort=due&order=asc",
    ),
    ("cases: drafting stage, page 3", "/monitoring/cases?stage=drafting&page=3"),
    (
        "cases: reference contains, notified range",
        "/monitoring/cases?reference=BENCH-0012&notified_from-day=1&notified_from-month=1&notified_from-year=2020",
    ),
    ("cases: unfiltered, page 1", "/monitoring/cases"),
]
CHART_PAGES = [
    (f"chart {name}", f"/monitoring/charts/{name}.svg")
    for name in (
        "open-by-stage",
        "overdue-by-stage",
        "overdue-by-team",
        "timeliness",
        "extensions",
        "durations",
        "workload",
        "outcomes",
        "throughput",
    )
]


def add_load_arguments(parser: argparse.ArgumentParser, default_url: str) -> None:
    """The options every bench that loads cloned cases takes."""
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", default_url))
    parser.add_argument("--size", type=int, default=10_000, help="cases to load (default: %(default)s)")
    parser.add_argument("--requests", type=int, default=60, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--reuse", action="store_true", help="measure the database as it is (no reload)")
    parser.add_argument("--allow-any-database", action="store_true")


def loaded_app(args: argparse.Namespace) -> Flask:
    """The app on the bench database, loaded with ``args.size`` cloned cases unless ``--reuse``."""
    logging.basicConfig(level=logging.WARNING)
    loader.ensure_database(args.database_url, args.allow_any_database)
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url})
    print(f"Database {make_url(args.database_url).render_as_string(hide_password=True)}", flush=True)
    if not args.reuse:
        timed("reset, migrate, deploy", lambda: loader.reset_database(app))
        timed("users", lambda: loader.create_people(app))
        templates = timed("template cases through the services", lambda: loader.build_templates(app))
        cloner = loader.Cloner(app, templates, args.seed)
        timed(f"clone {args.size:,} cases", lambda: cloner.add(args.size))
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    add_load_arguments(parser, DEFAULT_URL)
    args = parser.parse_args(argv)
    app = loaded_app(args)
    if not args.reuse:
        timed("spread dates, extensions, errors", lambda: spread(app))
    with app.app_context(), db.engine.connect() as connection:
        counts = dict(connection.execute(text("SELECT status, count(*) FROM process_instance GROUP BY 1")).all())
        tasks = connection.scalar(text("SELECT count(*) FROM task"))
        extensions = connection.scalar(text("SELECT count(*) FROM deadline_extension"))
    print(f"  cases by status: {dict(sorted(counts.items()))}; {tasks:,} task rows; {extensions:,} extensions")
    client = signed_in_client(app, loader.MANAGER)
    print(
        f"\nServer time in process (Flask test client), ms; {args.requests} requests each after {args.warmup} warm-up"
    )
    print(f"  {'page':<52} {'n':>4} {'p50':>8} {'p95':>8}")
    results = {}
    for label, path in PAGES + CHART_PAGES:
        samples = measure(app, client, path, args.requests, args.warmup, cold=label == COLD)
        results[label] = samples
        print(
            f"  {label:<52} {len(samples):>4} {statistics.median(samples):>8.1f} {percentile(samples, 95):>8.1f}",
            flush=True,
        )
    worst = max(statistics.median(results[label]) for label, _ in PAGES if label != COLD)
    print(
        f"\nTarget: dashboard and filtered list p50 <= {TARGET_MS:.0f} ms: {'met' if worst <= TARGET_MS else 'MISSED'}"
        f" (slowest page p50 {worst:.1f} ms)"
    )


def timed(label: str, action: Callable[[], object]) -> object:
    started = time.perf_counter()
    result = action()
    print(f"  {label}: {time.perf_counter() - started:.1f} s", flush=True)
    return result


if __name__ == "__main__":
    main()
