"""The child process that runs one dry-run job: every check and the dry run of the job's files, under
operating-system limits on CPU time and memory, writing its progress and result to the job's row.

It is forked from a server process that imported this module once (multiprocessing's forkserver), so a
job starts in milliseconds with the engine loaded, without the worker's threads or open connections.
It talks to the database through an engine of its own (no Flask app: it needs one table). Diagram code
runs here, never in a web or worker thread: when it loops or allocates for ever, the limits end this
process and nothing else.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import resource
import sys
import time
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Engine, Table, create_engine, select, update
from sqlalchemy.pool import NullPool

from ..models import DryRunJob
from ..services.groups import read_known_groups
from ..services.modelling import check_and_dry_run

EXIT_OUT_OF_MEMORY = 3
EXIT_FAILED = 4
PROGRESS_EVERY = 0.5  # seconds between progress writes
NICENESS = 10  # below web requests and the worker loop, so a busy dry run never slows them
log = logging.getLogger(__name__)
jobs = cast(Table, DryRunJob.__table__)


@dataclass(frozen=True)
class ChildLimits:
    cpu_seconds: int
    memory_mb: int

    def apply(self) -> None:
        """Limits of this process, set before any diagram code runs. The CPU limit ends the process with
        SIGXCPU; the memory limit makes allocations fail (MemoryError)."""
        _lower(resource.RLIMIT_CPU, self.cpu_seconds, self.cpu_seconds + 2)
        size = self.memory_mb * 1024 * 1024
        _lower(resource.RLIMIT_AS, size, size)
        _lower(resource.RLIMIT_CORE, 0, 0)
        os.nice(NICENESS)


def _lower(kind: int, soft: int, hard: int) -> None:
    """Set a limit, never above what this process inherited (a process may lower its limits only)."""
    inherited = resource.getrlimit(kind)[1]
    if inherited != resource.RLIM_INFINITY:
        soft, hard = min(soft, inherited), min(hard, inherited)
    resource.setrlimit(kind, (soft, hard))


@dataclass(frozen=True)
class Database:
    url: str
    connect_args: dict[str, Any]

    def engine(self) -> Engine:
        return create_engine(self.url, poolclass=NullPool, connect_args=self.connect_args)


def wall_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ProgressWriter:
    """Writes states explored and paths ended to the job row, at most every PROGRESS_EVERY seconds."""

    def __init__(self, engine: Engine, job_id: int):
        self.engine, self.job_id = engine, job_id
        self.states = self.paths = 0
        self._written = 0.0

    def __call__(self, states: int, paths: int) -> None:
        self.states, self.paths = states, paths
        if time.monotonic() - self._written >= PROGRESS_EVERY:
            self.write()

    def write(self, **values: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(jobs)
                .where(jobs.c.id == self.job_id, jobs.c.status == "running")
                .values(states=self.states, paths=self.paths, progress_at=wall_now(), **values)
            )
        self._written = time.monotonic()


def run(job_id: int, database: Database, limits: ChildLimits) -> None:
    """The child's entry point (the target of its multiprocessing.Process)."""
    limits.apply()
    logging.getLogger("spiff").setLevel(logging.WARNING)  # as in the app: a line per task state change
    engine = database.engine()
    try:
        sys.exit(_run(engine, job_id, limits))
    finally:
        engine.dispose()


def _run(engine: Engine, job_id: int, limits: ChildLimits) -> int:
    writer = ProgressWriter(engine, job_id)
    try:
        with engine.connect() as connection:
            row = connection.execute(select(jobs.c.files, jobs.c.process_key).where(jobs.c.id == job_id)).first()
            groups = read_known_groups(connection)
        files, primary = (row.files or {}, row.process_key) if row is not None else ({}, None)
        writer.write()  # the first sign of life: the job has started
        encoded = {name: text.encode() for name, text in files.items()}
        result = check_and_dry_run(encoded, progress=writer, primary=primary, groups=groups)
        document = _name_memory_errors(result.document(), limits)
    except MemoryError:
        return _out_of_memory(writer, limits)
    except Exception:
        log.exception("dry-run job %s failed in its child process", job_id)
        return EXIT_FAILED
    writer.states, writer.paths = _counts(document, writer)
    writer.write(result=document)
    return 0


def _name_memory_errors(document: dict[str, Any], limits: ChildLimits) -> dict[str, Any]:
    """A script that hit the memory limit fails like any failing script (the engine keeps script errors
    inside the case): say which limit it hit, beside where."""
    messages = [m for ms in document["problems"].values() for m in ms]
    if any("MemoryError" in m for m in messages):
        document["problems"].setdefault("_dry_run", []).insert(0, memory_message(limits))
    return document


def _counts(document: dict[str, Any], writer: ProgressWriter) -> tuple[int, int]:
    report = document.get("report") or {}
    return int(report.get("states", writer.states)), int(report.get("paths", writer.paths))


def _out_of_memory(writer: ProgressWriter, limits: ChildLimits) -> int:
    """The memory is free again once the exception has unwound: record why, if the database lets us."""
    try:
        writer.write(result={"key": None, "problems": {"_dry_run": [memory_message(limits)]}, "report": None})
    except Exception:  # the parent reports the exit code instead
        log.warning("could not record that dry-run job %s ran out of memory", writer.job_id)
    return EXIT_OUT_OF_MEMORY


def memory_message(limits: ChildLimits) -> str:
    return (
        f"The dry run needed more memory than its limit of {limits.memory_mb} MB. "
        "Look for a script that builds a very large value."
    )


def cpu_message(limits: ChildLimits) -> str:
    return (
        f"The dry run used more than its limit of {limits.cpu_seconds} seconds of CPU. "
        "Look for a script or loop that never ends."
    )
