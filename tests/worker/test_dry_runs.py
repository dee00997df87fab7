"""Dry-run jobs through the worker's pool: real child processes, real limits, the job row as the record.

Hostile diagrams end as failed or timed out with a message that says which limit they hit. (Once the
sandbox has per-evaluation budgets, a budget may stop a hostile script before the operating-system limit
does: the job then fails at the script's element. Either way it fails, clearly, and the worker goes on.)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import resource
import signal
import time

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.models import DryRunJob, ProcessDefinition
from app.services import dry_runs
from app.worker import dry_runs as pool_module
from app.worker.dry_run_child import ChildLimits
from app.worker.dry_runs import DryRunPool, Settings, child_context, deploy_here
from tests.api import variants
from tests.conftest import make_user

# About the dry-run machinery: every dry run here is real, none remembered (tests/dry_run_memo.py).
pytestmark = pytest.mark.real_dry_runs


def _pool(app, **changes) -> DryRunPool:  # type: ignore[no-untyped-def]
    limits = {k: changes.pop(k) for k in ("cpu_seconds", "memory_mb") if k in changes}
    settings = Settings.of(app)
    settings = dataclasses.replace(settings, limits=dataclasses.replace(settings.limits, **limits), **changes)
    return DryRunPool(app, settings)


def _queue(purpose: str = "check", bpmn: str = variants.SMALL_BPMN, user=None) -> int:  # type: ignore[no-untyped-def]
    job = dry_runs.queue_job(user or make_user("process-owner"), purpose, variants.files(bpmn), "small")
    db.session.commit()
    return job.id


def _job(job_id: int) -> DryRunJob:
    db.session.rollback()
    return dry_runs.fresh_job(job_id)


def _until(condition, seconds: float = 60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("the condition did not come true in time")


def _message(job: DryRunJob) -> str:
    return " ".join(m for ms in job.problems.values() for m in ms)


def test_a_job_goes_from_queued_to_running_to_passed_in_a_child_process(app, small_definition):
    job_id = _queue()
    job = _job(job_id)
    assert (job.status, job.started_at, job.runner, job.child_pid) == ("queued", None, None, None)
    pool = _pool(app)

    pool.poll()

    running = _job(job_id)
    assert running.status == "running" and running.runner == pool.runner
    assert running.child_pid is not None and running.child_pid != os.getpid()
    pool.wait_for(job_id)
    done = _job(job_id)
    assert done.status == "passed" and done.outcome == "Every check and the dry run passed."
    assert done.report["reached"] == ["Done", "Not an SFO"] and done.report["paths"] == done.paths > 0
    assert done.states > 0 and done.progress_at is not None and done.finished_at >= done.started_at
    assert done.problems == {} and done.definition is None  # a check deploys nothing


def test_a_deploy_job_deploys_exactly_the_files_it_checked(app, small_definition):
    owner = make_user("process-owner")
    job_id = _queue("deploy", variants.renamed("Checked then deployed"), owner)

    _pool(app).run_until_idle()

    job = _job(job_id)
    assert job.status == "passed" and job.outcome.startswith("Deployed small version 2.")
    assert job.definition.version == 2 and job.definition.deployed_by == owner.username
    assert job.definition.bpmn["small.bpmn"] == variants.renamed("Checked then deployed")


def test_a_failing_model_fails_its_job_with_every_problem(app, small_definition):
    bpmn = variants.edited(
        variants.TRIAGE_SCRIPT, "<bpmn:script>import os</bpmn:script>", variants.user_task_with_missing_form()
    )
    job_id = _queue("deploy", bpmn)

    _pool(app).run_until_idle()

    job = _job(job_id)
    assert job.status == "failed" and job.outcome == "The process model has 2 problem(s); nothing was deployed."
    assert set(job.problems) == {"set_due", "triage"} and job.definition is None
    assert db.session.scalar(select(ProcessDefinition.version).order_by(ProcessDefinition.version.desc())) == 1


def test_a_script_that_never_ends_is_stopped_by_the_cpu_limit(app, small_definition):
    job_id = _queue(bpmn=variants.with_triage_script(variants.CPU_BURNER))
    pool = _pool(app, cpu_seconds=2, timeout=300.0)  # niced: on a busy machine 2 s of CPU take longer

    pool.run_until_idle()

    job = _job(job_id)
    assert job.status == "failed", (job.status, job.problems)
    message = _message(job)
    assert "more than its limit of 2 seconds of CPU" in message or "set_due" in job.problems, message


def test_a_script_that_allocates_for_ever_is_stopped_by_the_memory_limit(app, small_definition):
    job_id = _queue(bpmn=variants.with_triage_script(variants.MEMORY_HOG))
    pool = _pool(app, memory_mb=600, cpu_seconds=60, timeout=300.0)

    pool.run_until_idle()

    job = _job(job_id)
    assert job.status == "failed", (job.status, job.problems)
    message = _message(job)
    assert "needed more memory than its limit of 600 MB" in message or "set_due" in job.problems, message


def test_a_job_past_its_wall_clock_limit_is_killed_and_timed_out(app, small_definition):
    job_id = _queue(bpmn=variants.with_triage_script(variants.CPU_BURNER))
    pool = _pool(app, cpu_seconds=600, timeout=1.0)

    pool.poll()
    pid = _job(job_id).child_pid
    pool.wait_for(job_id)

    job = _job(job_id)
    assert job.status == "timed_out"
    assert job.problems == {"_dry_run": ["The dry run took longer than its limit of 1 seconds and was stopped."]}
    _until(lambda: not _alive(pid), 10)


def test_a_child_that_dies_is_reported_not_left_running(app, small_definition):
    job_id = _queue(bpmn=variants.with_triage_script(variants.CPU_BURNER))
    pool = _pool(app, cpu_seconds=600, timeout=120.0)
    pool.poll()
    pid = _job(job_id).child_pid

    os.kill(pid, signal.SIGSEGV)  # as if the interpreter had crashed
    pool.wait_for(job_id)

    job = _job(job_id)
    assert job.status == "failed"
    assert "ended with the signal SIGSEGV" in _message(job)


def test_at_most_the_configured_number_of_jobs_run_at_once(app, small_definition):
    owner = make_user("process-owner")
    ids = [_queue(bpmn=variants.with_triage_script(variants.CPU_BURNER + f"\nrun = {n}"), user=owner) for n in range(3)]
    pool = _pool(app, concurrency=2, cpu_seconds=600, timeout=120.0)

    pool.poll()
    pool.poll()

    assert [_job(i).status for i in ids] == ["running", "running", "queued"]
    assert len(pool.children) == 2
    pool.shutdown()
    assert [_job(i).status for i in ids] == ["queued", "queued", "queued"]  # back for another worker


def test_a_job_whose_worker_vanished_is_marked_as_an_error(app, small_definition):
    job_id = _queue()
    db.session.execute(
        update(DryRunJob)
        .where(DryRunJob.id == job_id)
        .values(status="running", runner="gone:1", started_at=dry_runs.wall_now() - dt.timedelta(hours=1))
    )
    db.session.commit()

    assert dry_runs.abandon_stale_jobs(dt.timedelta(minutes=5)) == 1

    job = _job(job_id)
    assert job.status == "error" and "stopped before it finished" in job.outcome


def test_deploying_here_holds_no_transaction_open_while_the_child_starts(app, small_definition, monkeypatch):
    # Starting the child can take seconds (the fork server's first start, a loaded host); a transaction
    # left open meanwhile is ended by the database's idle-in-transaction limit, and the deploy with it.
    in_transaction = []
    start = DryRunPool.start

    def start_noting(pool: DryRunPool, job_ids: list[int]) -> None:
        in_transaction.append(db.session().in_transaction())
        start(pool, job_ids)

    monkeypatch.setattr(DryRunPool, "start", start_noting)

    job = deploy_here(app, variants.files(variants.SMALL_BPMN.replace("Triage", "Triage again")), "cli")

    assert in_transaction == [False]
    assert job.status == "passed" and job.definition is not None


def test_a_deploy_here_that_fails_midway_ends_its_job_rather_than_leave_it_running(app, small_definition, monkeypatch):
    # A job left "running" by a process that has gone makes the next `sfo init` wait for it until its
    # time-out and then some: the deploy that failed ends its job, so the next one can go on at once.
    def connection_ended(job_id: int, pid: int | None) -> None:
        raise OperationalError("UPDATE dry_run_job", {}, Exception("terminating connection"))

    monkeypatch.setattr(pool_module, "record_child", connection_ended)
    files = variants.files(variants.SMALL_BPMN.replace("Triage", "Triage again"))

    with pytest.raises(OperationalError):
        deploy_here(app, files, "cli")

    db.session.rollback()
    job = db.session.scalars(select(DryRunJob).order_by(DryRunJob.id.desc())).first()
    assert job is not None and job.status == "error"
    assert job.outcome == "The deploy stopped before it finished; nothing was deployed. Run it again."
    assert job.child_pid is None or not _alive(job.child_pid)
    monkeypatch.undo()
    again = deploy_here(app, files, "cli")  # not kept waiting for the one that failed
    assert again.status == "passed" and again.definition is not None


def test_a_deploy_here_is_not_held_up_by_a_job_whose_runner_is_gone(app, small_definition, monkeypatch):
    # An `sfo init` killed during its dry run leaves its job running. The next init found it, waited for it
    # until its time-out and failed ("has not ended yet"), and so did every init after: with no worker to
    # end stale jobs (a first install), the library could never be deployed again.
    files = variants.files(variants.SMALL_BPMN.replace("Triage", "Triage again"))
    owner = make_user("process-owner")
    gone = dry_runs.queue_job(owner, "deploy", files, "small")
    db.session.commit()
    db.session.execute(
        update(DryRunJob)
        .where(DryRunJob.id == gone.id)
        .values(status="running", runner="gone:1", started_at=dry_runs.wall_now() - dt.timedelta(hours=1))
    )
    db.session.commit()
    monkeypatch.setattr(pool_module, "STALE_GRACE", dt.timedelta(seconds=1))
    # Short, so that a regression fails in half a minute rather than five; long enough for this deploy's own
    # dry run on a loaded machine (1 s was not, with three test processes on two cores and a fork server to start).
    app.config["SFO_DRY_RUN_TIMEOUT_SECONDS"], timeout = 30.0, app.config["SFO_DRY_RUN_TIMEOUT_SECONDS"]
    try:
        job = deploy_here(app, files, "cli")
    finally:
        app.config["SFO_DRY_RUN_TIMEOUT_SECONDS"] = timeout

    assert job.id != gone.id and job.status == "passed" and job.definition is not None
    assert _job(gone.id).status == "error"


def test_a_deploy_here_runs_a_queued_job_of_the_same_files_itself(app, small_definition):
    # A deploy of the same files queued from a page while no worker runs: the command runs it, rather than
    # wait for a worker that may never come.
    files = variants.files(variants.SMALL_BPMN.replace("Triage", "Triage again"))
    queued = dry_runs.queue_job(make_user("process-owner"), "deploy", files, "small")
    db.session.commit()

    job = deploy_here(app, files, "cli")

    assert job.id == queued.id and job.status == "passed" and job.definition is not None


def test_the_cpu_limit_ends_the_child_with_sigxcpu_and_the_pool_names_it(app):
    """The operating-system limit itself, without any diagram: a child that burns CPU past its limit
    ends with SIGXCPU, which the pool reports as the CPU limit."""
    process = child_context().Process(target=_burn_cpu_under, args=(ChildLimits(1, 1024),))
    process.start()
    process.join(300)
    assert process.exitcode == -signal.SIGXCPU
    failure = _pool(app, cpu_seconds=1)._failure(process.exitcode)
    assert failure is not None and failure.status == "failed"
    assert failure.message.startswith("The dry run used more than its limit of 1 seconds of CPU.")


def test_the_memory_limit_makes_allocations_fail_in_the_child(app):
    process = child_context().Process(target=_allocate_under, args=(ChildLimits(60, 400),))
    process.start()
    process.join(60)
    assert process.exitcode == 3  # MemoryError raised, caught, reported


def test_the_limits_never_rise_above_what_the_child_inherited(app):
    """A server may run under a lower hard limit of its own: the child keeps that one, and still starts."""
    process = child_context().Process(target=_apply_under_a_lower_hard_limit)
    process.start()
    process.join(60)
    assert process.exitcode == 0


def _apply_under_a_lower_hard_limit() -> None:
    inherited = 500 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (inherited, inherited))
    ChildLimits(60, 1024).apply()
    if resource.getrlimit(resource.RLIMIT_AS) != (inherited, inherited):
        raise SystemExit(1)


def _burn_cpu_under(limits: ChildLimits) -> None:
    limits.apply()
    total = 0
    while True:
        total += 1


def _allocate_under(limits: ChildLimits) -> None:
    limits.apply()
    hog = []
    try:
        while True:
            hog.append(bytearray(10 * 1024 * 1024))
    except MemoryError:
        hog.clear()
        raise SystemExit(3) from None


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
