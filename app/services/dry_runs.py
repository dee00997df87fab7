"""Dry-run jobs: every check and the dry run of a set of files, out of the request.

The pages, the API and the CLI queue a job (``queue_job``); a worker runs it in a child process with
limits on CPU, memory and wall-clock time (app/worker/dry_runs.py) and then settles it here
(``settle_job``): a ``check`` job reports, a ``deploy`` job deploys exactly the files it checked when
they passed. Jobs are read by process owners and admins, whoever asked for them.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass

from sqlalchemy import delete, select, update

from ..extensions import db
from ..models import DryRunJob, ProcessDraft, User
from ..models.dryruns import ACTIVE_STATUSES, FINAL_STATUSES
from .calls import deployed_lookup, with_called_processes
from .definitions import DEFINITION_SUFFIXES, add_version, checksum_of
from .errors import Conflict, Invalid, NotFound, ServiceError
from .modelling import element_changes, require_owner
from .runtime import transaction

PURPOSES = ("check", "deploy")
WAIT_POLL = 0.2  # seconds between looks at a job a request waits for
_one_waiter = threading.Lock()


def wall_now() -> dt.datetime:
    """Jobs measure machine work, so their times are machine time, even where the business clock is
    injected (tests, demos)."""
    return dt.datetime.now(dt.UTC)


# --- queueing and reading ----------------------------------------------------------------------


def queue_job(user: User, purpose: str, files: dict[str, bytes], process_key: str | None = None) -> DryRunJob:
    """Queue the checks and dry run of ``files`` (and their deploy, for ``deploy``). The same files
    already queued or running for the same purpose give the job that exists: a double submit runs once."""
    require_owner(user)
    return queue_job_as(user.username, purpose, files, process_key)


def queue_job_as(
    actor: str,
    purpose: str,
    files: dict[str, bytes],
    process_key: str | None = None,
    status: str = "queued",
    runner: str | None = None,
) -> DryRunJob:
    """``queue_job`` for a caller already authorised (the CLI, ``sfo init``); ``status="running"`` with a
    ``runner`` claims the job at once for a caller that runs it itself. The job checks the files with
    those of the processes their call activities call (services/calls.py); it is known by the
    checksum of the files as given, which a draft's files are compared with."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown dry-run purpose {purpose!r}")
    storable_files(files)
    checksum = checksum_of(files)
    texts = storable_files(with_called_processes(files, deployed_lookup))
    existing = active_job(purpose, checksum)
    if existing is not None:
        return existing
    started = wall_now() if status == "running" else None
    job = DryRunJob(
        purpose=purpose,
        process_key=process_key,
        files=texts,
        checksum=checksum,
        requested_by=actor,
        status=status,
        runner=runner,
        states=0,
        paths=0,
        created_at=wall_now(),
        started_at=started,
    )
    try:
        with transaction():
            db.session.add(job)
    except Conflict:  # the same files were queued a moment ago by another request
        existing = active_job(purpose, checksum)
        if existing is None:
            raise
        return existing
    return job


def storable_files(files: dict[str, bytes]) -> dict[str, str]:
    """The files as text, refusing what no check could accept (and what PostgreSQL cannot store)."""
    if not files:
        raise Invalid("Choose the files to check.", {"files": ["Choose .bpmn, .dmn and .json files."]})
    bad = [n for n in files if not n.endswith(DEFINITION_SUFFIXES) or "/" in n or "\\" in n or n.startswith(".")]
    if bad:
        raise Invalid("Only .bpmn, .dmn and .json files can be deployed.", {n: ["Unsupported file."] for n in bad})
    texts: dict[str, str] = {}
    problems: dict[str, list[str]] = {}
    for name, content in files.items():
        try:
            texts[name] = content.decode("utf-8")
        except UnicodeDecodeError:
            problems[name] = ["This file is not UTF-8 text."]
            continue
        if "\x00" in texts[name] or "\\u0000" in texts[name]:
            problems[name] = ["Remove the NUL character from this file."]
    if problems:
        raise Invalid("Some files cannot be read as text.", problems)
    return texts


def active_job(purpose: str, checksum: str) -> DryRunJob | None:
    return db.session.scalar(
        select(DryRunJob)
        .where(DryRunJob.purpose == purpose, DryRunJob.checksum == checksum, DryRunJob.status.in_(ACTIVE_STATUSES))
        .execution_options(populate_existing=True)
    )


def get_job(user: User, job_id: int) -> DryRunJob:
    require_owner(user)
    return fresh_job(job_id)


def fresh_job(job_id: int) -> DryRunJob:
    """The job as the database has it now (a worker in another process moves it on)."""
    job = db.session.get(DryRunJob, job_id, populate_existing=True)
    if job is None:
        raise NotFound(f"There is no dry run {job_id}.")
    return job


def wait_for_job(job_id: int, seconds: float) -> DryRunJob:
    """The job once it has ended, or as it is after ``seconds``. At most one request per process waits
    at a time (the others answer at once), so waiting deploys can never hold every server thread."""
    job = fresh_job(job_id)
    if seconds <= 0 or not _one_waiter.acquire(blocking=False):
        return job
    try:
        deadline = time.monotonic() + seconds
        while not job.finished and time.monotonic() < deadline:
            db.session.commit()  # no transaction (nor connection) held while the worker runs the job
            time.sleep(WAIT_POLL)
            job = fresh_job(job_id)
    finally:
        _one_waiter.release()
    return job


def latest_job_for(checksum: str) -> DryRunJob | None:
    """The newest job of exactly these files, whatever its purpose."""
    return db.session.scalar(
        select(DryRunJob).where(DryRunJob.checksum == checksum).order_by(DryRunJob.id.desc()).limit(1)
    )


# --- the worker's side -------------------------------------------------------------------------


def claim_jobs(limit: int, runner: str) -> list[int]:
    """Take up to ``limit`` queued jobs, oldest first, for this runner (skipping rows another worker
    is taking at the same moment)."""
    if limit <= 0:
        return []
    with transaction():
        query = (
            select(DryRunJob.id)
            .where(DryRunJob.status == "queued")
            .order_by(DryRunJob.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [job_id for job_id in db.session.scalars(query).all() if _claimed(job_id, runner)]


def claim_job(job_id: int, runner: str) -> bool:
    """Take one queued job for this runner; False if another runner took it first."""
    with transaction():
        return _claimed(job_id, runner)


def _claimed(job_id: int, runner: str) -> bool:
    taken = db.session.execute(
        update(DryRunJob)
        .where(DryRunJob.id == job_id, DryRunJob.status == "queued")
        .values(status="running", runner=runner, started_at=wall_now())
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


def has_queued_jobs() -> bool:
    return db.session.scalar(select(DryRunJob.id).where(DryRunJob.status == "queued").limit(1)) is not None


def record_child(job_id: int, pid: int | None) -> None:
    with transaction():
        db.session.execute(update(DryRunJob).where(DryRunJob.id == job_id).values(child_pid=pid))


@dataclass(frozen=True)
class Failure:
    """Why a job's child gave no result: the status to give the job and the message to show."""

    status: str  # failed, timed_out, error
    message: str


def settle_job(job_id: int, failure: Failure | None = None) -> DryRunJob:
    """Give a running job its final status from what its child wrote (or from ``failure``); a deploy
    job whose files passed deploys them, in the same transaction."""
    try:
        with transaction():
            job = _locked(job_id)
            if not job.finished:
                _settle(job, failure)
    except ServiceError as error:  # the deploy itself was refused (a version deployed at the same moment)
        with transaction():
            job = _locked(job_id)
            if not job.finished:
                _finish(job, "error", error.message, {"_deploy": [error.message, *_flat(error.fields)]})
    return fresh_job(job_id)


def _locked(job_id: int) -> DryRunJob:
    job = db.session.scalar(
        select(DryRunJob).where(DryRunJob.id == job_id).with_for_update().execution_options(populate_existing=True)
    )
    if job is None:
        raise NotFound(f"There is no dry run {job_id}.")
    return job


def _settle(job: DryRunJob, failure: Failure | None) -> None:
    if failure is not None:
        _finish(job, failure.status, failure.message, {"_dry_run": [failure.message]})
    elif job.result is None:
        message = "The dry run ended without a result. Run it again; if it happens again, tell the service team."
        _finish(job, "error", message, {"_dry_run": [message]})
    elif job.problems or job.report is None:
        count = sum(len(m) for m in job.problems.values())
        _finish(job, "failed", f"The process model has {count} problem(s); nothing was deployed.")
    elif job.purpose == "deploy":
        _deploy(job)
    else:
        _finish(job, "passed", "Every check and the dry run passed.")


def _deploy(job: DryRunJob) -> None:
    files = {name: text.encode() for name, text in job.files.items()}
    deployed = add_version(files, job.requested_by, element_changes(job.model_key, files), job.process_key)
    job.definition_id = deployed.definition.id
    job.result = {**(job.result or {}), "created": deployed.created}
    draft = db.session.get(ProcessDraft, deployed.definition.key)
    if deployed.created and draft is not None and checksum_of(_encoded(draft.files)) == job.checksum:
        db.session.delete(draft)  # deployed as it stands; a draft changed since then is kept
    _finish(job, "passed", deployed.summary)


def _finish(job: DryRunJob, status: str, outcome: str, problems: dict[str, list[str]] | None = None) -> None:
    job.status, job.outcome, job.finished_at = status, outcome, wall_now()
    if problems is not None:
        job.result = {**(job.result or {"key": None, "report": None}), "problems": problems}


def _encoded(files: dict[str, str]) -> dict[str, bytes]:
    return {name: text.encode() for name, text in files.items()}


def _flat(fields: dict[str, list[str]]) -> list[str]:
    return [f"{name}: {message}" for name, messages in fields.items() for message in messages]


def requeue_jobs(job_ids: list[int]) -> None:
    """Put jobs back in the queue (their runner is stopping); another worker will run them."""
    if job_ids:
        with transaction():
            db.session.execute(
                update(DryRunJob)
                .where(DryRunJob.id.in_(job_ids), DryRunJob.status == "running")
                .values(status="queued", runner=None, child_pid=None, started_at=None, states=0, paths=0)
            )


def abandon_stale_jobs(older_than: dt.timedelta) -> int:
    """Jobs still running long after any limit would have ended them: their worker stopped without
    settling them. Say so, rather than show them running for ever."""
    cutoff = wall_now() - older_than
    stale = db.session.scalars(
        select(DryRunJob.id).where(DryRunJob.status == "running", DryRunJob.started_at < cutoff)
    ).all()
    message = "The worker running this dry run stopped before it finished. Run it again."
    for job_id in stale:
        settle_job(job_id, Failure("error", message))
    return len(stale)


def purge_finished_jobs(older_than: dt.timedelta) -> int:
    with transaction():
        cutoff = wall_now() - older_than
        result = db.session.execute(
            delete(DryRunJob).where(DryRunJob.status.in_(FINAL_STATUSES), DryRunJob.finished_at < cutoff)
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
