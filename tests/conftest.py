"""Test fixtures: one app per session on SQLite (default) or PostgreSQL (TEST_DATABASE_URL), a frozen
clock, and a database emptied after every test."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from jsonschema import Draft202012Validator
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.pool import NullPool

from app import create_app
from app.clock import FrozenClock
from app.config import database_url
from app.engine import ProcessModel, parse_process_model
from app.extensions import attach_migrations, db
from app.models import User
from app.services import definitions as definition_service
from app.services import modelling
from app.services.definitions import deploy_files, read_library
from app.services.users import create_token, create_user
from app.worker import dry_run_child
from app.worker.dry_runs import DryRunPool, child_context
from tests import dry_run_memo
from tests.worker.notify_api import API_KEY, NotifyTestServer

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
START = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)  # a Monday
PASSWORD = "correct horse battery"
_names = itertools.count(1)


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (``-n``), each worker process has a PostgreSQL database of its own, named after
    the one given with the worker's id (sfo_test_gw0, ...) and made here when missing, so that workers never
    empty each other's tables or meet in each other's locks. (Each has its own SQLite file already.)"""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get("TEST_DATABASE_URL")
    if worker and url and url.startswith("postgresql"):
        os.environ["TEST_DATABASE_URL"] = _database_of_its_own(url, worker)


def _database_of_its_own(url: str, worker: str) -> str:
    given = make_url(url)
    name = f"{given.database}_{worker}"
    admin = create_engine(database_url(url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return given.set(database=name).render_as_string(hide_password=False)


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def _reset_schema(app: Flask) -> None:
    attach_migrations(app)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()


def model_files(folder: Path) -> dict[str, bytes]:
    """The model files of a SpiffArena process-model folder (without its process_model.json)."""
    return {name: content for name, content in read_library(folder).items() if name != "process_model.json"}


@pytest.fixture(scope="session", autouse=True)
def form_schemas_checked_once() -> Iterator[None]:
    """Checking a form's JSON Schema against the meta-schema is two thirds of parsing the SFO library, and
    the tests parse it hundreds of times (every step of a reparsed case). The answer depends on the schema
    alone, so a schema that passed once passes again without the check; a bad one is checked every time."""
    check = Draft202012Validator.check_schema
    passed: set[str] = set()

    def check_once(cls: Any, schema: Any, *args: Any, **kwargs: Any) -> None:
        if args or kwargs:
            check(schema, *args, **kwargs)
            return
        key = json.dumps(schema, sort_keys=True)
        if key not in passed:
            check(schema)
            passed.add(key)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Draft202012Validator, "check_schema", classmethod(check_once))
        yield


@pytest.fixture(scope="session", autouse=True)
def dry_runs_remembered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Dry runs remembered for identical inputs (tests/dry_run_memo.py), here and in the jobs' children."""
    if os.environ.get("PYTEST_XDIST_WORKER"):  # the workers of this run share one folder (their parent's)
        memo = tmp_path_factory.getbasetemp().parent / "dry-runs"
        memo.mkdir(exist_ok=True)
    else:
        memo = tmp_path_factory.mktemp("dry-runs")
    os.environ[dry_run_memo.FOLDER] = str(memo)  # before the fork server starts: it and its children see it
    child_context().set_forkserver_preload([dry_run_child.__name__, dry_run_memo.__name__])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(modelling, "check_and_dry_run", dry_run_memo.remembered(modelling.check_and_dry_run))
        yield memo
    del os.environ[dry_run_memo.FOLDER]


@pytest.fixture(autouse=True)
def real_dry_runs_when_marked(request: pytest.FixtureRequest, dry_runs_remembered: Path) -> Iterator[None]:
    """A test marked ``real_dry_runs`` (about the dry-run machinery: progress, limits, time-outs) runs every
    dry run for real."""
    if request.node.get_closest_marker("real_dry_runs") is None:
        yield
        return
    off = dry_run_memo.off_switch(dry_runs_remembered)
    off.touch()
    try:
        yield
    finally:
        off.unlink()


class ParsedOnce:
    """parse_process_model for the fixtures that deploy the same library in every test: the same files and
    groups give the same model, so the deploy's checks reuse it. Only the deploy does: the engine still
    parses each deployed version itself, and cases with ``reparse=True`` still reparse at every step."""

    def __init__(self) -> None:
        self._models: dict[tuple[Any, ...], ProcessModel] = {}

    def __call__(
        self,
        files: dict[str, bytes],
        known_groups: Any,
        primary: str | None = None,
        lane_names: Mapping[str, str] | None = None,
        strict_lanes: bool = True,
    ) -> ProcessModel:
        key = (tuple(sorted(files.items())), repr(known_groups), primary, repr(lane_names), strict_lanes)
        if key not in self._models:
            self._models[key] = parse_process_model(files, known_groups, primary, lane_names, strict_lanes)
        return self._models[key]


_parsed_once = ParsedOnce()


def _deploy_library(*folders: Path) -> Any:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(definition_service, "parse_process_model", _parsed_once)
        return deploy_files(read_library(*folders), "system").definition


@pytest.fixture(scope="session")
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture(scope="session")
def base_app(tmp_path_factory: pytest.TempPathFactory, clock: FrozenClock) -> Flask:
    overrides = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
        "SFO_BASE_URL": "http://sfo.test",
        "SFO_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    os.environ.setdefault("SFO_ENV", "test")
    application = create_app(overrides, clock=clock)
    if application.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        application.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **application.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "pool_size": 10,
            "max_overflow": 10,
        }
    with application.app_context():
        _commit_without_waiting_for_the_disk(db.engine)
    _reset_schema(application)
    return application


def _commit_without_waiting_for_the_disk(engine: Any) -> None:
    """A test database is thrown away, so its commits need not wait for the disk (most of a test's time on
    SQLite): what other connections see is unchanged, only what would survive a power cut."""
    setting = "PRAGMA synchronous = OFF" if engine.dialect.name == "sqlite" else "SET synchronous_commit = off"

    @event.listens_for(engine, "connect")
    def no_disk_wait(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(setting)
        cursor.close()
        dbapi_connection.commit()

    engine.dispose()  # connections opened while the app was created get the setting too


def _empty_tables() -> None:
    from app.services.groups import seed_groups
    from app.services.lessons import seed_default_themes

    db.session.remove()
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
    seed_groups()  # seeded by the migrations: every test starts with the six SFO groups and the default themes
    seed_default_themes()
    db.session.commit()


@pytest.fixture
def app(base_app: Flask, clock: FrozenClock) -> Iterator[Flask]:
    clock.set(START)
    with base_app.app_context():
        yield base_app
        _empty_tables()


@pytest.fixture
def postgresql(app: Flask) -> None:
    """For tests of locking and concurrency, which only PostgreSQL can show."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers and has no row locks; set TEST_DATABASE_URL to a PostgreSQL database")


@pytest.fixture
def client(app: Flask) -> Any:
    return app.test_client()


@pytest.fixture
def sfo_definition(app: Flask) -> Any:
    """The real SFO process library from bpmn/ and forms/, deployed."""
    return _deploy_library(ROOT / "bpmn", ROOT / "forms")


@pytest.fixture
def small_definition(app: Flask) -> Any:
    """A small test process (tests/data) with a deadline, a reminder, an escalation and a message."""
    return _deploy_library(DATA)


@pytest.fixture
def dry_runs(app: Flask) -> Any:
    """dry_runs() runs every queued dry-run job to its end, as the worker does: real child processes."""

    def run_queued() -> None:
        db.session.commit()  # the jobs run in other sessions and processes; leave nothing open in ours
        DryRunPool(app).run_until_idle()
        db.session.expire_all()

    return run_queued


@pytest.fixture
def deploy_checked(dry_runs: Any) -> Any:
    """deploy_checked(user, files, key=None) -> the finished deploy job, as a page or the API deploys."""
    from app.services.dry_runs import fresh_job, queue_job

    def deploy(user: User, files: dict[str, bytes], key: str | None = None) -> Any:
        job_id = queue_job(user, "deploy", files, key).id
        dry_runs()
        return fresh_job(job_id)

    return deploy


@pytest.fixture
def dry_run_worker(app: Flask) -> Iterator[DryRunPool]:
    """The worker's dry-run loop in a background thread, for requests that wait for their job."""
    pool, stop = DryRunPool(app), threading.Event()

    def loop() -> None:
        while not stop.is_set():
            pool.poll()
            stop.wait(0.05)

    thread = threading.Thread(target=loop, name="test-dry-run-worker", daemon=True)
    thread.start()
    yield pool
    stop.set()
    thread.join(timeout=30)
    pool.shutdown()


@pytest.fixture
def people(app: Flask) -> Any:
    """The process's people (``tests.people.People``), each user made on first use."""
    from tests.people import People

    return People()


def make_user(
    role: str,
    *,
    username: str | None = None,
    organisation: str | None = None,
    groups: tuple[str, ...] = (),
    email: str | None = None,
) -> User:
    name = username or f"{role.replace('-', '')}{next(_names)}"
    if role == "provider" and organisation is None:
        organisation = "north-probation"
    return create_user(
        name, role, PASSWORD, groups=groups, organisation=organisation, email=email or f"{name}@example.test"
    )


def auth_headers(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(user.username)}"}


TEMPLATE_SUBJECT = "SFO review ((case_reference)): ((task))"
TEMPLATE_BODY = "((task)) for case ((case_reference)) is due on ((due_date)).\n\nOpen it: ((link))"


@pytest.fixture
def notify_api(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[NotifyTestServer]:
    """The Notify API stand-in, with one template per notification kind the tests queue, and the app sending
    through it (its API key, base URL and template ids)."""
    server = NotifyTestServer()
    base_url = server.start()
    templates = {kind: server.add_template(TEMPLATE_SUBJECT, TEMPLATE_BODY) for kind in NOTIFY_KINDS}
    monkeypatch.setitem(app.config, "SFO_NOTIFY_API_KEY", API_KEY)
    monkeypatch.setitem(app.config, "SFO_NOTIFY_BASE_URL", base_url)
    monkeypatch.setitem(app.config, "SFO_NOTIFY_TEMPLATES", templates)
    yield server
    server.stop()


NOTIFY_KINDS = ("assigned", "available", "escalation", "reminder", "not_eligible")
