"""API latency, throughput and web worker memory at 1,000 and 10,000 cases, against issue 12's targets.

For each size the script loads that many cases spread over the stages into PostgreSQL, serves the app
with gunicorn as the Dockerfile does (2 gthread workers of 4 threads) and measures over HTTP, one
request at a time:

- start a case              ``POST /api/v1/process-instances`` as a provider, with a valid notification
- list my tasks             ``GET /api/v1/tasks?assignee=me&per_page=100`` as a reviewer holding 1/20 of the cases
- list team's unassigned    ``GET /api/v1/tasks?candidate=me&per_page=100`` as a member of the SFO team
- get a task                ``GET /api/v1/tasks/{id}`` (with its form)
- get an instance           ``GET /api/v1/process-instances/{id}``
- complete a task           ``POST /api/v1/tasks/{id}/complete``, each on a different ready task of a cloned case

and, in process (no HTTP, no database), the engine floor: load a mid-process case's state, complete one
task, dump the state. It prints median, p95 and n of each, and complete p50 / engine floor p50, and
each web worker's resident memory after the warm-up and after the measurements. After the last size,
``--open-tasks`` (10,000 by default; e.g. ``10000 50000``) adds open cases until the database holds
that many open tasks, and measures again, to show whether the lists stay flat. At the first level with
10,000 open tasks (or the last level) it also counts starts and completes per second with 4 concurrent
clients.

Loading: one case is driven through the real services step by step (notification ... publication), with
a snapshot of its rows after every step, plus two cases that close early (not eligible, acquitted). The
cases are then cloned in bulk with SQLAlchemy Core: new business key, provider organisation and
reviewer, every task UUID in the state replaced by a fresh one (the same mapping in the task rows and
audit rows). Completing cloned tasks through the API is what shows the clones are valid: any failure
stops the run.

The database given is emptied first. Run from the project's virtual environment:

    python bench/api_latency.py --database-url postgresql://postgres@127.0.0.1:5432/sfo_bench
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import logging
import math
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Table, UniqueConstraint, create_engine, insert, select, text
from sqlalchemy.engine import Connection, make_url

import app as app_package
from app import create_app
from app.cli import init_database
from app.demo import BASE_CHOICES, notification_dates
from app.extensions import db
from app.models import AuditEvent, ProcessDefinition, ProcessInstance, Task
from app.services import instances, tasks
from app.services.anonymisation import reference_tails
from app.services.definitions import latest_definition, model_of
from app.services.runtime import runtime
from app.services.sample_data import sample_for
from app.services.users import create_token, create_user, get_user

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROCESS_KEY = "sfo_review"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/sfo_bench"

# Identifiers of the template cases, replaced in every clone. Unique strings, so plain text replacement
# in the state and data JSON is safe.
TEMPLATE_ORG = "bench-template-org"
TEMPLATE_REVIEWER = "reviewer.template"
TEMPLATE_PROVIDER = "provider.template"
TEMPLATE_KEYS = {"main": "BENCHTPL-MAIN", "not_eligible": "BENCHTPL-NOTELIG", "acquitted": "BENCHTPL-ACQUIT"}
CLONE_PREFIX = "BENCH-"

ORGANISATIONS = ("north-probation", "south-probation", "east-probation", "west-probation")
REVIEWER_COUNT = 20
MEASURED_REVIEWER = "reviewer01"
TEAM, QA, PUBLICATION, MANAGER = "casemanager1", "qa1", "publisher1", "manager1"
APPROVER = "publisher2"  # approves publication: the anonymiser may not
LANE_ACTORS = {"sfo-team": TEAM, "quality-assurer": QA, "publication": PUBLICATION, "manager": MANAGER}
CLOSED_SHARE = 0.2  # of the cloned cases; the rest are spread evenly over the open stages
FLOOR_TASK = "draft_report"  # the engine floor completes this task of a cloned case (drafting stage)
LIST_ROWS = 100  # per_page of the timed lists

# Issue 12's targets: p50 over HTTP in milliseconds at TARGET_CASES cases, memory per web worker, and
# starts and completes per second with THROUGHPUT_CLIENTS concurrent clients.
TARGET_CASES = 10_000
TARGET_OPEN_TASKS = 10_000
TARGETS_MS = {
    "start a case": 8.0,
    "list my tasks": 5.0,
    "list team's unassigned": 5.0,
    "get a task": 3.0,
    "get an instance": 3.0,
    "complete a task": 8.0,
}
WORKER_MEMORY_TARGET_MB = 100.0
THROUGHPUT_TARGET = 150.0
THROUGHPUT_CLIENTS = 4

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# --- statistics and output --------------------------------------------------------------------------


@dataclass
class Figure:
    name: str
    samples: list[float] = field(default_factory=list)
    note: str = ""  # e.g. the rows a list returned

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]  # nearest rank

    def row(self) -> str:
        line = f"  {self.name:<34} {len(self.samples):>5} {self.p50:>9.2f} {self.p95:>9.2f}"
        target = TARGETS_MS.get(self.name)
        if target is not None:
            line += f"  <= {target:<4.0f} {verdict(self.p50 <= target):<6}"
        return f"{line}  {self.note}".rstrip()


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def say(message: str) -> None:
    print(message, flush=True)


# --- database set-up --------------------------------------------------------------------------------


def ensure_database(url: str, allow_any: bool) -> None:
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise SystemExit("The benchmark needs PostgreSQL: give a postgresql:// URL.")
    name = parsed.database or ""
    if "bench" not in name and not allow_any:
        raise SystemExit(f"Refusing to empty database '{name}': use a name containing 'bench' or --allow-any-database.")
    admin = create_engine(
        parsed.set(drivername="postgresql+psycopg", database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def hold_run_lock(app: Flask) -> Connection:
    """A session lock on the database for the whole run: a second run against it stops at once instead of
    dropping the tables under the first one's server."""
    with app.app_context():
        connection = db.engine.connect()
    if not connection.scalar(text("SELECT pg_try_advisory_lock(hashtext('sfo-bench'))")):
        raise SystemExit("Another benchmark run is using this database; give another --database-url.")
    connection.commit()
    return connection


def reset_database(app: Flask) -> None:
    """Empty the database, then what ``sfo init`` does: migrate and deploy bpmn/ and forms/."""
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    for line in init_database(app):
        say(f"  {line}")


def people() -> list[tuple[str, str, str | None]]:
    """The users of every lane: username, role, organisation."""
    everyone: list[tuple[str, str, str | None]] = [
        (f"provider.{org.split('-')[0]}", "provider", org) for org in ORGANISATIONS
    ]
    everyone += [(TEMPLATE_PROVIDER, "provider", TEMPLATE_ORG), (TEMPLATE_REVIEWER, "reviewer", None)]
    everyone += [(reviewer_name(i), "reviewer", None) for i in range(REVIEWER_COUNT)]
    everyone += [(TEAM, "sfo-team", None), ("casemanager2", "sfo-team", None), (QA, "quality-assurer", None)]
    everyone += [(PUBLICATION, "publication", None), (APPROVER, "publication", None), (MANAGER, "manager", None)]
    return everyone


def create_people(app: Flask) -> dict[str, str]:
    """Users of every lane and an API token for each; returns username -> token."""
    tokens = {}
    with app.app_context():
        for username, role, organisation in people():
            create_user(username, role, None, organisation=organisation, email=f"{username}@example.org")
            tokens[username] = create_token(username)
    return tokens


def new_tokens(app: Flask) -> dict[str, str]:
    """A new API token for each of the users an earlier run created; returns username -> token."""
    with app.app_context():
        return {username: create_token(username) for username, _, _ in people()}


def reviewer_name(index: int) -> str:
    return f"reviewer{index + 1:02d}"


def provider_of(organisation: str) -> str:
    return f"provider.{organisation.split('-')[0]}"


# --- template cases, driven through the services ----------------------------------------------------


@dataclass
class Snapshot:
    """The rows of one case after one step: what a clone copies."""

    label: str
    instance: dict[str, Any]
    tasks: list[dict[str, Any]]
    events: list[dict[str, Any]]
    extra: dict[str, list[dict[str, Any]]]  # rows of other per-case tables, by table name

    @property
    def closed(self) -> bool:
        return self.instance["status"] in ("completed", "cancelled")

    @property
    def stage(self) -> str:
        return "closed" if self.closed else str(self.instance["stage"])


def snapshot(instance_id: int, label: str) -> Snapshot:
    db.session.expire_all()
    with db.engine.connect() as connection:
        instance = dict(
            connection.execute(select(ProcessInstance.__table__).where(ProcessInstance.id == instance_id))
            .one()
            ._mapping
        )
        task_rows = connection.execute(
            select(Task.__table__).where(Task.instance_id == instance_id).order_by(Task.created_at)
        )
        event_rows = connection.execute(
            select(AuditEvent.__table__).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)
        )
        extra = {
            table.name: [
                dict(r._mapping) for r in connection.execute(select(table).where(table.c.instance_id == instance_id))
            ]
            for table in case_tables()[0]
        }
        return Snapshot(
            label, instance, [dict(r._mapping) for r in task_rows], [dict(r._mapping) for r in event_rows], extra
        )


def case_tables() -> tuple[list[Table], list[str]]:
    """Other tables holding rows per case (projections such as themes or recommendations), to clone as
    they are, and the names of those left out: the outbox, and tables with unique columns of their own."""
    cloned: list[Table] = []
    skipped: list[Table] = []
    for table in db.metadata.sorted_tables:
        refers = any(fk.column.table.name == "process_instance" for fk in table.foreign_keys)
        if not refers or "instance_id" not in table.c or table.name in ("task", "audit_event"):
            continue
        unique = [
            column
            for constraint in table.constraints
            if isinstance(constraint, UniqueConstraint)
            for column in constraint.columns
            if column.name != "instance_id"
        ]
        unique += [column for column in table.columns if column.unique and column.name != "instance_id"]
        (skipped if unique or table.name == "outbox" else cloned).append(table)
    return cloned, [table.name for table in skipped]


def drive_template(key: str, choices: dict[str, Any]) -> list[Snapshot]:
    """Start a case and complete its ready tasks one by one as the right people, snapshotting each step."""
    provider = get_user(TEMPLATE_PROVIDER)
    assert provider is not None
    start_form = model_of(latest_definition(PROCESS_KEY)).start_form()  # type: ignore[arg-type]
    today = dt.date.today()
    data = sample_for(start_form.schema if start_form else {}, choices, today)
    data.update(notification_dates(today), case_reference=key, provider_org=TEMPLATE_ORG)
    row = instances.start_case(provider, PROCESS_KEY, key, data)
    shots = [snapshot(row.id, "started")]
    for _ in range(60):
        if row.status not in ("running", "waiting"):
            break
        ready = [t for t in instances.tasks_of(row, "ready") if t.lane != "manager"]
        if ready:
            task = ready[0]
            actor = get_user(
                task.assignee
                or (provider.username if task.lane == "provider" else LANE_ACTORS[task.lane or "sfo-team"])
            )
            if task.bpmn_id == "approve_publication":  # who anonymised the report may not approve it
                actor = get_user(APPROVER)
            form = tasks.form_of(task)
            label = task.bpmn_id
            row = tasks.complete_task(actor, task.id, sample_for(form.schema if form else {}, choices, today))  # type: ignore[arg-type]
        else:
            outcome = {"court_outcome": choices["court_outcome"], "outcome_date": today.isoformat()}
            label = "court-outcome"
            row = instances.deliver_message(get_user(MANAGER), "court-outcome", key, outcome)  # type: ignore[arg-type]
        shots.append(snapshot(row.id, f"after {label}"))
    return shots


def build_templates(app: Flask) -> list[Snapshot]:
    choices = {**BASE_CHOICES, "reviewer": TEMPLATE_REVIEWER, "court_outcome": "convicted_sfo"}
    with app.app_context():
        main = drive_template(TEMPLATE_KEYS["main"], choices)
        not_eligible = drive_template(TEMPLATE_KEYS["not_eligible"], {**choices, "eligible": False})
        acquitted = drive_template(TEMPLATE_KEYS["acquitted"], {**choices, "court_outcome": "acquitted"})
    for shots in (main, not_eligible, acquitted):
        if not shots[-1].closed:
            raise SystemExit(f"Template case {shots[-1].instance['business_key']} did not close: {shots[-1].stage}")
    return main + [not_eligible[-1], acquitted[-1]]


# --- bulk cloning -----------------------------------------------------------------------------------


class Cloner:
    """Writes clones of the template snapshots, spread over stages, reviewers and organisations."""

    def __init__(self, app: Flask, templates: list[Snapshot], seed: int):
        self.app = app
        self.rng = random.Random(seed)
        self.count = 0
        groups: dict[str, list[Snapshot]] = defaultdict(list)
        for shot in templates:
            groups[shot.stage].append(shot)
        self.closed = groups.pop("closed")
        self.open_stages = list(groups.items())
        self.turns: dict[str, int] = defaultdict(int)

    def ready_tasks_per_open_case(self) -> float:
        shots = [shot for _, group in self.open_stages for shot in group]
        return sum(sum(task["state"] == "ready" for task in shot.tasks) for shot in shots) / len(shots)

    def stage_plan(self) -> str:
        counts = ", ".join(f"{stage} {len(shots)}" for stage, shots in self.open_stages)
        with self.app.app_context():
            cloned, skipped = case_tables()
        other = ", ".join(t.name for t in cloned) or "none"
        return (
            f"open stages (template snapshots): {counts}; closed {len(self.closed)}\n"
            f"  cloned per case besides instance, task and audit rows: {other}; not cloned: {', '.join(skipped)}"
        )

    def _pick(self, open_only: bool) -> Snapshot:
        if not open_only and self.rng.random() < CLOSED_SHARE:
            stage, shots = "closed", self.closed
        else:
            stage, shots = self.open_stages[self.rng.randrange(len(self.open_stages))]
        self.turns[stage] += 1
        return shots[self.turns[stage] % len(shots)]

    def add(self, how_many: int, open_only: bool = False, batch: int = 500) -> None:
        with self.app.app_context():
            with db.engine.begin() as connection:
                next_id = connection.scalar(text("SELECT coalesce(max(id), 0) + 1 FROM process_instance"))
            done = 0
            while done < how_many:
                size = min(batch, how_many - done)
                rows: dict[Table, list[dict[str, Any]]] = defaultdict(list)
                for offset in range(size):
                    self._clone(self._pick(open_only), next_id + done + offset, rows)
                with db.engine.begin() as connection:
                    for table in db.metadata.sorted_tables:  # parents first
                        if rows.get(table):
                            connection.execute(insert(table), rows[table])
                done += size
            with db.engine.begin() as connection:
                sequence = "pg_get_serial_sequence('process_instance', 'id')"
                connection.execute(text(f"SELECT setval({sequence}, (SELECT max(id) FROM process_instance))"))
            # As autovacuum does soon after a load this size: without the visibility map, counting the team's
            # unassigned tasks visits every row's page (26 ms at 50,000 open tasks) instead of the index (3 ms).
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM (ANALYZE)"))

    def _clone(self, shot: Snapshot, new_id: int, rows: dict[Table, list[dict[str, Any]]]) -> None:
        self.count += 1
        number = self.count
        template = shot.instance
        key = f"{CLONE_PREFIX}{number:06d}"
        organisation = ORGANISATIONS[number % len(ORGANISATIONS)]
        reviewer = reviewer_name(number % REVIEWER_COUNT)
        replacements = (
            (template["business_key"], key),
            (TEMPLATE_ORG, organisation),
            (TEMPLATE_REVIEWER, reviewer),
            (TEMPLATE_PROVIDER, provider_of(organisation)),
        )
        ids: dict[str, str] = {}

        def fresh(match: re.Match[str]) -> str:
            old = match.group(0)
            new = ids.get(old)
            if new is None:
                new = ids[old] = str(uuid.uuid4())
            return new

        def rewrite(value: str) -> str:
            for old, new in replacements:
                value = value.replace(old, new)
            return UUID_RE.sub(fresh, value)

        def rewrite_json(value: Any) -> Any:
            return json.loads(rewrite(json.dumps(value)))

        shift = dt.timedelta(minutes=self.rng.randrange(0, 60 * 24 * 60))

        def copy(table: Table, row: dict[str, Any], **fixed: Any) -> None:
            """The row with every text rewritten and every moment shifted; serial ids left to the database."""
            values: dict[str, Any] = {}
            for name, value in row.items():
                if isinstance(value, str):
                    value = rewrite(value)
                elif isinstance(value, dict | list):
                    value = rewrite_json(value)
                elif isinstance(value, dt.datetime):
                    value = value - shift
                values[name] = value
            serial = table.autoincrement_column
            if serial is not None and serial.name not in fixed:
                values.pop(serial.name, None)
            rows[table].append({**values, **fixed})

        tail, unpadded = reference_tails(key)  # as the model sets them with the reference
        copy(ProcessInstance.__table__, template, id=new_id, reference_tail=tail, reference_tail_unpadded=unpadded)
        for task in shot.tasks:
            copy(Task.__table__, task, instance_id=new_id)
        for event in shot.events:
            copy(AuditEvent.__table__, event, instance_id=new_id)
        for table in case_tables()[0]:
            for row in shot.extra.get(table.name, []):
                copy(table, row, instance_id=new_id)


# --- the server ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(
    database_url: str, port: int, log_path: Path, workers: int, threads: int
) -> Iterator[subprocess.Popen[bytes]]:
    """The server as the Dockerfile runs it (gunicorn.conf.py read from the project, Prometheus's
    multiprocess directory set), with ``workers`` workers of ``threads`` threads (sync workers for 1)."""
    env = {**os.environ, "DATABASE_URL": database_url, "SFO_SECRET_KEY": "bench-secret-key", "SFO_ENV": "production"}
    env["SFO_READY_WORKER_SECONDS"] = "0"  # no worker runs while measuring (timers stay still): ready without one
    env["PROMETHEUS_MULTIPROC_DIR"] = str(log_path.parent / "prometheus")
    env.pop("SFO_EMBEDDED_WORKER", None)
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}"]
    if threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    command.append("app:create_app()")
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log)
    try:
        wait_ready(port, process, log_path)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Memory:
    """One process's memory, in MB (Linux /proc/PID/smaps_rollup). RSS counts every page the process
    maps, including those it shares with the master and the other workers (copy-on-write after fork);
    USS only its own pages (what stopping it frees); PSS its own pages plus its share of each shared page
    (the shared page divided by the processes sharing it), so the PSS of all processes adds up to what
    the server uses."""

    rss: float
    pss: float
    uss: float

    @classmethod
    def of(cls, pid: int | str) -> Memory:
        fields = {}
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            name, value, *_ = line.split()
            fields[name.rstrip(":")] = int(value) / 1024
        return cls(fields["Rss"], fields["Pss"], fields["Private_Clean"] + fields["Private_Dirty"])


def megabytes(sizes: Iterable[float]) -> str:
    return ", ".join(f"{size:.0f}" for size in sizes)


def worker_memory(master_pid: int) -> list[Memory]:
    """The memory of each gunicorn worker (the master's children)."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [Memory.of(pid) for pid in children]


def wait_ready(port: int, process: subprocess.Popen[bytes], log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}); see {log_path}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/readyz")
            response = connection.getresponse()
            last = f"{response.status} {response.read().decode(errors='replace')[:300]}"
            if response.status == 200:
                return
        except OSError as error:
            last = str(error)
        time.sleep(0.2)
    raise SystemExit(f"gunicorn was not ready within {timeout:.0f} s (last /readyz: {last}); see {log_path}")


class Client:
    """One HTTP/1.1 connection to 127.0.0.1, kept alive between requests (sync workers close it after each
    response; http.client then reopens it). A connection idle for longer than IDLE_SECONDS is closed before
    the next request: gunicorn closes idle connections after 2 s (its keep-alive), and a request sent as it
    does would fail."""

    IDLE_SECONDS = 1.0

    def __init__(self, port: int, tokens: dict[str, str]):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.tokens = tokens
        self.answered = time.perf_counter()

    def call(self, method: str, path: str, user: str, body: Any = None) -> tuple[int, Any, float]:
        headers = {"Accept": "application/json", "Authorization": f"Bearer {self.tokens[user]}"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        if started - self.answered > self.IDLE_SECONDS:
            self.connection.close()
        self.connection.request(method, path, body=payload, headers=headers)
        response = self.connection.getresponse()
        raw = response.read()
        self.answered = time.perf_counter()
        elapsed = (self.answered - started) * 1000
        return response.status, json.loads(raw) if raw else None, elapsed

    def expect(self, status: int, method: str, path: str, user: str, body: Any = None) -> tuple[Any, float]:
        got, answer, elapsed = self.call(method, path, user, body)
        if got != status:
            raise SystemExit(f"{method} {path} as {user}: expected {status}, got {got}: {json.dumps(answer)[:2000]}")
        return answer, elapsed


# --- measurements ---------------------------------------------------------------------------------


@dataclass
class ReadyTask:
    id: str
    bpmn_id: str
    actor: str
    instance_id: int
    reviewer: str | None


def completion_candidates(
    app: Flask, used: set[int], how_many: int, rng: random.Random, minimum: int | None = None
) -> list[ReadyTask]:
    """Up to ``how_many`` ready tasks of cloned cases (at least ``minimum``, all by default), one per case,
    taking task types in turn so every stage is represented."""
    query = text(
        "SELECT t.id, t.bpmn_id, t.lane, t.assignee, t.organisation, t.instance_id, p.reviewer"
        " FROM task t JOIN process_instance p ON p.id = t.instance_id"
        " WHERE t.state = 'ready' AND t.lane <> 'manager' AND p.status IN ('running', 'waiting')"
        " AND p.business_key LIKE :prefix ORDER BY t.id"
    )
    by_type: dict[str, list[ReadyTask]] = defaultdict(list)
    with app.app_context(), db.engine.connect() as connection:
        for row in connection.execute(query, {"prefix": f"{CLONE_PREFIX}%"}):
            actor: str | None = (
                provider_of(row.organisation)
                if row.lane == "provider"
                else row.assignee or LANE_ACTORS.get(row.lane or "")
            )
            if row.bpmn_id == "approve_publication":  # who anonymised the report may not approve it
                actor = APPROVER
            if actor is None or row.instance_id in used:
                continue
            by_type[row.bpmn_id].append(ReadyTask(row.id, row.bpmn_id, actor, row.instance_id, row.reviewer))
    for tasks_of_type in by_type.values():
        rng.shuffle(tasks_of_type)
    picked: list[ReadyTask] = []
    while len(picked) < how_many and any(by_type.values()):
        for name in sorted(by_type):
            while by_type[name] and by_type[name][-1].instance_id in used:
                by_type[name].pop()
            if by_type[name] and len(picked) < how_many:
                task = by_type[name].pop()
                used.add(task.instance_id)
                picked.append(task)
    needed = how_many if minimum is None else minimum
    if len(picked) < needed:
        raise SystemExit(f"Only {len(picked)} ready tasks of distinct cloned cases; need {needed}.")
    return picked


@dataclass
class Call:
    """One prepared request and the status that counts as success."""

    method: str
    path: str
    user: str
    body: Any = None
    status: int = 200


@dataclass
class Throughput:
    name: str
    done: int
    failed: int
    seconds: float
    failures: list[str]

    @property
    def per_second(self) -> float:
        return self.done / self.seconds


def in_parallel(
    name: str, port: int, tokens: dict[str, str], clients: int, calls: list[Call], seconds: float
) -> Throughput:
    """Send ``calls`` in order from ``clients`` threads, each with its own connection, until they run out or
    ``seconds`` have passed; count the answers with the expected status."""
    pending = iter(calls)
    lock = threading.Lock()
    counts = {"done": 0, "failed": 0}
    failures: list[str] = []
    deadline = time.perf_counter() + seconds

    def work() -> None:
        client = Client(port, tokens)
        while time.perf_counter() < deadline:
            with lock:
                call = next(pending, None)
            if call is None:
                return
            try:
                status, answer, _ = client.call(call.method, call.path, call.user, call.body)
                failure = (
                    "" if status == call.status else f"{call.method} {call.path}: {status} {json.dumps(answer)[:300]}"
                )
            except (OSError, http.client.HTTPException) as error:
                client.connection.close()
                failure = f"{call.method} {call.path}: {error!r}"
            with lock:
                counts["failed" if failure else "done"] += 1
                if failure:
                    failures.append(failure)

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Throughput(name, counts["done"], counts["failed"], time.perf_counter() - started, failures)


@dataclass
class LevelResult:
    """What one load level measured."""

    label: str
    latency: list[Figure]
    floor: list[Figure]
    by_task_type: dict[str, Figure]
    counts: dict[str, int]
    open_tasks: int
    memory_warm: list[Memory]
    memory_after: list[Memory]
    memory_master: Memory
    throughput: list[Throughput]
    load: float


class ApiBench:
    def __init__(
        self, port: int, server_pid: int, tokens: dict[str, str], app: Flask, args: argparse.Namespace, label: str
    ):
        self.port = port
        self.server_pid = server_pid
        self.tokens = tokens
        self.client = Client(port, tokens)
        self.app = app
        self.args = args
        self.label = label
        self.today = dt.date.today()
        self.started = 0
        self.by_task_type: dict[str, Figure] = {}
        self.schemas: dict[str, dict[str, Any]] = {}  # form schema by task type
        self.start_schema: dict[str, Any] = {}

    def list_my_tasks(self) -> tuple[dict[str, Any], float]:
        path = f"/api/v1/tasks?assignee=me&per_page={LIST_ROWS}"
        return self.client.expect(200, "GET", path, MEASURED_REVIEWER)  # type: ignore[no-any-return]

    def list_unassigned(self) -> tuple[dict[str, Any], float]:
        path = f"/api/v1/tasks?candidate=me&per_page={LIST_ROWS}"
        return self.client.expect(200, "GET", path, TEAM)  # type: ignore[no-any-return]

    def get_task(self, task_id: str, user: str) -> tuple[dict[str, Any], float]:
        return self.client.expect(200, "GET", f"/api/v1/tasks/{task_id}", user)  # type: ignore[no-any-return]

    def get_instance(self, instance_id: int) -> tuple[dict[str, Any], float]:
        return self.client.expect(200, "GET", f"/api/v1/process-instances/{instance_id}", MEASURED_REVIEWER)  # type: ignore[no-any-return]

    def completion_data(self, task: ReadyTask, schema: dict[str, Any]) -> dict[str, Any]:
        reviewer = task.reviewer or reviewer_name(task.instance_id % REVIEWER_COUNT)
        choices = {**BASE_CHOICES, "reviewer": reviewer, "court_outcome": "convicted_sfo"}
        data = sample_for(schema, choices, self.today)
        if "public_title" in data:  # each published review's title must be its own
            data["public_title"] = f"{data['public_title']} {task.instance_id}"[:120]
        return data

    def complete(self, task: ReadyTask) -> float:
        detail, _ = self.get_task(task.id, task.actor)
        data = self.completion_data(task, detail["form"]["schema"])
        answer, elapsed = self.client.expect(
            200, "POST", f"/api/v1/tasks/{task.id}/complete", task.actor, {"data": data}
        )
        if answer["id"] != task.instance_id:
            raise SystemExit(f"Completing {task.id} answered for case {answer['id']}, not {task.instance_id}")
        self.by_task_type.setdefault(task.bpmn_id, Figure(task.bpmn_id)).samples.append(elapsed)
        return elapsed

    def complete_call(self, task: ReadyTask) -> Call:
        """The completion of ``task`` prepared beforehand (the form read once per task type, untimed)."""
        if task.bpmn_id not in self.schemas:
            self.schemas[task.bpmn_id] = self.get_task(task.id, task.actor)[0]["form"]["schema"]
        data = self.completion_data(task, self.schemas[task.bpmn_id])
        return Call("POST", f"/api/v1/tasks/{task.id}/complete", task.actor, {"data": data})

    def start_call(self) -> Call:
        self.started += 1
        organisation = ORGANISATIONS[self.started % len(ORGANISATIONS)]
        key = f"BENCHSTART-{self.label}-{self.started:05d}"
        data = sample_for(self.start_schema, {"other_reviews": []}, self.today)
        data.update(notification_dates(self.today), case_reference=key, provider_org=organisation)
        body = {"process_key": PROCESS_KEY, "business_key": key, "data": data}
        return Call("POST", "/api/v1/process-instances", provider_of(organisation), body, 201)

    def start(self) -> float:
        call = self.start_call()
        answer, elapsed = self.client.expect(call.status, call.method, call.path, call.user, call.body)
        key = call.body["business_key"]
        if answer["business_key"] != key or answer["status"] not in ("running", "waiting"):
            raise SystemExit(f"Started case {key} looks wrong: {json.dumps(answer)[:500]}")
        return elapsed

    def warm_up(self, candidates: list[ReadyTask], task_ids: list[str], instance_ids: list[int]) -> None:
        """Untimed requests of every kind from concurrent clients, so that every worker has parsed the model
        and filled its pool before its memory is read and anything is timed."""
        calls: list[Call] = []
        for number, task in enumerate(candidates):
            calls += [
                Call("GET", f"/api/v1/tasks?assignee=me&per_page={LIST_ROWS}", MEASURED_REVIEWER),
                Call("GET", f"/api/v1/tasks?candidate=me&per_page={LIST_ROWS}", TEAM),
                Call("GET", f"/api/v1/tasks/{task_ids[number % len(task_ids)]}", MEASURED_REVIEWER),
                Call("GET", f"/api/v1/process-instances/{instance_ids[number % len(instance_ids)]}", MEASURED_REVIEWER),
                self.complete_call(task),
                self.start_call(),
            ]
        warm = in_parallel("warm-up", self.port, self.tokens, THROUGHPUT_CLIENTS, calls, seconds=600)
        if warm.failed:
            raise SystemExit(f"{warm.failed} warm-up requests failed, the first: {warm.failures[0]}")

    def run(self, used: set[int], rng: random.Random) -> tuple[list[Figure], list[Memory]]:
        """The timed requests, one at a time; returns the figures and each worker's memory after the warm-up."""
        args = self.args
        definition, _ = self.client.expect(200, "GET", f"/api/v1/process-definitions/{PROCESS_KEY}", MANAGER)
        self.start_schema = definition["start_form"]["schema"]
        candidates = completion_candidates(self.app, used, args.warmup + args.completes, rng)
        mine, _ = self.list_my_tasks()
        unassigned, _ = self.list_unassigned()
        task_ids = [item["id"] for item in mine["items"]]
        instance_ids = sorted({item["process_instance_id"] for item in mine["items"]})
        if not task_ids or not unassigned["items"]:
            raise SystemExit(f"{MEASURED_REVIEWER} or {TEAM} has no ready tasks; the load went wrong.")
        self.warm_up(candidates[: args.warmup], task_ids, instance_ids)
        memory = worker_memory(self.server_pid)
        self.by_task_type.clear()
        rows = f"({len(mine['items'])} rows of {mine['total']})"
        listing = Figure("list my tasks", [self.list_my_tasks()[1] for _ in range(args.requests)], rows)
        rows = f"({len(unassigned['items'])} rows of {unassigned['total']})"
        unclaimed = Figure("list team's unassigned", [self.list_unassigned()[1] for _ in range(args.requests)], rows)
        getting = Figure(
            "get a task",
            [self.get_task(task_ids[n % len(task_ids)], MEASURED_REVIEWER)[1] for n in range(args.requests)],
        )
        instance = Figure(
            "get an instance",
            [self.get_instance(instance_ids[n % len(instance_ids)])[1] for n in range(args.requests)],
        )
        completing = Figure("complete a task", [self.complete(task) for task in candidates[args.warmup :]])
        starting = Figure("start a case", [self.start() for _ in range(args.starts)])
        return [starting, listing, unclaimed, getting, instance, completing], memory

    def throughput(self, used: set[int], rng: random.Random) -> list[Throughput]:
        """Starts, then completes (each on its own case, prepared beforehand), from concurrent clients."""
        seconds, clients = self.args.throughput_seconds, THROUGHPUT_CLIENTS
        starts = [self.start_call() for _ in range(int(seconds * self.args.throughput_ceiling))]
        candidates = completion_candidates(
            self.app, used, int(seconds * self.args.throughput_ceiling), rng, minimum=int(seconds * THROUGHPUT_TARGET)
        )
        completes = [self.complete_call(task) for task in candidates]
        return [
            in_parallel("starts", self.port, self.tokens, clients, starts, seconds),
            in_parallel("completes", self.port, self.tokens, clients, completes, seconds),
        ]


def engine_floor(app: Flask, repetitions: int) -> list[Figure]:
    """Load state -> complete one task -> dump state, in process, from the same cloned state each time."""
    with app.app_context():
        row = db.session.execute(
            select(Task.id, ProcessInstance.id.label("instance_id"))
            .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
            .where(
                Task.bpmn_id == FLOOR_TASK, Task.state == "ready", ProcessInstance.business_key.like(f"{CLONE_PREFIX}%")
            )
            .order_by(ProcessInstance.id.desc())
            .limit(1)
        ).one()
        instance = db.session.get(ProcessInstance, row.instance_id)
        assert instance is not None
        state = instance.state
        definition = db.session.get(ProcessDefinition, instance.definition_id)
        model = runtime().model_for(definition)  # type: ignore[arg-type]
        element = model.element(FLOOR_TASK)
        form = model.form_for(element) if element is not None else None
        data = sample_for(form.schema if form else {}, BASE_CHOICES, dt.date.today())
        engine = runtime().engine
        total, load, complete, dump = (
            Figure(n) for n in ("engine floor", "  of which load", "  of which complete", "  of which dump")
        )
        for repetition in range(repetitions + 20):
            t0 = time.perf_counter()
            loaded = engine.load(model, state)
            t1 = time.perf_counter()
            loaded.complete_task(row.id, data)
            t2 = time.perf_counter()
            engine.dump(loaded)
            t3 = time.perf_counter()
            if repetition >= 20:  # the first ones warm caches
                total.samples.append((t3 - t0) * 1000)
                load.samples.append((t1 - t0) * 1000)
                complete.samples.append((t2 - t1) * 1000)
                dump.samples.append((t3 - t2) * 1000)
        db.session.rollback()
    return [total, load, complete, dump]


# --- the run ------------------------------------------------------------------------------------------


def count_cases(app: Flask) -> tuple[dict[str, int], int]:
    """Cases by stage, and the open (ready) tasks."""
    with app.app_context(), db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT coalesce(stage, '-'), status, count(*) FROM process_instance GROUP BY 1, 2")
        )
        counts: dict[str, int] = defaultdict(int)
        for stage, status, number in rows:
            counts["closed" if status in ("completed", "cancelled") else stage] += number
        open_tasks = connection.scalar(text("SELECT count(*) FROM task WHERE state = 'ready'"))
        return dict(counts), int(open_tasks or 0)


def grow_cases(cloner: Cloner, size: int) -> None:
    cloner.add(size - cloner.count)


def grow_open_tasks(app: Flask, cloner: Cloner, target: int) -> None:
    """Clone open cases until the database holds at least ``target`` open tasks."""
    while (missing := target - count_cases(app)[1]) > 0:
        cloner.add(math.ceil(missing / cloner.ready_tasks_per_open_case()), open_only=True)


def timed(label: str, action: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = action()
    say(f"  {label}: {time.perf_counter() - started:.1f} s")
    return result


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL),
        help="PostgreSQL database to empty and fill (default: %(default)s)",
    )
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[1000, 10000],
        help="case counts to measure at, ascending (default: 1000 10000)",
    )
    parser.add_argument(
        "--open-tasks",
        type=int,
        nargs="*",
        default=[TARGET_OPEN_TASKS],
        help="after the last size, add open cases until this many tasks are open and measure again, for each "
        "count, ascending (default: %(default)s; e.g. 10000 50000; none: no such level)",
    )
    parser.add_argument("--requests", type=int, default=300, help="timed list and get requests per size")
    parser.add_argument("--completes", type=int, default=200, help="timed completions per size (each a new task)")
    parser.add_argument("--starts", type=int, default=100, help="timed case starts per size")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests of each kind before measuring")
    parser.add_argument("--floor-repetitions", type=int, default=300, help="engine floor repetitions per size")
    parser.add_argument(
        "--throughput-seconds", type=float, default=10, help="seconds of starts, then of completes, at the last size"
    )
    parser.add_argument(
        "--throughput-ceiling",
        type=int,
        default=400,
        help="starts and completes prepared per throughput second (the most a run can count)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default: the Dockerfile's 2)")
    parser.add_argument(
        "--threads", type=int, default=4, help="threads per gthread worker; 1 for sync workers (default: 4)"
    )
    parser.add_argument("--port", type=int, default=0, help="gunicorn port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--keep-cases",
        action="store_true",
        help="measure once, against the cases an earlier run left (no reset, no deploy, no cloning; "
        "--sizes and --open-tasks are ignored)",
    )
    parser.add_argument(
        "--allow-any-database", action="store_true", help="empty the database even if its name does not contain 'bench'"
    )
    args = parser.parse_args(argv)
    if args.sizes != sorted(args.sizes) or args.sizes[0] < 1:
        parser.error("--sizes must be positive and ascending (each size adds cases to the previous one)")
    if args.open_tasks != sorted(args.open_tasks):
        parser.error("--open-tasks must be ascending (each count adds open cases to the previous one)")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    run_started = time.perf_counter()
    if Path(app_package.__file__).resolve().parent.parent != PROJECT_ROOT:
        # gunicorn serves the app of PROJECT_ROOT; the loader and the engine floor must use the same code.
        raise SystemExit(f"The app package imported is not this checkout's: {app_package.__file__}")
    logging.basicConfig(level=logging.WARNING)  # before create_app: keeps the engine's INFO lines out of the output
    ensure_database(args.database_url, args.allow_any_database)
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url})
    guard = hold_run_lock(app)
    say(f"Database {make_url(args.database_url).render_as_string(hide_password=True)}")
    say("Setting up")
    if args.keep_cases:
        tokens = timed("tokens", lambda: new_tokens(app))
        levels: list[tuple[str, Callable[[], None]]] = [("the cases an earlier run left", lambda: None)]
    else:
        timed("reset, migrate, deploy", lambda: reset_database(app))
        tokens = timed("users and tokens", lambda: create_people(app))
        templates = timed("template cases through the services", lambda: build_templates(app))
        cloner = Cloner(app, templates, args.seed)
        say(f"  {len(templates)} snapshots; {cloner.stage_plan()}")
        levels = [(f"{size:,} cases", partial(grow_cases, cloner, size)) for size in args.sizes]
        levels += [(f"{n:,} open tasks", partial(grow_open_tasks, app, cloner, n)) for n in args.open_tasks]
    rng = random.Random(args.seed)
    used: set[int] = set()
    run = f"{int(time.time()) % 100_000}-" if args.keep_cases else ""  # the cases started stay: new references
    log_path = Path(tempfile.mkdtemp(prefix="sfo-bench-")) / "gunicorn.log"
    port = args.port or free_port()
    results: list[LevelResult] = []
    throughput_measured = False
    for number, (label, load_cases) in enumerate(levels):
        say(f"\n{label}")
        if not args.keep_cases:
            timed("cloning cases", load_cases)
        counts, open_tasks = count_cases(app)
        # throughput once: at the targets' open-task count, with tasks enough to complete, or at the end
        with_throughput = not throughput_measured and (open_tasks >= TARGET_OPEN_TASKS or number == len(levels) - 1)
        throughput_measured |= with_throughput
        with gunicorn(args.database_url, port, log_path, args.workers, args.threads) as server:
            bench = ApiBench(port, server.pid, tokens, app, args, f"{run}{number}")
            latency, warm = timed("HTTP measurements", lambda: bench.run(used, rng))  # noqa: B023
            rates = timed("throughput", lambda: bench.throughput(used, rng)) if with_throughput else []  # noqa: B023
            after, master = worker_memory(server.pid), Memory.of(server.pid)
        floor = timed("engine floor", lambda: engine_floor(app, args.floor_repetitions))
        load = os.getloadavg()[0]  # other work on the machine skews every figure: show it
        results.append(
            LevelResult(
                label, latency, floor, dict(bench.by_task_type), counts, open_tasks, warm, after, master, rates, load
            )
        )
    report(results, args, time.perf_counter() - run_started, log_path)
    guard.close()


def report(results: list[LevelResult], args: argparse.Namespace, elapsed: float, log_path: Path) -> None:
    server = f"gunicorn --workers {args.workers}" + (
        f" --worker-class gthread --threads {args.threads}" if args.threads > 1 else " (sync workers)"
    )
    say("\n" + "=" * 100)
    say(
        f"API over HTTP ({server}, 127.0.0.1), milliseconds; targets of issue 12 (p50, at {TARGET_CASES:,} cases "
        f"and {TARGET_OPEN_TASKS:,} or more open tasks)"
    )
    for result in results:
        say(
            f"\n{result.label}: {sum(result.counts.values()):,} cases and {result.open_tasks:,} open tasks in the "
            f"database when measured; 1-minute load average after measuring {result.load:.2f} on {os.cpu_count()} CPUs"
        )
        say("  cases by stage: " + ", ".join(f"{stage} {n}" for stage, n in sorted(result.counts.items())))
        say(f"  {'operation (one client)':<34} {'n':>5} {'p50':>9} {'p95':>9}  target")
        for figure in result.latency + result.floor:
            say(figure.row())
        complete = next(f for f in result.latency if f.name == "complete a task")
        say(f"  ratio complete-task p50 / engine floor p50 ({FLOOR_TASK}): {complete.p50 / result.floor[0].p50:.1f}")
        say(
            "  complete a task by task type (p50 ms, n): "
            + ", ".join(f"{name} {f.p50:.1f} ({len(f.samples)})" for name, f in sorted(result.by_task_type.items()))
        )
        for rate in result.throughput:
            say(
                f"  throughput, {THROUGHPUT_CLIENTS} clients for {rate.seconds:.1f} s: "
                f"{rate.per_second:.0f} {rate.name}/s ({rate.done} succeeded, {rate.failed} failed)  "
                f">= {THROUGHPUT_TARGET:.0f}/s "
                f"{verdict(rate.per_second >= THROUGHPUT_TARGET)}"
            )
            for failure in rate.failures[:3]:
                say(f"    failed: {failure}")
        for moment, sizes in (
            ("after the warm-up", result.memory_warm),
            ("after the measurements", result.memory_after),
        ):
            worst = max(size.pss for size in sizes)
            say(
                f"  web worker memory {moment}, MB: PSS {megabytes(s.pss for s in sizes)}  "
                f"<= {WORKER_MEMORY_TARGET_MB:.0f} MB {verdict(worst <= WORKER_MEMORY_TARGET_MB)}; "
                f"RSS {megabytes(s.rss for s in sizes)}; USS {megabytes(s.uss for s in sizes)}"
            )
        master = result.memory_master
        say(f"  gunicorn master, MB: PSS {master.pss:.0f}, RSS {master.rss:.0f}, USS {master.uss:.0f}")
    say("\nLists over open tasks (p50 ms; target <= 5, flat): open tasks | my tasks | team's unassigned")
    for result in results:
        lists = {f.name: f for f in result.latency}
        mine, unclaimed = lists["list my tasks"], lists["list team's unassigned"]
        say(f"  {result.open_tasks:>8,} | {mine.p50:6.2f} {mine.note:<22} | {unclaimed.p50:6.2f} {unclaimed.note}")
    say(f"\nRun time {elapsed:.0f} s. gunicorn log: {log_path}")


if __name__ == "__main__":
    main()
