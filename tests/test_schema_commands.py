"""Schema commands as real ``sfo`` processes on a database of their own: ``sfo init`` run twice at the
same moment on an empty database (both succeed, the library is deployed once), and a downgrade that
would delete published reports, themes or recommendation records (refused unless forced)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.config import database_url
from tests.conftest import DATA, ROOT

SFO = str(Path(sys.executable).with_name("sfo"))


SMALL_LIBRARY = {"SFO_BPMN_DIR": str(DATA), "SFO_FORMS_DIR": str(DATA)}  # deploys in a moment; the lock is the point


def _init_twice_at_once(url: str, **settings: str) -> list[subprocess.CompletedProcess[str]]:
    env = {**os.environ, "DATABASE_URL": url, "SFO_ENV": "test", **SMALL_LIBRARY, **settings}
    runs = [
        subprocess.Popen([SFO, "init"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = []
    for run in runs:
        try:
            stdout, stderr = run.communicate(timeout=240)
        finally:
            run.kill()
        results.append(subprocess.CompletedProcess(run.args, run.returncode, stdout, stderr))
    return results


def _deployed(url: str) -> list[tuple[str, int]]:
    engine = create_engine(database_url(url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT key, version FROM process_definition ORDER BY key, version"))
            return [(key, version) for key, version in rows]
    finally:
        engine.dispose()


def _check_both_succeeded(results: list[subprocess.CompletedProcess[str]], url: str) -> None:
    for result in results:
        assert result.returncode == 0, result.stderr[-3000:]
    outputs = sorted(result.stdout for result in results)  # "Deployed ..." (with its dry run) sorts first
    assert any(line.startswith("Deployed ") for line in outputs[0].splitlines()), outputs[0]
    assert outputs[1].splitlines()[-1].endswith("is unchanged (version 1)."), outputs[1]
    deployed = _deployed(url)
    assert deployed and all(version == 1 for _, version in deployed) and len(set(deployed)) == len(deployed)


@pytest.fixture
def empty_postgresql():
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("set TEST_DATABASE_URL to a PostgreSQL database; this test makes and drops a sibling database")
    parsed = make_url(database_url(url))
    name = f"{parsed.database}_init"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_two_inits_at_once_on_an_empty_postgresql_database_both_succeed(empty_postgresql):
    # The second waits as long as the first takes, not the service's lock timeout (made short here; an
    # init took longer than the default 10 s under load in CI). The first holds the lock on a connection
    # idle in its transaction for as long as the migrations and the deploy take: longer than the service's
    # idle-in-transaction limit (made short here; the 60 s default was passed under load).
    runs = _init_twice_at_once(
        empty_postgresql, SFO_DB_LOCK_TIMEOUT_MS="200", SFO_DB_IDLE_IN_TRANSACTION_SESSION_TIMEOUT_MS="1000"
    )
    _check_both_succeeded(runs, empty_postgresql)


def test_two_inits_at_once_on_a_new_sqlite_file_both_succeed(tmp_path):
    url = f"sqlite:///{tmp_path / 'sfo.sqlite3'}"
    _check_both_succeeded(_init_twice_at_once(url), url)


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sfo.sqlite3'}"
        return
    yield request.getfixturevalue("empty_postgresql")


def _sfo(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "SFO_ENV": "test", **SMALL_LIBRARY}
    return subprocess.run([SFO, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False)


def _execute(url: str, *statements: str) -> list[Any]:
    engine = create_engine(database_url(url))
    try:
        with engine.begin() as connection:
            results = [connection.execute(text(statement)) for statement in statements]
            return [result.all() if result.returns_rows else None for result in results]
    finally:
        engine.dispose()


BEFORE_PUBLICATION = "5c1e7a9d2b40"  # the revision before published reports, themes and recommendations


def test_a_downgrade_that_would_delete_published_reports_is_refused_unless_forced(fresh_database):
    url = fresh_database
    assert _sfo(url, "init").returncode == 0
    _execute(url, "INSERT INTO theme (code, title, active, position) VALUES ('custody', 'Custody', true, 99)")

    refused = _sfo(url, "db", "downgrade", BEFORE_PUBLICATION)

    assert refused.returncode == 1
    assert "Refusing to downgrade: it would delete the themes." in refused.stderr and "--force" in refused.stderr
    assert _execute(url, "SELECT code FROM theme WHERE code = 'custody'") == [[("custody",)]]

    forced = _sfo(url, "db", "downgrade", BEFORE_PUBLICATION, "--force")

    assert forced.returncode == 0, forced.stderr[-2000:]
    [[(version,)]] = _execute(url, "SELECT version_num FROM alembic_version")
    assert version == BEFORE_PUBLICATION
    assert _sfo(url, "init").returncode == 0  # and back up again


def test_a_downgrade_with_nothing_to_lose_needs_no_force(fresh_database):
    """The default themes the migrations seed are nothing to lose while no review is tagged with them."""
    url = fresh_database
    assert _sfo(url, "init").returncode == 0
    [[(themes,)]] = _execute(url, "SELECT count(*) FROM theme")
    assert themes == 15
    done = _sfo(url, "db", "downgrade", BEFORE_PUBLICATION)
    assert done.returncode == 0, done.stderr[-2000:]
    assert _sfo(url, "db", "downgrade", "no-such-revision").returncode == 1
