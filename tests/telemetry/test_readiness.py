"""/readyz fails when no worker has completed a pass within SFO_READY_WORKER_SECONDS, and the
monitoring dashboard says when the worker last ran."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from app import worker
from app.extensions import db
from app.migrations_state import SCHEMA_HEAD
from app.models import WorkerPass
from tests.conftest import START, make_user


@pytest.fixture
def ready_after(app, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "SFO_READY_WORKER_SECONDS", 120)


def test_readiness_fails_until_a_worker_has_completed_a_pass(app, client, ready_after):
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json() == {
        "status": "unavailable",
        "database": "reachable",
        "migrations": "current",
        "worker": "late",
        "worker_last_pass": None,
    }

    worker.run_once(app)

    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.get_json()["worker"] == "ok"
    assert answer.get_json()["worker_last_pass"] == START.isoformat()


def test_readiness_fails_once_the_last_pass_is_older_than_the_limit(app, client, clock, ready_after):
    worker.run_once(app)
    clock.set(START + dt.timedelta(seconds=120))
    assert client.get("/readyz").status_code == 200
    clock.set(START + dt.timedelta(seconds=121))
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.get_json()["worker"] == "late"


def test_the_latest_pass_of_any_worker_counts(app, client, clock, ready_after):
    db.session.add(WorkerPass(worker="old-host:1", started_at=START, last_pass_at=START - dt.timedelta(hours=1)))
    db.session.add(WorkerPass(worker="other-host:7", started_at=START, last_pass_at=START - dt.timedelta(seconds=30)))
    db.session.commit()
    assert client.get("/readyz").status_code == 200


def test_a_failed_pass_does_not_count_as_a_pass(app, client, monkeypatch, ready_after):
    def broken() -> int:
        raise RuntimeError("database went away")

    monkeypatch.setattr(worker, "fire_due_timers", broken)
    with pytest.raises(RuntimeError):
        worker.run_once(app)
    assert client.get("/readyz").status_code == 503
    [row] = db.session.query(WorkerPass).all()
    assert (row.last_pass_at, row.last_failure_at) == (None, START)


def test_zero_turns_the_worker_check_off(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SFO_READY_WORKER_SECONDS", 0)
    answer = client.get("/readyz")
    assert answer.status_code == 200 and "worker" not in answer.get_json()


def test_the_dashboard_says_when_the_worker_last_ran(app, sfo_definition, clock, ready_after):
    from tests.web.conftest import Browser

    manager = Browser(app.test_client()).sign_in(make_user("manager"))
    page = manager.get("/monitoring")
    assert "No background worker has completed a pass yet" in page.text

    worker.run_once(app)
    page = manager.get("/monitoring")
    assert "The background worker last completed a pass at 1 March 2027 at 9:00am." in page.text

    clock.set(START + dt.timedelta(hours=2))
    page = manager.get("/monitoring")
    assert "The background worker last completed a pass at 1 March 2027 at 9:00am: timers are not firing" in page.text


def test_workers_not_heard_from_for_a_week_are_forgotten(app, clock):
    db.session.add(WorkerPass(worker="gone:1", started_at=START - dt.timedelta(days=8)))
    db.session.add(WorkerPass(worker="gone:2", started_at=START, last_pass_at=START - dt.timedelta(days=8)))
    db.session.add(WorkerPass(worker="quiet:3", started_at=START, last_pass_at=START - dt.timedelta(days=6)))
    db.session.commit()
    worker.run_once(app)
    names = set(db.session.scalars(select(WorkerPass.worker)))
    assert "quiet:3" in names and not names & {"gone:1", "gone:2"} and len(names) == 2


def test_the_schema_head_the_check_expects_is_the_newest_migration():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from app.config import PROJECT_ROOT

    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    assert ScriptDirectory.from_config(config).get_heads() == [SCHEMA_HEAD]


def test_readiness_fails_while_a_migration_is_pending(app, client):
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'd5e1a7c3b920'"))
    try:
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.get_json() == {"status": "unavailable", "database": "reachable", "migrations": "pending"}
    finally:
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": SCHEMA_HEAD})
