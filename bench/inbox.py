"""The inbox of a user with 500 open tasks among 10,000 cases: server time of /tasks in PostgreSQL.

Loads 10,000 cases with ``api_latency``'s loader (template cases driven through the real services, then
cloned in bulk), then assigns 500 of the open reviewer-lane tasks to one reviewer. Measures, in process
with the Flask test client signed in as that reviewer, each inbox tab (My tasks first: 500 tasks, 50 a
page, with the counts of every tab) and a later page. Prints p50, p95 and n.

    python bench/inbox.py --database-url postgresql://postgres@127.0.0.1:5432/sfo_inbox_bench
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitoring import add_load_arguments, loaded_app, measure, percentile, signed_in_client  # noqa: E402

from app.extensions import db  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/sfo_inbox_bench"
INBOX_USER = "reviewer01"
OPEN_TASKS = 500
TARGET_MS = 15.0  # issue 12: inbox page server time
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
    add_load_arguments(parser, DEFAULT_URL)
    args = parser.parse_args(argv)
    app = loaded_app(args)
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
        f"\nTarget: inbox of {OPEN_TASKS} open tasks p50 <= {TARGET_MS:.0f} ms: "
        f"{'met' if first <= TARGET_MS else 'MISSED'} ({first:.1f} ms)"
    )


if __name__ == "__main__":
    main()
