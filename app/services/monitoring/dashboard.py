"""The dashboard's figures: live counts read on every visit, and the monthly history kept a while."""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import case, func, select

from ...extensions import db
from ...models import DeadlineExtension, ProcessInstance, Task, User
from ...models.instances import OPEN_STATUSES
from ...working_days import working_days_between
from ..progress import STAGES
from . import require_manager
from .sql import as_date, london_date, london_day, london_month, month_key, start_of_london_month, working_day_numbers

OUTCOMES = ("convicted_sfo", "convicted_other", "acquitted", "discontinued", "other")
MONTHS_SHOWN = 12
PERCENTILE = 90


@lru_cache(maxsize=65536)
def working_days(start: dt.date, end: dt.date) -> int:
    """``working_days_between``, remembered: the dashboard asks about the same pairs of dates often."""
    return working_days_between(start, end)


def months_up_to(today: dt.date, count: int = MONTHS_SHOWN) -> list[str]:
    """The ``count`` months ending with today's, oldest first, as 'YYYY-MM'."""
    year, month = today.year, today.month
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def open_cases_by_stage() -> dict[str, int]:
    query = (
        select(ProcessInstance.stage, func.count())
        .where(ProcessInstance.status.in_(OPEN_STATUSES))
        .group_by(ProcessInstance.stage)
    )
    counts = {stage or "not-started": number for stage, number in db.session.execute(query)}
    by_stage = {stage: counts.get(stage, 0) for stage in STAGES}
    if counts.get("not-started"):
        by_stage["not-started"] = counts["not-started"]
    return by_stage


def active_tasks_by_element() -> dict[str, int]:
    """Ready human tasks of open cases per diagram element: the diagram's heatmap."""
    # Only open cases have ready tasks: closing or cancelling a case closes its tasks.
    query = select(Task.bpmn_id, func.count()).where(Task.state == "ready").group_by(Task.bpmn_id)
    return dict(sorted(db.session.execute(query).all()))


def overdue_tasks_by_element(today: dt.date) -> dict[str, int]:
    """Ready human tasks past their due date per diagram element: marked red on the diagram."""
    query = select(Task.bpmn_id, func.count()).where(Task.state == "ready", Task.due_on < today).group_by(Task.bpmn_id)
    return dict(sorted(db.session.execute(query).all()))


def _overdue_tasks(today: dt.date) -> Any:
    return select(Task.stage, Task.lane).where(Task.state == "ready", Task.due_on < today).subquery()


def overdue_by_stage(today: dt.date) -> dict[str, int]:
    tasks = _overdue_tasks(today)
    counts: dict[str, int] = dict(db.session.execute(select(tasks.c.stage, func.count()).group_by(tasks.c.stage)).all())
    return {stage: counts.get(stage, 0) for stage in STAGES}


def overdue_by_team(today: dt.date) -> dict[str, int]:
    tasks = _overdue_tasks(today)
    counts = db.session.execute(select(tasks.c.lane, func.count()).group_by(tasks.c.lane)).all()
    return {lane or "none": number for lane, number in sorted(counts, key=lambda pair: str(pair[0]))}


@dataclass(frozen=True)
class MonthTimeliness:
    month: str
    due: int
    met: int
    late_working_days: int  # total working days late over the deadlines missed

    @property
    def share(self) -> float | None:
        return self.met / self.due if self.due else None

    @property
    def average_late(self) -> float | None:
        missed = self.due - self.met
        return self.late_working_days / missed if missed else None


def timeliness(today: dt.date) -> list[MonthTimeliness]:
    """Stage deadlines (tasks with a due date) completed each month, and how many were met: completed
    no working day after the due date. Lateness is counted in working days."""
    months = months_up_to(today)
    done = london_date(Task.completed_at)
    scope = (Task.state == "completed", Task.due_on.is_not(None), Task.completed_at >= start_of_london_month(months[0]))
    first_due, last_due, first_done, last_done = db.session.execute(
        select(
            func.min(Task.due_on), func.max(Task.due_on), func.min(Task.completed_at), func.max(Task.completed_at)
        ).where(*scope)
    ).one()
    due: Counter[str] = Counter()
    met: Counter[str] = Counter()
    late: Counter[str] = Counter()
    if first_due is not None:
        first = min(as_date(first_due), london_day(first_done))
        last = max(as_date(last_due), london_day(last_done))
        due_number = working_day_numbers(first, last, "due_number")
        done_number = working_day_numbers(first, last, "done_number")
        lateness = (done_number.c.number - due_number.c.number).label("lateness")
        month = london_month(Task.completed_at).label("month")
        query = (
            select(month, lateness, func.count())
            .join(due_number, due_number.c.day == Task.due_on)
            .join(done_number, done_number.c.day == done)
            .where(*scope)
            .group_by(month, lateness)
        )
        for month_value, days_late, number in db.session.execute(query):
            key = month_key(month_value)
            due[key] += number
            if days_late <= 0:
                met[key] += number
            else:
                late[key] += days_late * number
    return [MonthTimeliness(m, due[m], met[m], late[m]) for m in months]


@dataclass(frozen=True)
class MonthExtensions:
    month: str
    granted: int
    working_days_added: int


def extensions_by_month(today: dt.date) -> list[MonthExtensions]:
    months = months_up_to(today)
    month = london_month(DeadlineExtension.approved_at).label("month")
    query = select(month, DeadlineExtension.previous_due, DeadlineExtension.new_due, func.count()).group_by(
        month, DeadlineExtension.previous_due, DeadlineExtension.new_due
    )
    granted: Counter[str] = Counter()
    added: Counter[str] = Counter()
    for month_value, previous, new, number in db.session.execute(query):
        key = month_key(month_value)
        granted[key] += number
        if previous is not None:
            added[key] += working_days(as_date(previous), as_date(new)) * number
    return [MonthExtensions(m, granted[m], added[m]) for m in months]


def extensions_by_stage() -> dict[str, int]:
    query = select(DeadlineExtension.stage, func.count()).group_by(DeadlineExtension.stage)
    counts = dict(db.session.execute(query).all())
    return {stage: counts.get(stage, 0) for stage in STAGES if counts.get(stage)}


@dataclass(frozen=True)
class StageDuration:
    stage: str
    cases: int
    average: float | None
    p90: int | None


def nearest_rank(values: list[int], percent: int) -> int | None:
    """The nearest-rank percentile: the smallest value with at least ``percent``% of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def stage_durations() -> list[StageDuration]:
    """Working days each case spent in each finished stage: from its first task of the stage being
    created to its last task of the stage being completed (stages with a task still open are left out)."""
    still_open = func.sum(case((Task.state == "ready", 1), else_=0))
    per_case = (
        select(
            Task.stage.label("stage"),
            func.min(Task.created_at).label("started"),
            func.max(Task.completed_at).label("finished"),
        )
        .where(Task.stage.is_not(None), Task.state.in_(("ready", "completed")))
        .group_by(Task.instance_id, Task.stage)
        .having(still_open == 0)
        .subquery()
    )
    started, finished = london_date(per_case.c.started), london_date(per_case.c.finished)
    earliest, latest = db.session.execute(
        select(func.min(Task.created_at), func.max(Task.completed_at)).where(
            Task.stage.is_not(None), Task.state.in_(("ready", "completed"))
        )
    ).one()
    samples: dict[str, list[int]] = defaultdict(list)
    if earliest is not None and latest is not None:
        first, last = london_day(earliest), london_day(latest)
        start_number = working_day_numbers(first, last, "start_number")
        end_number = working_day_numbers(first, last, "end_number")
        duration = (end_number.c.number - start_number.c.number).label("duration")
        query = (
            select(per_case.c.stage, duration, func.count())
            .select_from(per_case)
            .join(start_number, start_number.c.day == started)
            .join(end_number, end_number.c.day == finished)
            .group_by(per_case.c.stage, duration)
        )
        for stage, days, number in db.session.execute(query):
            samples[stage].extend([days] * number)
    result = []
    for stage in STAGES:
        days = samples.get(stage, [])
        average = sum(days) / len(days) if days else None
        result.append(StageDuration(stage, len(days), average, nearest_rank(days, PERCENTILE)))
    return result


@dataclass(frozen=True)
class ReviewerLoad:
    reviewer: str
    open_cases: int
    ready_tasks: int
    overdue_tasks: int


def workload_by_reviewer(today: dt.date) -> list[ReviewerLoad]:
    cases = dict(
        db.session.execute(
            select(ProcessInstance.reviewer, func.count())
            .where(ProcessInstance.status.in_(OPEN_STATUSES), ProcessInstance.reviewer.is_not(None))
            .group_by(ProcessInstance.reviewer)
        ).all()
    )
    tasks = {
        assignee: (ready, overdue)
        for assignee, ready, overdue in db.session.execute(
            select(Task.assignee, func.count(), func.sum(case((Task.due_on < today, 1), else_=0)))
            .where(Task.state == "ready", Task.lane == "reviewer", Task.assignee.is_not(None))
            .group_by(Task.assignee)
        )
    }
    names = sorted(str(n) for n in set(cases) | set(tasks))
    loads = []
    for name in names:
        ready, overdue = tasks.get(name, (0, 0))
        loads.append(ReviewerLoad(name, cases.get(name, 0), ready, int(overdue or 0)))
    return loads


def outcomes() -> dict[str, int]:
    """Court outcomes recorded in case data (``court_outcome``); unrecognised values count as other."""
    value = ProcessInstance.data["court_outcome"].as_string()
    # Only cases past the conviction check carry an outcome; leaving the rest out skips reading their data.
    query = (
        select(value, func.count())
        .where(ProcessInstance.stage.in_(("publication", "closure")), value.is_not(None))
        .group_by(value)
    )
    counts: Counter[str] = Counter()
    for outcome, number in db.session.execute(query):
        counts[outcome if outcome in OUTCOMES else "other"] += number
    return {outcome: counts[outcome] for outcome in OUTCOMES}


@dataclass(frozen=True)
class MonthThroughput:
    month: str
    notified: int
    closed: int


def throughput(today: dt.date) -> list[MonthThroughput]:
    months = months_up_to(today)
    started = london_month(ProcessInstance.created_at)
    notified = {month_key(m): n for m, n in db.session.execute(select(started, func.count()).group_by(started))}
    ended = london_month(ProcessInstance.updated_at)
    closed = {
        month_key(m): n
        for m, n in db.session.execute(
            select(ended, func.count()).where(ProcessInstance.status.in_(("completed", "cancelled"))).group_by(ended)
        )
    }
    return [MonthThroughput(m, notified.get(m, 0), closed.get(m, 0)) for m in months]


@dataclass(frozen=True)
class Incident:
    id: int
    reference: str
    element: str | None
    message: str | None
    since: dt.datetime


def incidents() -> list[Incident]:
    query = (
        select(
            ProcessInstance.id,
            ProcessInstance.business_key,
            ProcessInstance.error_element,
            ProcessInstance.error_message,
            ProcessInstance.updated_at,
        )
        .where(ProcessInstance.status == "error")
        .order_by(ProcessInstance.updated_at.desc(), ProcessInstance.id.desc())
    )
    return [Incident(*values) for values in db.session.execute(query)]


@dataclass
class Dashboard:
    today: dt.date
    open_by_stage: dict[str, int] = field(default_factory=dict)
    heatmap: dict[str, int] = field(default_factory=dict)
    overdue_by_element: dict[str, int] = field(default_factory=dict)
    overdue_by_stage: dict[str, int] = field(default_factory=dict)
    overdue_by_team: dict[str, int] = field(default_factory=dict)
    workload: list[ReviewerLoad] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    history: History | None = None


@dataclass(frozen=True)
class History:
    """The figures over past months: they change slowly and cost the most, so they are kept a while."""

    calculated_at: dt.datetime
    timeliness: list[MonthTimeliness]
    extensions: list[MonthExtensions]
    extensions_by_stage: dict[str, int]
    durations: list[StageDuration]
    outcomes: dict[str, int]
    throughput: list[MonthThroughput]


class HistoryCache:
    """One ``History`` per process, recalculated when older than ``seconds`` or on another day."""

    def __init__(self) -> None:
        self._kept: tuple[dt.date, float, History] | None = None

    def get(self, today: dt.date, moment: dt.datetime, seconds: float) -> History:
        kept = self._kept
        if kept is not None and kept[0] == today and time.monotonic() - kept[1] < seconds:
            return kept[2]
        history = History(
            calculated_at=moment,
            timeliness=timeliness(today),
            extensions=extensions_by_month(today),
            extensions_by_stage=extensions_by_stage(),
            durations=stage_durations(),
            outcomes=outcomes(),
            throughput=throughput(today),
        )
        self._kept = (today, time.monotonic(), history)
        return history

    def clear(self) -> None:
        self._kept = None


history_cache = HistoryCache()


def dashboard(user: User, today: dt.date, moment: dt.datetime, keep_history_seconds: float = 0) -> Dashboard:
    """Every figure of the dashboard. The live ones (open cases, overdue, workload, errors) are read
    now; the monthly history is reused for up to ``keep_history_seconds``."""
    require_manager(user)
    return Dashboard(
        today=today,
        open_by_stage=open_cases_by_stage(),
        heatmap=active_tasks_by_element(),
        overdue_by_element=overdue_tasks_by_element(today),
        overdue_by_stage=overdue_by_stage(today),
        overdue_by_team=overdue_by_team(today),
        workload=workload_by_reviewer(today),
        incidents=incidents(),
        history=history_cache.get(today, moment, keep_history_seconds),
    )
