"""Operations at 10,000 cases in PostgreSQL: a /metrics scrape, a case's whole-record zip, and the
retention policy's dry run and reduction.

Loads cases as ``monitoring.py`` does (template cases driven through the services, cloned in bulk,
dates spread over a year), then moves the closed cases' dates back 8 years so a 7-year policy covers
them. Measured in process with the Flask test client; prints p50, p95 and n, and the retention timings.

    python bench/operations.py --database-url postgresql://postgres@127.0.0.1:5432/sfo_ops_bench
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from flask import g
from sqlalchemy import select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

import monitoring as bench  # noqa: E402  (the loader of the monitoring benchmark)

from app.extensions import db  # noqa: E402
from app.models import ProcessInstance  # noqa: E402
from app.services.retention import Policy, apply_policy, due_cases  # noqa: E402
from app.services.users import create_token  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/sfo_ops_bench"
TOKEN = "bench-metrics-token"
CLOSED = "status IN ('completed', 'cancelled')"
AGE_CLOSED_CASES = f"UPDATE process_instance SET updated_at = updated_at - interval '8 years' WHERE {CLOSED}"  # noqa: S608


def timed_requests(app, client, path: str, headers: dict[str, str], args: argparse.Namespace) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    with app.app_context():
        for index in range(args.warmup + args.requests):
            for name in list(vars(g)):
                g.pop(name)
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"GET {path}: {response.status_code}")
            if index >= args.warmup:
                samples.append(elapsed)
            db.session.remove()
    return samples


def line(label: str, samples: list[float]) -> None:
    p50, p95 = statistics.median(samples), bench.percentile(samples, 95)
    print(f"  {label:<40} {len(samples):>4} {p50:>8.1f} {p95:>8.1f}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    bench.add_load_arguments(parser, DEFAULT_URL)
    args = parser.parse_args(argv)
    app = bench.loaded_app(args)
    app.config["SFO_METRICS_TOKEN"] = TOKEN
    if not args.reuse:
        bench.timed("spread dates, extensions, errors", lambda: bench.spread(app))
    with app.app_context():
        published = db.session.scalar(
            select(ProcessInstance.id).where(ProcessInstance.stage == "closure").order_by(ProcessInstance.id).limit(1)
        )
    client = app.test_client()
    with app.app_context():
        manager = {"Authorization": f"Bearer {create_token(bench.loader.MANAGER)}"}
    print(
        f"\nServer time in process (Flask test client), ms; {args.requests} requests each after {args.warmup} warm-up"
    )
    print(f"  {'request':<40} {'n':>4} {'p50':>8} {'p95':>8}")
    line("GET /metrics", timed_requests(app, client, "/metrics", {"Authorization": f"Bearer {TOKEN}"}, args))
    path = f"/api/v1/process-instances/{published}/record"
    line(f"GET {path} (zip)", timed_requests(app, client, path, manager, argparse.Namespace(warmup=1, requests=10)))
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text(AGE_CLOSED_CASES))
        policy = Policy(7, "reduce")
        started = time.perf_counter()
        due = due_cases(policy)
        listed = time.perf_counter() - started
        print(f"\nRetention, 7 years, reduce: dry run listed {len(due):,} closed cases in {listed:.2f} s")
        started = time.perf_counter()
        done = apply_policy(policy)
        took = time.perf_counter() - started
        print(f"  applied to {len(done):,} cases in {took:.1f} s ({took / max(1, len(done)) * 1000:.1f} ms a case)")


if __name__ == "__main__":
    main()
