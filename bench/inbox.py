"""The inbox of a user with 500 open tasks among 10,000 cases: server time of /tasks in PostgreSQL.

Loads 10,000 cases with ``api_latency``'s loader (template cases driven through the real services, then
cloned in bulk), then assigns 500 of the open reviewer-lane tasks to one reviewer. Measures, in process
with the Flask test client signed in as that reviewer, each inbox tab (My tasks first: 500 tasks, 50 a
page, with the counts of every tab) and a later page. Prints p50, p95 and n.

    python bench/inbox.py --database-url postgresql://postgres@127.0.0.1:5432/sfo_inbox_bench
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import api_latency as loader  # noqa: E402
from monitoring import measure, percentile, signed_in_client, timed  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/sfo_inbox_bench"
INBOX_USER = "reviewer01"
OPEN_TASKS = 500
TARGET_MS = 50.0
PAGES = [
    ("My tasks (500, page 1)", "/tasks"),
    ("My tasks, page 10", "/tasks?page=10"),
    ("My tasks, latest due first", "/tasks?order=desc"),
    ("Unassigned in my teams", "/tasks?tab=team"),
    ("Overdue", "/tasks?tab=overdue"),
    ("Completed by me", "/tasks?tab=completed"),
]


def give_open_tasks(app, username: str, count: int) -> int:  # type: ignore[no-untyped-def]
    """Make ``count`` open reviewer tasks (and only those) the user's own."""
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(
            text("UPDATE task SET assignee = NULL WHERE assignee = :u AND state = 'ready'"), {"u": username}
        )
        connection.execute(
            text(
                "UPDATE task SET assignee = :u WHERE id IN (SELECT id FROM task WHERE state = 'ready'"
                " AND lane = 'reviewer' ORDER BY id LIMIT :n)"
            ),
            {"u": username, "n": count},
        )
        connection.execute(text("ANALYZE task"))
        return int(
            connection.scalar(
                text("SELECT count(*) FROM task WHERE state = 'ready' AND assignee = :u"), {"u": username}
            )
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--reuse", action="store_true", help="measure the database as it is (no reload)")
    parser.add_argument("--allow-any-database", action="store_true")
    args = parser.parse_args(argv)
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
    mine = give_open_tasks(app, INBOX_USER, OPEN_TASKS)
    with app.app_context(), db.engine.connect() as connection:
        cases = connection.scalar(text("SELECT count(*) FROM process_instance"))
        tasks = connection.scalar(text("SELECT count(*) FROM task"))
    print(f"  {cases:,} cases, {tasks:,} task rows; {INBOX_USER} has {mine} open tasks")
    client = signed_in_client(app, INBOX_USER)
    print(
        f"\nServer time in process (Flask test client), ms; {args.requests} requests each after {args.warmup} warm-up"
    )
    print(f"  {'page':<36} {'n':>4} {'p50':>8} {'p95':>8}")
    medians = {}
    for label, path in PAGES:
        samples = measure(app, client, path, args.requests, args.warmup)
        medians[label] = statistics.median(samples)
        print(f"  {label:<36} {len(samples):>4} {medians[label]:>8.1f} {percentile(samples, 95):>8.1f}", flush=True)
    first = medians[PAGES[0][0]]
    print(
        f"\nTarget: inbox of {OPEN_TASKS} open tasks p50 <= {TARGET_MS:.0f} ms: {'met' if first <= TARGET_MS else 'MISSED'}"
        f" ({first:.1f} ms)"
    )


if __name__ == "__main__":
    main()
