"""Issue 10: four concurrent 'check and dry run' requests with a hostile script made /healthz, /published
and sign-in time out for everyone. Served for real (``sfo run``: gunicorn and its embedded worker), four
hostile drafts are uploaded at once; /healthz keeps answering within a second, the worker keeps firing an
ordinary case's timer, and every hostile dry run ends with a clear message."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage
from app.services import instances
from app.services.definitions import deploy_files
from tests.api import variants
from tests.conftest import make_user
from tests.served import Visitor, sfo_run, timed

HOSTILE = [variants.CPU_BURNER, variants.MEMORY_HOG, variants.CPU_BURNER, variants.MEMORY_HOG]
LIMITS = {
    "SFO_WORKER_INTERVAL": "1",
    "SFO_DRY_RUN_CONCURRENCY": "2",
    "SFO_DRY_RUN_CPU_SECONDS": "4",
    "SFO_DRY_RUN_MEMORY_MB": "700",
    "SFO_DRY_RUN_TIMEOUT_SECONDS": "30",
}


def _due_case(clock: Any) -> int:
    """An ordinary case started ten days ago (in real time), so its triage reminder is due now."""
    clock.set(dt.datetime.now(dt.UTC) - dt.timedelta(days=10))
    row = instances.start_case(make_user("provider"), "small", "SFO-DUE-1", {"provider_org": "north-probation"})
    return int(row.id)


def _reminder_sent(case_id: int) -> bool:
    db.session.rollback()  # a fresh snapshot: the server writes from its own process
    return (
        db.session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.instance_id == case_id, OutboxMessage.kind == "reminder")
        )
        is not None
    )


def _upload_all(visitor: Visitor) -> list[threading.Thread]:
    threads = []
    for n, source in enumerate(HOSTILE):
        files = {"small.bpmn": variants.with_triage_script(source, f"hostile{n}").encode()}
        thread = threading.Thread(
            target=visitor.upload,
            args=(f"/process-models/hostile{n}/upload", files),
            kwargs={"timeout": 120},
            daemon=True,
        )
        thread.start()
        threads.append(thread)
    return threads


def test_four_hostile_dry_runs_leave_healthz_answering_and_timers_firing(app, clock, small_definition, tmp_path):
    owner = make_user("process-owner")
    for n in range(len(HOSTILE)):
        deploy_files(variants.files(variants.with_key(f"hostile{n}")), "system")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with sfo_run(url, tmp_path / "server.log", **LIMITS) as base:
        visitor = Visitor(base).sign_in(owner.username)
        visitor.get("/process-models/hostile0")
        uploads = _upload_all(visitor)
        case_id = _due_case(clock)
        probe = Visitor(base)
        slowest, fired_while = 0.0, None
        for _ in range(60):  # about 15 s of probing while the dry runs run
            seconds, status = timed(lambda: probe.get("/healthz", timeout=5)[0])
            assert status in (200, None), f"/healthz answered {status}"
            slowest = max(slowest, seconds)
            if fired_while is None and _reminder_sent(case_id):
                fired_while = _running_jobs()
            time.sleep(0.25)
        assert slowest < 1.0, f"/healthz took {slowest:.2f} s while four hostile dry runs ran"
        for path in ("/published", "/sign-in"):
            assert probe.get(path, timeout=5)[0] == 200
        for thread in uploads:
            thread.join(timeout=10)
            assert not thread.is_alive(), "an upload of a hostile draft did not answer"
        assert fired_while is not None, "the worker did not fire the due case's reminder"
        assert fired_while >= 1, "the reminder fired only after the hostile dry runs had ended"
        outcomes = _wait_for_outcomes()
    assert len(outcomes) == len(HOSTILE)
    for status, message in outcomes:
        assert status in ("failed", "timed_out"), (status, message)
        # which limit stops a script first depends on how busy the machine is (the children are niced)
        assert any(limit in message for limit in ("CPU", "memory", "took longer than its limit")), message


def _running_jobs() -> int:
    from app.models import DryRunJob

    return len(db.session.scalars(select(DryRunJob.id).where(DryRunJob.status == "running")).all())


def _wait_for_outcomes() -> list[tuple[str, str]]:
    from app.models import DryRunJob

    for _ in range(600):
        db.session.rollback()
        jobs = db.session.scalars(select(DryRunJob).order_by(DryRunJob.id)).all()
        if len(jobs) == len(HOSTILE) and all(j.finished for j in jobs):
            return [(j.status, " ".join(m for ms in j.problems.values() for m in ms)) for j in jobs]
        time.sleep(0.2)
    raise AssertionError(f"the dry runs did not end: {[(j.id, j.status) for j in jobs]}")
