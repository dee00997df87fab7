"""Queueing dry-run jobs: one job for the same files however many ask at once, and files no check could
read refused before anything is queued."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import DryRunJob, User
from app.services import dry_runs
from app.services.errors import Invalid
from tests.api import variants
from tests.conftest import make_user

# About the dry-run machinery: every dry run here is real, none remembered (tests/dry_run_memo.py).
pytestmark = pytest.mark.real_dry_runs


def _jobs() -> int:
    return db.session.scalar(select(func.count(DryRunJob.id))) or 0


def test_two_owners_asking_at_the_same_moment_get_one_job(app, small_definition, monkeypatch):
    """Both look for a running job of the files, find none, and insert: the unique index lets one
    insert through, and the other gets the job the first made."""
    owner_ids = [make_user("process-owner").id, make_user("process-owner").id]  # read here, not in the threads
    db.session.commit()
    files = variants.files(variants.renamed("At once"))
    barrier = threading.Barrier(2, timeout=30)
    looked = threading.local()
    find = dry_runs.active_job

    def look_then_wait(purpose: str, checksum: str) -> Any:
        found = find(purpose, checksum)
        if not getattr(looked, "once", False):
            looked.once = True
            barrier.wait()  # both have looked before either inserts
        return found

    monkeypatch.setattr(dry_runs, "active_job", look_then_wait)
    results: list[Any] = [None, None]

    def ask(index: int) -> None:
        with app.app_context():
            user = db.session.get(User, owner_ids[index])
            results[index] = dry_runs.queue_job(user, "deploy", files, "small").id

    threads = [threading.Thread(target=ask, args=(i,), daemon=True) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)

    assert results[0] == results[1] is not None
    assert _jobs() == 1


@pytest.mark.parametrize(
    ("files", "field", "message"),
    [
        ({"small.bpmn": b"\xff\xfe not utf-8"}, "small.bpmn", "This file is not UTF-8 text."),
        ({"small.bpmn": variants.SMALL_BPMN.replace("Notify", "No\x00tify").encode()}, "small.bpmn", "NUL"),
        ({"form.json": b'{"title": "a\\u0000b"}'}, "form.json", "NUL"),
        ({"notes.txt": b"hello"}, "notes.txt", "Unsupported file."),
        ({"../small.bpmn": b"<x/>"}, "../small.bpmn", "Unsupported file."),
        ({}, "files", "Choose"),
    ],
)
def test_files_no_check_could_read_are_refused_before_anything_is_queued(app, files, field, message):
    with pytest.raises(Invalid) as refused:
        dry_runs.queue_job(make_user("process-owner"), "check", files)
    assert any(message in m for m in refused.value.fields[field]), refused.value.fields
    assert _jobs() == 0
