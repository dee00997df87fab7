"""A seeded set of cases for the monitoring figures: projection rows written directly (fast), with the
seed kept as plain objects so tests can compute every figure again on their own."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert

from app.extensions import db
from app.models import CaseProvider, DeadlineExtension, ProcessInstance, Task
from app.services.anonymisation import reference_tails
from app.services.progress import STAGES

UTC = dt.UTC
REVIEWERS = ("rev.ada", "rev.bo", "rev.cy", "rev.di", "rev.ed")
PROVIDERS = ("north-probation", "south-probation", "east-probation")
OUTCOMES = ("convicted_sfo", "convicted_other", "acquitted", "discontinued", "other", "hung_jury")
LANES = {
    "notification": "provider",
    "eligibility": "sfo-team",
    "scoping": "reviewer",
    "liaison": "reviewer",
    "drafting": "reviewer",
    "quality-assurance": "quality-assurer",
    "provider-response": "provider",
    "conviction-check": "sfo-team",
    "publication": "publication",
    "closure": "sfo-team",
}


@dataclass
class SeedTask:
    id: str
    bpmn_id: str
    stage: str | None
    lane: str | None
    assignee: str | None
    due_on: dt.date | None
    state: str
    created_at: dt.datetime
    completed_at: dt.datetime | None


@dataclass
class SeedCase:
    id: int
    reference: str
    stage: str | None
    status: str
    reviewer: str | None
    provider: str
    created_at: dt.datetime
    updated_at: dt.datetime
    data: dict[str, Any]
    error_element: str | None = None
    error_message: str | None = None
    tasks: list[SeedTask] = field(default_factory=list)


@dataclass
class SeedExtension:
    instance_id: int
    task_id: str
    stage: str | None
    previous_due: dt.date
    new_due: dt.date
    approved_at: dt.datetime


@dataclass
class Seed:
    today: dt.date
    cases: list[SeedCase]
    extensions: list[SeedExtension]


# Some moments fall at 23:30 UTC: in British Summer Time, already the next day (and at a month's end, the next
# month) in London, where the figures count days and months.
LATE_HOUR = 23


def _moment(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 30 if hour == LATE_HOUR else 0), UTC)


def seed_cases(definition: Any, today: dt.date, count: int = 300, seed: int = 7) -> Seed:
    rng = random.Random(seed)
    cases: list[SeedCase] = []
    extensions: list[SeedExtension] = []
    for number in range(1, count + 1):  # ids far above the sequence, so real cases can be started alongside
        notified = today - dt.timedelta(days=rng.randrange(0, 360))
        status = rng.choices(
            ("running", "waiting", "suspended", "error", "completed", "cancelled"), weights=(50, 10, 5, 5, 20, 10)
        )[0]
        stage = rng.choice(STAGES[:-1]) if status not in ("completed", "cancelled") else "closure"
        reviewer = rng.choice(REVIEWERS) if STAGES.index(stage) >= 2 else None
        data: dict[str, Any] = {"case_reference": f"MON-{number:04d}"}
        if stage in ("publication", "closure") and rng.random() < 0.8:
            data["court_outcome"] = rng.choice(OUTCOMES)
        reference = "=SUM(1+1)" if number == 13 else f"MON-{number:04d}"
        provider = "+evil-org" if number == 14 else rng.choice(PROVIDERS)
        row = SeedCase(
            100000 + number,
            reference,
            stage,
            status,
            reviewer,
            provider,
            _moment(notified, LATE_HOUR if number % 4 == 0 else 10),
            _moment(
                min(today, notified + dt.timedelta(days=rng.randrange(0, 120))),
                LATE_HOUR if number % 12 in (0, 3, 4, 6, 8, 9) else 15,
            ),
            data,
        )
        if status == "error":
            row.error_element, row.error_message = "record_notification", f"TypeError: case {number}"
        _add_tasks(row, rng, today, extensions)
        cases.append(row)
    _write(definition, cases, extensions)
    return Seed(today, cases, extensions)


def _add_tasks(row: SeedCase, rng: random.Random, today: dt.date, extensions: list[SeedExtension]) -> None:
    day = row.created_at.date()
    for stage in STAGES[: STAGES.index(row.stage) + (1 if row.status in ("completed", "cancelled") else 0)]:
        created = day
        lasted = rng.randrange(0, 25)
        done = min(today, created + dt.timedelta(days=lasted))
        due = created + dt.timedelta(days=rng.randrange(3, 20)) if rng.random() < 0.8 else None
        row.tasks.append(
            SeedTask(
                str(uuid.uuid4()),
                f"{stage.replace('-', '_')}_task",
                stage,
                LANES[stage],
                row.reviewer if LANES[stage] == "reviewer" else "someone",
                due,
                "completed",
                _moment(created, 9),
                _moment(done, LATE_HOUR if len(row.tasks) % 3 == 0 else 16),
            )
        )
        day = done
    if row.status in ("completed", "cancelled"):
        if rng.random() < 0.3:  # a task closed by cancelling counts for nothing
            row.tasks.append(
                SeedTask(
                    str(uuid.uuid4()),
                    "closure_task",
                    "closure",
                    "sfo-team",
                    None,
                    today,
                    "cancelled",
                    _moment(day),
                    _moment(day),
                )
            )
        return
    lane = LANES[row.stage or "notification"]
    due = today + dt.timedelta(days=rng.randrange(-20, 20))
    ready = SeedTask(
        str(uuid.uuid4()),
        f"{(row.stage or '').replace('-', '_')}_task",
        row.stage,
        lane,
        row.reviewer if lane == "reviewer" else (None if rng.random() < 0.5 else "someone"),
        due if rng.random() < 0.9 else None,
        "ready",
        _moment(day, 9),
        None,
    )
    row.tasks.append(ready)
    if ready.due_on and rng.random() < 0.25:
        previous = ready.due_on - dt.timedelta(days=rng.randrange(3, 15))
        approved = _moment(max(row.created_at.date(), today - dt.timedelta(days=rng.randrange(0, 200))), 11)
        extensions.append(SeedExtension(row.id, ready.id, ready.stage, previous, ready.due_on, approved))


def _write(definition: Any, cases: list[SeedCase], extensions: list[SeedExtension]) -> None:
    db.session.execute(
        insert(ProcessInstance.__table__),
        [
            {
                "id": c.id,
                "definition_id": definition.id,
                "process_key": definition.key,
                "business_key": c.reference,
                **dict(zip(("reference_tail", "reference_tail_unpadded"), reference_tails(c.reference), strict=True)),
                "status": c.status,
                "stage": c.stage,
                "provider_org": c.provider,
                "reviewer": c.reviewer,
                "state": "",
                "data": c.data,
                "error_element": c.error_element,
                "error_message": c.error_message,
                "lock_version": 1,
                "created_by": "seed",
                "created_at": c.created_at,
                "updated_at": c.updated_at,
            }
            for c in cases
        ],
    )
    db.session.execute(  # as saving a case (or the migration, for cases from before) records its provider
        insert(CaseProvider.__table__),
        [{"instance_id": c.id, "organisation": c.provider, "is_primary": True} for c in cases if c.provider],
    )
    db.session.execute(
        insert(Task.__table__),
        [
            {
                "id": t.id,
                "instance_id": c.id,
                "bpmn_id": t.bpmn_id,
                "name": t.bpmn_id.replace("_", " "),
                "lane": t.lane,
                "stage": t.stage,
                "assignee": t.assignee,
                "organisation": c.provider,
                "due_on": t.due_on,
                "state": t.state,
                "created_at": t.created_at,
                "completed_by": t.assignee if t.state == "completed" else None,
                "completed_at": t.completed_at,
            }
            for c in cases
            for t in c.tasks
        ],
    )
    if extensions:
        db.session.execute(
            insert(DeadlineExtension.__table__),
            [
                {
                    "instance_id": x.instance_id,
                    "task_id": x.task_id,
                    "bpmn_id": "seeded",
                    "stage": x.stage,
                    "due_variable": "due",
                    "previous_due": x.previous_due,
                    "new_due": x.new_due,
                    "reason": "seeded",
                    "approved_by": "manager",
                    "approved_at": x.approved_at,
                }
                for x in extensions
            ],
        )
    db.session.commit()
