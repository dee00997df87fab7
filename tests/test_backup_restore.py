"""The README's backup and restore steps, carried out for real: a case made before the backup is there
after the restore, and carries on (its task completes, its engine state loads)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.config import database_url
from tests.conftest import DATA, ROOT
from tests.test_schema_commands import SFO, empty_postgresql  # noqa: F401

# Run in a process of its own against the given database: make a case, or check one and move it on.
CASE_SCRIPT = """
import json, sys
from app import create_app
from app.services import instances, tasks
from app.services.users import create_user, get_user
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1]})
with app.app_context():
    if sys.argv[2] == "make":
        create_user("pat", "provider", "a long enough password", organisation="north-probation")
        create_user("sam", "sfo-team", "a long enough password")
        row = instances.start_case(get_user("pat"), "small", "SFO-BACKUP-1", {"provider_org": "north-probation"})
        print(json.dumps({"id": row.id}))
    else:
        from app.models import ProcessInstance
        from app.extensions import db
        from sqlalchemy import select
        row = db.session.scalar(select(ProcessInstance).where(ProcessInstance.business_key == "SFO-BACKUP-1"))
        [task] = instances.tasks_of(row, "ready")
        done = tasks.complete_task(get_user("sam"), task.id, {"eligible": True})
        print(json.dumps({"id": row.id, "status": done.status}))
"""


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "SFO_ENV": "test", "SFO_BPMN_DIR": str(DATA), "SFO_FORMS_DIR": str(DATA)}


def _run(args: list[str], url: str) -> str:
    result = subprocess.run(args, cwd=ROOT, env=_env(url), capture_output=True, text=True, timeout=240, check=False)
    assert result.returncode == 0, f"{args[0]}: {result.stderr[-3000:]}"
    return result.stdout


def _case(url: str, action: str) -> dict[str, object]:
    return json.loads(_run([sys.executable, "-c", CASE_SCRIPT, url, action], url).strip().splitlines()[-1])


def _scalar(url: str, statement: str) -> object:
    engine = create_engine(database_url(url))
    try:
        with engine.begin() as connection:
            return connection.execute(text(statement)).scalar()
    finally:
        engine.dispose()


def test_postgresql_backup_with_pg_dump_and_restore_with_pg_restore(empty_postgresql, tmp_path):  # noqa: F811
    source = empty_postgresql
    _run([SFO, "init"], source)
    made = _case(source, "make")
    dump = tmp_path / "sfo.dump"
    libpq = make_url(source).set(drivername="postgresql").render_as_string(hide_password=False)

    _run(["pg_dump", "--format=custom", f"--file={dump}", libpq], source)  # README: back up

    target_name = f"{make_url(source).database}_restored"
    target = make_url(libpq).set(database=target_name).render_as_string(hide_password=False)
    admin = create_engine(make_url(database_url(source)).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{target_name}"'))
            connection.execute(text(f'CREATE DATABASE "{target_name}"'))
        _run(["pg_restore", "--no-owner", f"--dbname={target}", str(dump)], target)  # README: restore

        assert _scalar(target, "SELECT count(*) FROM process_instance") == 1
        assert _case(target, "check") == {"id": made["id"], "status": "waiting"}
        assert _run([SFO, "init"], target).splitlines()[-1] == "small is unchanged (version 1)."
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{target_name}" WITH (FORCE)'))
        admin.dispose()


def test_sqlite_backup_with_the_backup_command_and_restore_by_copying_back(tmp_path):
    if shutil.which("sqlite3") is None:
        pytest.skip("the sqlite3 command-line shell is not installed (Debian package sqlite3)")
    live = tmp_path / "sfo.sqlite3"
    url = f"sqlite:///{live}"
    _run([SFO, "init"], url)
    made = _case(url, "make")
    backup = tmp_path / "sfo-backup.sqlite3"

    _run(["sqlite3", str(live), f".backup '{backup}'"], url)  # README: back up (safe while the service runs)
    live.unlink()  # the disaster
    _run(["sqlite3", str(live), f".restore '{backup}'"], url)  # README: restore (with the service stopped)

    assert _case(url, "check") == {"id": made["id"], "status": "waiting"}
    assert _scalar(url, "PRAGMA integrity_check") == "ok"
