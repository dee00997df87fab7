"""Running dry-run jobs: at most N at once, each in a child process with limits, never blocking the loop.

The worker calls ``DryRunPool.poll`` on every pass of its loop (about once a second): it settles the
children that ended, kills those past their wall-clock limit, and starts queued jobs while fewer than
SFO_DRY_RUN_CONCURRENCY run. Between polls the loop fires timers and sends the outbox as before, so a
dry run that loops for ever costs one CPU (niced) in a process of its own and nothing else.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess

from flask import Flask

from ..extensions import db
from ..models import DryRunJob
from ..services.definitions import latest_with_files, read_library
from ..services.dry_runs import (
    Failure,
    abandon_stale_jobs,
    claim_job,
    claim_jobs,
    fresh_job,
    has_queued_jobs,
    purge_finished_jobs,
    queue_job_as,
    record_child,
    requeue_jobs,
    settle_job,
    wait_for_job,
)
from . import dry_run_child
from .dry_run_child import ChildLimits, Database

log = logging.getLogger(__name__)
ProgressCallback = Callable[[int, int], None]  # (states explored, paths ended)
STALE_GRACE = dt.timedelta(minutes=2)  # after its wall-clock limit, a running job's runner is gone
HOUSEKEEPING_EVERY = 60.0  # seconds between looks for abandoned and old jobs
KEEP_FINISHED = dt.timedelta(days=30)
ABANDONED = "The deploy stopped before it finished; nothing was deployed. Run it again."
_context_lock = threading.Lock()
_context: ForkServerContext | None = None


def child_context() -> ForkServerContext:
    """One fork server per process, with the child's modules imported once: a job starts in
    milliseconds, forked from a single-threaded process that holds no connection or lock of ours."""
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([dry_run_child.__name__])
            _context = context
        return _context


@dataclass(frozen=True)
class Settings:
    concurrency: int
    timeout: float
    limits: ChildLimits
    database: Database

    @classmethod
    def of(cls, app: Flask) -> Settings:
        options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
        return cls(
            concurrency=int(app.config["SFO_DRY_RUN_CONCURRENCY"]),
            timeout=float(app.config["SFO_DRY_RUN_TIMEOUT_SECONDS"]),
            limits=ChildLimits(int(app.config["SFO_DRY_RUN_CPU_SECONDS"]), int(app.config["SFO_DRY_RUN_MEMORY_MB"])),
            database=Database(app.config["SQLALCHEMY_DATABASE_URI"], dict(options.get("connect_args") or {})),
        )


@dataclass
class _Child:
    job_id: int
    process: BaseProcess
    deadline: float  # time.monotonic() after which it is killed


class DryRunPool:
    """The dry-run jobs this process runs. Not thread-safe: one loop owns it."""

    def __init__(self, app: Flask, settings: Settings | None = None):
        self.app = app
        self.settings = settings or Settings.of(app)
        self.runner = f"{socket.gethostname()}:{os.getpid()}"
        self.children: dict[int, _Child] = {}
        self.settled = 0  # jobs this pool has seen to their end
        self._housekeeping_at = 0.0

    @property
    def busy(self) -> bool:
        return bool(self.children)

    def poll(self) -> None:
        """Settle what ended, start what is queued; returns at once."""
        with self.app.app_context():
            self._reap()
            self.start(claim_jobs(self.settings.concurrency - len(self.children), self.runner))
            if time.monotonic() >= self._housekeeping_at:
                self._housekeeping_at = time.monotonic() + HOUSEKEEPING_EVERY
                self._housekeeping()

    def start(self, job_ids: list[int]) -> None:
        """Start a child for each job (already claimed by this runner)."""
        for job_id in job_ids:
            process = child_context().Process(
                target=dry_run_child.run,
                args=(job_id, self.settings.database, self.settings.limits),
                name=f"sfo-dry-run-{job_id}",
                daemon=True,  # ended with this process if it exits while the job runs
            )
            try:
                process.start()
            except Exception as error:  # no process could be made (resources): say so on the job
                log.exception("dry-run job %s could not start", job_id)
                settle_job(job_id, Failure("error", f"The dry run could not be started ({error}). Run it again."))
                continue
            self.children[job_id] = _Child(job_id, process, time.monotonic() + self.settings.timeout)
            record_child(job_id, process.pid)
            log.info("dry-run job %s started in process %s", job_id, process.pid)

    def run_until_idle(self, interval: float = 0.1) -> None:
        """Run every queued job to its end (``sfo worker --once``, tests)."""
        while True:
            self.poll()
            with self.app.app_context():
                if not self.children and not has_queued_jobs():
                    return
            time.sleep(interval)

    def wait_for(self, job_id: int, on_progress: ProgressCallback | None = None, interval: float = 0.2) -> None:
        """Poll until one job this pool runs has ended, telling ``on_progress`` what it has explored."""
        seen = (-1, -1)
        while job_id in self.children:
            with self.app.app_context():
                self._reap()
                if on_progress is not None and job_id in self.children:
                    job = fresh_job(job_id)
                    if (job.states, job.paths) != seen:
                        seen = (job.states, job.paths)
                        on_progress(*seen)
            time.sleep(interval)

    def shutdown(self) -> None:
        """Stop every child and put its job back in the queue for another worker."""
        for child in self.children.values():
            child.process.kill()
            child.process.join(5)
        with self.app.app_context():
            requeue_jobs(list(self.children))
        self.children.clear()

    def abandon(self, job_id: int) -> None:
        """Stop a job's child, if it started, and end the job as an error: for a caller that cannot see
        it through (another deploy of the same files waits for a running job until it ends)."""
        child = self.children.pop(job_id, None)
        if child is not None:
            child.process.kill()
            child.process.join(5)
        db.session.rollback()
        try:
            settle_job(job_id, Failure("error", ABANDONED))
        except Exception:  # the database itself is gone: housekeeping ends the job once it is stale
            log.exception("dry-run job %s could not be ended", job_id)

    def _reap(self) -> None:
        for job_id, child in list(self.children.items()):
            if child.process.is_alive():
                if time.monotonic() < child.deadline:
                    continue
                child.process.kill()
                child.process.join(5)
                failure: Failure | None = Failure("timed_out", self._timeout_message())
            else:
                failure = self._failure(child.process.exitcode)
            child.process.join(1)
            child.process.close()
            del self.children[job_id]
            job = settle_job(job_id, failure)
            self.settled += 1
            log.info("dry-run job %s ended: %s", job_id, job.status)

    def _failure(self, exitcode: int | None) -> Failure | None:
        limits = self.settings.limits
        if exitcode == 0:
            return None
        if exitcode == dry_run_child.EXIT_OUT_OF_MEMORY:
            return Failure("failed", dry_run_child.memory_message(limits))
        if exitcode == -signal.SIGXCPU:
            return Failure("failed", dry_run_child.cpu_message(limits))
        if exitcode == -signal.SIGKILL:
            return Failure(
                "failed",
                f"The operating system stopped the dry run: it needed more than {limits.cpu_seconds} seconds of "
                f"CPU or more than {limits.memory_mb} MB of memory.",
            )
        if exitcode is not None and exitcode < 0:
            name = signal.Signals(-exitcode).name
            return Failure("failed", f"The dry run's process ended with the signal {name}. Nothing was deployed.")
        return Failure("error", f"The dry run stopped unexpectedly (exit code {exitcode}). Run it again.")

    def _timeout_message(self) -> str:
        return f"The dry run took longer than its limit of {self.settings.timeout:.0f} seconds and was stopped."

    def _housekeeping(self) -> None:
        abandoned = abandon_stale_jobs(dt.timedelta(seconds=self.settings.timeout) + STALE_GRACE)
        if abandoned:
            log.warning("%d dry-run job(s) had lost their worker; marked as errors", abandoned)
        purge_finished_jobs(KEEP_FINISHED)


# --- deploying from the command line: the same job, run here in a child process ----------------------


def deploy_here(
    app: Flask,
    files: dict[str, bytes],
    actor: str,
    on_progress: ProgressCallback | None = None,
    primary: str | None = None,
) -> DryRunJob:
    """Check, dry-run and deploy ``files`` now, in a child process of this process with the worker's
    limits (``sfo deploy``, ``sfo init``). Call inside an app context. When the same files are already
    being deployed elsewhere, wait for that job instead. ``primary`` names the process that runs."""
    pool = DryRunPool(app)
    job = _deploy_job(pool, files, actor, primary)
    if job.runner != pool.runner:  # another process is deploying the same files: wait for it to end
        job = wait_for_job(job.id, pool.settings.timeout + STALE_GRACE.total_seconds())
        if job.finished:
            return job
        job = _deploy_job(pool, files, actor, primary)  # by now past any limit, if its runner had gone
        if job.runner != pool.runner:
            return job
    job_id = job.id
    # Reading the job (above) began a transaction: end it before starting the child, which can take
    # seconds (the fork server's first start), so that no connection sits idle in a transaction meanwhile
    # (the database ends those after SFO_DB_IDLE_IN_TRANSACTION_SESSION_TIMEOUT_MS).
    db.session.commit()
    try:
        pool.start([job_id])
        pool.wait_for(job_id, on_progress)
    except BaseException:  # a lost connection, Ctrl-C: end the job, or the next deploy waits for it
        pool.abandon(job_id)
        raise
    return fresh_job(job_id)


def _deploy_job(pool: DryRunPool, files: dict[str, bytes], actor: str, primary: str | None) -> DryRunJob:
    """The job deploying ``files``: a new one for ``pool`` to run, a queued one it takes, or one another process
    runs. A job still running past any limit lost its runner (a deploy killed in its dry run): it is ended
    first, or it would hold these files for good where no worker runs to end it (a first install)."""
    abandon_stale_jobs(dt.timedelta(seconds=pool.settings.timeout) + STALE_GRACE)
    job = queue_job_as(actor, "deploy", files, primary, status="running", runner=pool.runner)
    if job.status == "queued" and claim_job(job.id, pool.runner):  # queued from a page, no worker yet
        job = fresh_job(job.id)
    return job


def deploy_library(app: Flask, on_progress: ProgressCallback | None = None) -> DryRunJob | str:
    """``sfo init``: the process library in SFO_BPMN_DIR and SFO_FORMS_DIR, deployed through the dry run
    when it changed; the summary alone when it is deployed already (so repeated inits stay quick)."""
    files = read_library(app.config["SFO_BPMN_DIR"], app.config["SFO_FORMS_DIR"])
    deployed = latest_with_files(files)
    if deployed is not None:
        return f"{deployed.key} is unchanged (version {deployed.version})."
    return deploy_here(app, files, "system", on_progress)
