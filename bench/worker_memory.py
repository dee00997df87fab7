"""What a web worker's memory holds after the typical API requests: tracemalloc in one process.

Run after ``api_latency.py`` has filled the database (completing and starting change it):

    python bench/worker_memory.py --database-url postgresql://postgres@127.0.0.1:5432/sfo_bench

It builds the app as gunicorn does, sends ``-n`` requests of each kind the latency bench sends (start a
case, list my tasks and the team's unassigned, get a task, get an instance, complete a task) through
the Flask test client, and prints the resident memory (RSS) after each phase, what Python allocated
(tracemalloc) by package, and the live allocations made on the way through each of the caches a worker
fills: the parsed models, SQLAlchemy's compiled statements, Jinja's templates, the JSON-schema checks.
tracemalloc sees Python's allocations only (not a C library's own), and slows everything down.
"""

from __future__ import annotations

import os
import tracemalloc

# Before anything is imported: the imports are most of a worker's memory. Fewer frames run faster (a busy
# machine may need 6) but attribute less: the caches' entries need the whole stack back to the cache.
tracemalloc.start(int(os.environ.get("TRACE_FRAMES", "25")))

import argparse  # noqa: E402
import logging  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

# A cache's entries: the live allocations whose stack passes through one of these (file, function).
HOLDERS = {
    "parsed process models": [("app/services/runtime.py", "model_for")],
    "SQLAlchemy compiled statements": [("sqlalchemy/sql/elements.py", "_compile_w_cache")],
    "Jinja templates": [("jinja2/environment.py", "_load_template")],
    "JSON-schema checks": [("jsonschema/", ""), ("referencing/", "")],
    "marshmallow schemas": [("marshmallow/schema.py", "__init__")],
}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def package_of(filename: str) -> str:
    """site-packages/<package>, the app's module, or the standard library's module."""
    if match := re.search(r"site-packages/([^/]+)", filename):
        return match.group(1).removesuffix(".py")
    if match := re.search(r"/(app/.+)\.py$", filename):
        return match.group(1).replace("/", ".")
    if filename.startswith("<frozen"):
        return filename  # importlib reading modules: the code objects of every import
    return "stdlib." + Path(filename).stem


def by_package(snapshot: tracemalloc.Snapshot, top: int) -> list[tuple[str, int]]:
    """Bytes by the package whose code allocated them, the allocations of an import counted to the
    module imported (the innermost frame outside importlib)."""
    sizes: Counter[str] = Counter()
    for trace in snapshot.traces:
        frames = [frame.filename for frame in reversed(trace.traceback)]  # innermost first
        owner = next((name for name in frames if not name.startswith("<frozen")), frames[0])
        sizes[package_of(owner)] += trace.size
    return sizes.most_common(top)


def held_by(snapshot: tracemalloc.Snapshot) -> dict[str, tuple[int, int]]:
    """Bytes and blocks of the live allocations made through each holder in HOLDERS."""
    held = dict.fromkeys(HOLDERS, (0, 0))
    for trace in snapshot.traces:
        frames = [(frame.filename, frame.lineno) for frame in trace.traceback]
        names = [filename for filename, _ in frames]
        for holder, marks in HOLDERS.items():
            if any(path in name for name in names for path, _ in marks) and _through(trace, marks):
                size, count = held[holder]
                held[holder] = (size + trace.size, count + 1)
    return held


def _through(trace: tracemalloc.Trace, marks: list[tuple[str, str]]) -> bool:
    for frame in trace.traceback:
        for path, function in marks:
            if path in frame.filename and (not function or _function_at(frame.filename, frame.lineno) == function):
                return True
    return False


_FUNCTIONS: dict[tuple[str, int], str] = {}


def _function_at(filename: str, lineno: int) -> str:
    """The name of the function around a line (tracemalloc frames carry no function names)."""
    key = (filename, lineno)
    if key not in _FUNCTIONS:
        name = ""
        try:
            lines = Path(filename).read_text().splitlines()[:lineno]
        except OSError:
            lines = []
        for line in reversed(lines):
            if match := re.match(r"\s*(?:async\s+)?def\s+(\w+)", line):
                name = match.group(1)
                break
        _FUNCTIONS[key] = name
    return _FUNCTIONS[key]


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from api_latency import (
        APPROVER,
        DEFAULT_URL,
        MANAGER,
        MEASURED_REVIEWER,
        ORGANISATIONS,
        PUBLICATION,
        QA,
        REVIEWER_COUNT,
        TEAM,
        provider_of,
        reviewer_name,
    )
    from profile_request import auth, preparers, tokens_for

    from app import create_app

    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("-n", type=int, default=20, help="requests of each kind")
    parser.add_argument("--top", type=int, default=30, help="packages to print")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=open(os.devnull, "w"))  # noqa: SIM115
    # tracemalloc slows the first parse of the model down past the database's idle-in-transaction limit.
    os.environ.setdefault("SFO_DB_IDLE_IN_TRANSACTION_SESSION_TIMEOUT_MS", "0")
    os.environ.setdefault("SFO_DB_STATEMENT_TIMEOUT_MS", "0")
    random.seed(7)

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url})
    built = tracemalloc.take_snapshot()
    built_rss = rss_mb()
    print(f"RSS after create_app: {built_rss:.1f} MB (with tracemalloc's own bookkeeping)", flush=True)
    users = [reviewer_name(i) for i in range(REVIEWER_COUNT)] + [provider_of(org) for org in ORGANISATIONS]
    tokens = tokens_for(app, [*users, TEAM, QA, PUBLICATION, APPROVER, MANAGER])
    client = app.test_client()
    prepare = preparers(app, client, tokens, args.n)
    mine = client.get("/api/v1/tasks?assignee=me&per_page=100", headers=auth(tokens, MEASURED_REVIEWER)).get_json()
    instance_ids = sorted({item["process_instance_id"] for item in mine["items"]})
    for i in range(args.n):
        for name in ("start", "list", "get", "complete"):
            method, path, user, body = prepare[name](i)
            answer = client.open(path, method=method, json=body, headers=auth(tokens, user))
            assert answer.status_code < 300, answer.get_data(as_text=True)[:500]
        team = client.get("/api/v1/tasks?candidate=me&per_page=100", headers=auth(tokens, TEAM))
        instance = client.get(
            f"/api/v1/process-instances/{instance_ids[i % len(instance_ids)]}", headers=auth(tokens, MEASURED_REVIEWER)
        )
        assert team.status_code == instance.status_code == 200
    served = tracemalloc.take_snapshot()

    print(f"RSS after {args.n} requests of each kind: {rss_mb():.1f} MB")
    built_total = sum(stat.size for stat in built.statistics("filename"))
    served_total = sum(stat.size for stat in served.statistics("filename"))
    print(
        f"Python allocations live (tracemalloc): {built_total / 1e6:.1f} MB built, {served_total / 1e6:.1f} MB served"
    )
    print("\nAfter create_app, by package (MB):")
    for name, size in by_package(built, args.top):
        print(f"  {size / 1e6:7.2f}  {name}")
    print("\nAdded by serving, by file and line (MB):")
    for stat in served.compare_to(built, "filename")[: args.top]:
        print(f"  {stat.size_diff / 1e6:7.2f}  {stat.traceback[0].filename}")
    print("\nHeld by the caches a worker fills (MB, blocks):")
    for holder, (size, count) in held_by(served).items():
        print(f"  {size / 1e6:7.2f}  {count:7}  {holder}")


if __name__ == "__main__":
    main()
