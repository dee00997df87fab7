"""Where the time of one API operation goes: cProfile over in-process requests (Flask test client).

Run after ``api_latency.py`` has filled the database (it profiles against the cases already there):

    python bench/profile_request.py --database-url postgresql://postgres@127.0.0.1:5432/sfo_bench --operation complete

It also counts the SQL statements per request and the bytes the database sent back for them, and prints
the slowest statements. Completing changes the cases it completes; listing and getting change nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import logging
import os
import pstats
import random
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from api_latency import (
    APPROVER,
    DEFAULT_URL,
    MANAGER,
    MEASURED_REVIEWER,
    ORGANISATIONS,
    PROCESS_KEY,
    PUBLICATION,
    QA,
    REVIEWER_COUNT,
    TEAM,
    Figure,
    completion_candidates,
    provider_of,
    reviewer_name,
)
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from app import create_app
from app.demo import BASE_CHOICES, notification_dates
from app.extensions import db
from app.services.sample_data import sample_for
from app.services.users import create_token


class StatementLog:
    """Counts statements, their time and the size of what they returned, per SQL text."""

    def __init__(self) -> None:
        self.count = 0
        self.by_sql: dict[str, list[float]] = defaultdict(list)
        self.rows = 0
        self._started = 0.0
        self.active = False

    def attach(self, app: Flask) -> None:
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", self._before)
            event.listen(db.engine, "after_cursor_execute", self._after)

    def _before(self, *_: Any) -> None:
        self._started = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if not self.active:
            return
        self.count += 1
        self.by_sql[" ".join(statement.split())[:150]].append((time.perf_counter() - self._started) * 1000)
        self.rows += max(cursor.rowcount, 0)

    def reset(self) -> None:
        self.count, self.rows = 0, 0
        self.by_sql.clear()


def tokens_for(app: Flask, usernames: list[str]) -> dict[str, str]:
    with app.app_context():
        return {name: create_token(name) for name in usernames}


Request = tuple[str, str, str, Any]  # method, path, user, JSON body


def preparers(
    app: Flask, client: FlaskClient, tokens: dict[str, str], n: int, task_type: str | None = None
) -> dict[str, Callable[[int], Request]]:
    """For each operation, a function giving the i-th request to make (any set-up requests are made here)."""
    mine = client.get("/api/v1/tasks?assignee=me", headers=auth(tokens, MEASURED_REVIEWER)).get_json()
    my_ids = [item["id"] for item in mine["items"]]
    candidates: list[Any] = []
    today = dt.date.today()

    def list_tasks(_: int) -> Request:
        return "GET", "/api/v1/tasks?assignee=me", MEASURED_REVIEWER, None

    def get_task(i: int) -> Request:
        return "GET", f"/api/v1/tasks/{my_ids[i % len(my_ids)]}", MEASURED_REVIEWER, None

    my_cases = sorted({item["process_instance_id"] for item in mine["items"]})

    def get_instance(i: int) -> Request:
        return "GET", f"/api/v1/process-instances/{my_cases[i % len(my_cases)]}", MEASURED_REVIEWER, None

    def complete(i: int) -> Request:
        if not candidates:
            if task_type is None:
                candidates.extend(completion_candidates(app, set(), n, random.Random(7)))
            else:  # every ready task of the type is taken, to find n of them among all the types
                everything = completion_candidates(app, set(), 10**9, random.Random(7), minimum=0)
                candidates.extend([task for task in everything if task.bpmn_id == task_type][:n])
                if len(candidates) < n:
                    raise SystemExit(f"Only {len(candidates)} ready {task_type} tasks of distinct cases; need {n}.")
        task = candidates[i]
        detail = client.get(f"/api/v1/tasks/{task.id}", headers=auth(tokens, task.actor)).get_json()
        choices = {**BASE_CHOICES, "reviewer": task.reviewer or reviewer_name(task.instance_id % REVIEWER_COUNT)}
        data = sample_for(detail["form"]["schema"], choices, today)
        if "public_title" in data:  # each published review's title must be its own
            data["public_title"] = f"{data['public_title']} {task.instance_id}"[:120]
        return "POST", f"/api/v1/tasks/{task.id}/complete", task.actor, {"data": data}

    def start(i: int) -> Request:
        organisation = ORGANISATIONS[i % len(ORGANISATIONS)]
        provider = provider_of(organisation)
        key = f"PROFILE-{time.time_ns()}"
        definition = client.get(f"/api/v1/process-definitions/{PROCESS_KEY}", headers=auth(tokens, provider))
        data = sample_for(definition.get_json()["start_form"]["schema"], {"other_reviews": []}, today)
        data.update(notification_dates(today), case_reference=key, provider_org=organisation)
        return (
            "POST",
            "/api/v1/process-instances",
            provider,
            {"process_key": PROCESS_KEY, "business_key": key, "data": data},
        )

    return {"list": list_tasks, "get": get_task, "instance": get_instance, "complete": complete, "start": start}


def served_app(database_url: str) -> Flask:
    """The app as gunicorn serves it in api_latency.py: its JSON request log (written to os.devnull, so its
    cost counts but not the text) and Prometheus's multiprocess files (in a temporary folder)."""
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="sfo-profile-prometheus-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SFO_LOG_FORMAT": "json"})
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and getattr(handler, "sfo_handler", False):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115
    return app


def auth(tokens: dict[str, str], user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[user]}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--operation", choices=("list", "get", "instance", "complete", "start"), default="complete")
    parser.add_argument("--task", help="with --operation complete: only tasks of this BPMN id (publish_report, ...)")
    parser.add_argument("-n", type=int, default=50, help="profiled requests (after 5 untimed ones)")
    parser.add_argument("--top", type=int, default=30, help="functions to print")
    args = parser.parse_args()
    app = served_app(args.database_url)
    users = [reviewer_name(i) for i in range(REVIEWER_COUNT)] + [provider_of(org) for org in ORGANISATIONS]
    tokens = tokens_for(app, [*users, TEAM, QA, PUBLICATION, APPROVER, MANAGER])
    statements = StatementLog()
    statements.attach(app)
    client = app.test_client()
    prepare = preparers(app, client, tokens, 2 * args.n + 5, args.task)[args.operation]

    def send(request: Request) -> Any:
        method, path, user, body = request
        response = client.open(path, method=method, json=body, headers=auth(tokens, user))
        assert response.status_code < 300, response.get_data(as_text=True)[:500]
        return response

    for i in range(5):
        send(prepare(i))
    # Time n requests without the profiler, then profile n others (the profiler slows everything down).
    timings = Figure(f"{args.operation} (in process, Flask test client)")
    for i in range(5, 5 + args.n):
        request = prepare(i)
        started = time.perf_counter()
        send(request)
        timings.samples.append((time.perf_counter() - started) * 1000)
    profiler = cProfile.Profile()
    statements.reset()
    for i in range(5 + args.n, 5 + 2 * args.n):
        request = prepare(i)
        statements.active = True
        profiler.enable()
        send(request)
        profiler.disable()
        statements.active = False
    print(f"{timings.name}: p50 {timings.p50:.2f} ms, p95 {timings.p95:.2f} ms, n {len(timings.samples)}")
    print(
        f"SQL statements per request: {statements.count / args.n:.1f}; "
        f"rows returned per request: {statements.rows / args.n:.1f}"
    )
    print("Statements by total time over the profiled requests (ms total, count, ms each):")
    ranked = sorted(statements.by_sql.items(), key=lambda kv: -sum(kv[1]))
    for sql, times in ranked[: args.top]:
        print(f"  {sum(times):8.1f} {len(times):5} {sum(times) / len(times):7.2f}  {sql}")
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)
    out.write("The service's own functions and logging, by cumulative time:\n")
    stats.sort_stats("cumulative").print_stats(r"/app/|logging/__init__", args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
