"""Time the dry run of the SFO model (bpmn/ + forms/) and list the end events it reaches; then the same
checks and dry run as a dry-run job, run as the worker runs it (a child process under its limits).

python bench/dry_run.py [--runs N] [--no-child]

In-process: the engine's exploration alone, and every check plus the exploration (what a job runs).
Child process: a job queued in a scratch SQLite database and run to its end by the worker's pool; the
first job also starts the fork server (which imports the engine once), the later ones only fork.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from app.engine.definitions import parse_process_model  # noqa: E402
from app.engine.dryrun import DRY_RUN_START, dry_run  # noqa: E402
from app.extensions import attach_migrations  # noqa: E402
from app.models.users import LANE_GROUPS  # noqa: E402
from app.services.definitions import read_library  # noqa: E402
from app.services.dry_runs import fresh_job, queue_job_as  # noqa: E402
from app.services.modelling import check_and_dry_run  # noqa: E402
from app.services.sample_data import sample_for  # noqa: E402
from app.worker.dry_runs import DryRunPool  # noqa: E402


def timings(runs: int, call: Callable[[], object]) -> list[float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return times


def line(label: str, times: list[float]) -> str:
    return f"{label}: median {statistics.median(times):.2f} s, max {max(times):.2f} s over {len(times)} runs"


def in_process(app: Flask, files: dict[str, bytes], runs: int) -> tuple[list[float], list[float]]:
    model = parse_process_model(files, LANE_GROUPS)
    start_form = model.start_form()
    start = sample_for(start_form.schema, {}, DRY_RUN_START.date()) if start_form else {}
    report = dry_run(model, start, sample_for)
    print(f"states explored: {report.states}; paths: {len(report.paths)} {report.counts()}")
    print(f"truncated: {report.truncated}")
    print(f"end events reached: {', '.join(report.reached)}")
    print(f"end events not reached: {', '.join(report.unreached) or 'none'}")
    print(f"blocking paths: {len(report.blocking)}")
    exploration = timings(runs, lambda: dry_run(model, start, sample_for))
    with app.app_context():  # the checks read the groups the service knows
        checks = timings(runs, lambda: check_and_dry_run(files))
    return exploration, checks


def scratch_app(folder: str) -> Flask:
    """The service on a new SQLite database in ``folder``, its schema made as ``sfo init`` makes it."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3"})
    attach_migrations(app)
    with app.app_context():
        upgrade()
    return app


def in_child(app: Flask, files: dict[str, bytes], runs: int) -> tuple[list[float], list[float]]:
    """Each run: queue a job for the files (made unique, so no run reuses another's), run it to its end."""
    pool = DryRunPool(app)
    times, explorations = [], []
    for run in range(runs):
        unique = {**files, "sfo_review.bpmn": files["sfo_review.bpmn"] + f"<!-- run {run} -->".encode()}
        with app.app_context():
            job_id = queue_job_as("bench", "check", unique).id
        began = time.perf_counter()
        pool.run_until_idle(interval=0.02)
        times.append(time.perf_counter() - began)
        with app.app_context():
            job = fresh_job(job_id)
            assert job.status == "passed", (job.status, job.problems)
            explorations.append(float(job.report["seconds"]))
    return times, explorations


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-child", action="store_true", help="only the in-process timings")
    options = parser.parse_args()
    files = read_library(ROOT / "bpmn", ROOT / "forms")
    with tempfile.TemporaryDirectory() as folder:
        measure(scratch_app(folder), files, options)


def measure(app: Flask, files: dict[str, bytes], options: argparse.Namespace) -> None:
    exploration, checks = in_process(app, files, options.runs)
    print(line("dry run of sfo_review, in process (exploration only)", exploration))
    print(line("checks and dry run, in process", checks))
    if not options.no_child:
        child, explorations = in_child(app, files, options.runs + 1)
        print(f"checks and dry run as a job in a child process: first {child[0]:.2f} s (starts the fork server)")
        print(line("  later jobs, queued to passed", child[1:]))
        print(line("  the exploration inside the child (niced)", explorations[1:]))
        overhead = statistics.median(child[1:]) - statistics.median(checks)
        print(f"  a later job, queued to passed, minus the same work in process: {overhead:+.2f} s")


if __name__ == "__main__":
    main()
