"""What managers watch: the filtered case list and the dashboard's figures, all read from the
projection tables (process_instance, task, deadline_extension), never from instance state blobs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, Integer, and_, case, cast, column, func, select, text

from ..engine.calendar import is_working_day, working_days_between
from ..engine.inspection import ElementStates, element_states, failing_element_data
from ..extensions import db
from ..models import CaseProvider, DeadlineExtension, ProcessDefinition, ProcessInstance, Task, User
from ..models.instances import OPEN_STATUSES
from .access import MANAGING_ROLES, require_role
from .case_providers import cases_of_organisation
from .progress import STAGES, load

STATUSES = ("running", "waiting", "suspended", "error", "completed", "cancelled")
OUTCOMES = ("convicted_sfo", "convicted_other", "acquitted", "discontinued", "other")
MONTHS_SHOWN = 12
PERCENTILE = 90


def require_manager(user: User) -> None:
    require_role(user, MANAGING_ROLES, "monitor cases")


# --- SQL that differs between SQLite and PostgreSQL -----------------------------------------------


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _day(column: Any) -> Any:
    """The UTC calendar date of a timestamp column (a date on PostgreSQL, ISO text on SQLite)."""
    if _dialect() == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def _month(column: Any) -> Any:
    """The UTC month of a timestamp column (read it with ``_month_key``)."""
    if _dialect() == "postgresql":
        return func.date_trunc("month", func.timezone("UTC", column))
    return func.strftime("%Y-%m", column)


def _month_key(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value.year:04d}-{value.month:02d}"
    return str(value)[:7]


def _utc_day(value: Any) -> dt.date:
    """The UTC date of a timestamp read back from the database (SQLite gives text without a zone)."""
    if isinstance(value, dt.datetime):
        return (value.astimezone(dt.UTC) if value.tzinfo else value).date()
    return _as_date(value)


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


MAX_CALENDAR_DAYS = 366 * 20


def working_day_numbers(first: dt.date, last: dt.date, name: str) -> Any:
    """A table (day, number) from ``first`` to ``last``: the working days from ``first`` up to and
    including each day. ``number(b) - number(a)`` is ``working_days_between(a, b)``, so the database
    can count working days over thousands of date pairs without a call per pair."""
    last = min(last, first + dt.timedelta(days=MAX_CALENDAR_DAYS))
    date_literal = "DATE '{}'" if _dialect() == "postgresql" else "'{}'"
    rows, count, day = [], 0, first
    while day <= last:
        count += 1 if is_working_day(day) else 0
        rows.append(f"({date_literal.format(day.isoformat())}, {count})")  # dates we made: safe to inline
        day += dt.timedelta(days=1)
    # Plain VALUES with its default column names: SQLite takes no column list after the alias.
    sql = text(f"SELECT column1 AS day, column2 AS number FROM (VALUES {', '.join(rows)}) AS {name}_values")  # noqa: S608
    return sql.columns(column("day", Date), column("number", Integer)).subquery(name)


@lru_cache(maxsize=65536)
def working_days(start: dt.date, end: dt.date) -> int:
    """``working_days_between``, remembered: the dashboard asks about the same pairs of dates often."""
    return working_days_between(start, end)


# --- the case list --------------------------------------------------------------------------------

SORTS = ("reference", "stage", "status", "reviewer", "provider", "version", "notified", "updated", "due")


@dataclass(frozen=True)
class CaseFilters:
    stage: str | None = None
    status: str | None = None
    overdue: bool = False
    reviewer: str | None = None
    provider: str | None = None
    version: int | None = None
    notified_from: dt.date | None = None
    notified_to: dt.date | None = None
    reference: str | None = None
    sort: str = "updated"
    descending: bool = True
    page: int = 1
    per_page: int = 50

    def active(self) -> bool:
        return any(
            (
                self.stage,
                self.status,
                self.overdue,
                self.reviewer,
                self.provider,
                self.version,
                self.notified_from,
                self.notified_to,
                self.reference,
            )
        )

    def cleared(self) -> CaseFilters:
        return CaseFilters(sort=self.sort, descending=self.descending, per_page=self.per_page)


@dataclass(frozen=True)
class CaseRow:
    id: int
    reference: str
    stage: str | None
    status: str
    reviewer: str | None
    provider: str | None
    version: int
    notified: dt.datetime
    updated: dt.datetime
    next_due: dt.date | None
    overdue: bool


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    total: int
    page: int
    pages: int


def _next_due() -> Any:
    return (
        select(func.min(Task.due_on))
        .where(Task.instance_id == ProcessInstance.id, Task.state == "ready")
        .correlate(ProcessInstance)
        .scalar_subquery()
    )


def _has_overdue_task(today: dt.date) -> Any:
    overdue = select(Task.id).where(Task.instance_id == ProcessInstance.id, Task.state == "ready", Task.due_on < today)
    return overdue.correlate(ProcessInstance).exists()


def _case_query(filters: CaseFilters, today: dt.date) -> Any:
    next_due = _next_due().label("next_due")
    query = select(
        ProcessInstance.id,
        ProcessInstance.business_key,
        ProcessInstance.stage,
        ProcessInstance.status,
        ProcessInstance.reviewer,
        ProcessInstance.provider_org,
        ProcessDefinition.version,
        ProcessInstance.created_at,
        ProcessInstance.updated_at,
        next_due,
    ).join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
    return _filtered(query, filters, today), next_due


def _filtered(query: Any, filters: CaseFilters, today: dt.date) -> Any:
    conditions: list[Any] = [ProcessInstance.reduced_at.is_(None)]  # the figures count reduced cases; the list not
    if filters.stage:
        conditions.append(ProcessInstance.stage == filters.stage)
    if filters.status:
        conditions.append(ProcessInstance.status == filters.status)
    if filters.overdue:
        conditions.append(_has_overdue_task(today))
    if filters.reviewer:
        conditions.append(ProcessInstance.reviewer == filters.reviewer)
    if filters.provider:
        # any of the case's providers: a case supervised by several is found under each
        conditions.append(ProcessInstance.id.in_(cases_of_organisation(filters.provider)))
    if filters.version:
        conditions.append(ProcessDefinition.version == filters.version)
    if filters.notified_from:
        conditions.append(ProcessInstance.created_at >= _start_of(filters.notified_from))
    if filters.notified_to:
        conditions.append(ProcessInstance.created_at < _start_of(filters.notified_to + dt.timedelta(days=1)))
    if filters.reference:
        conditions.append(func.lower(ProcessInstance.business_key).like(_contains(filters.reference), escape="\\"))
    return query.where(and_(*conditions))


def _contains(text_: str) -> str:
    """A LIKE pattern matching ``text_`` anywhere, with its own % and _ taken literally."""
    escaped = text_.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), dt.UTC)


def _order(filters: CaseFilters, next_due: Any) -> list[Any]:
    column = {
        "reference": ProcessInstance.business_key,
        "stage": ProcessInstance.stage,
        "status": ProcessInstance.status,
        "reviewer": ProcessInstance.reviewer,
        "provider": ProcessInstance.provider_org,
        "version": ProcessDefinition.version,
        "notified": ProcessInstance.created_at,
        "updated": ProcessInstance.updated_at,
        "due": next_due,
    }.get(filters.sort, ProcessInstance.updated_at)
    direction = column.desc() if filters.descending else column.asc()
    tie = ProcessInstance.id.desc() if filters.descending else ProcessInstance.id.asc()
    return [direction.nulls_last(), tie]


def _case_row(values: Any, today: dt.date) -> CaseRow:
    next_due = _as_date(values.next_due) if values.next_due else None
    return CaseRow(
        id=values.id,
        reference=values.business_key,
        stage=values.stage,
        status=values.status,
        reviewer=values.reviewer,
        provider=values.provider_org,
        version=values.version,
        notified=values.created_at,
        updated=values.updated_at,
        next_due=next_due,
        overdue=next_due is not None and next_due < today,
    )


def count_cases(filters: CaseFilters, today: dt.date) -> int:
    query = _filtered(
        select(func.count(ProcessInstance.id)).join(
            ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id
        ),
        filters,
        today,
    )
    return db.session.scalar(query) or 0


def list_cases(user: User, filters: CaseFilters, today: dt.date) -> CasePage:
    require_manager(user)
    total = count_cases(filters, today)
    pages = max(1, math.ceil(total / filters.per_page))
    page = min(max(1, filters.page), pages)
    query, next_due = _case_query(filters, today)
    query = query.order_by(*_order(filters, next_due)).limit(filters.per_page).offset((page - 1) * filters.per_page)
    rows = [_case_row(values, today) for values in db.session.execute(query)]
    return CasePage(rows, total, page, pages)


def all_cases(user: User, filters: CaseFilters, today: dt.date) -> Iterator[CaseRow]:
    require_manager(user)
    query, next_due = _case_query(filters, today)
    for values in db.session.execute(query.order_by(*_order(filters, next_due)).execution_options(yield_per=1000)):
        yield _case_row(values, today)


CSV_COLUMNS = (
    "Case reference",
    "Stage",
    "Status",
    "Reviewer",
    "Provider",
    "Process version",
    "Notified",
    "Last change",
    "Next due",
    "Overdue",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """A cell a spreadsheet shows as text: values starting like a formula get a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cases_csv(rows: Iterable[CaseRow]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: Iterable[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_safe(v) for v in values])
        return buffer.getvalue()

    yield line(CSV_COLUMNS)
    for row in rows:
        yield line(
            (
                row.reference,
                row.stage,
                row.status,
                row.reviewer,
                row.provider,
                row.version,
                row.notified.date().isoformat(),
                row.updated.date().isoformat(),
                row.next_due.isoformat() if row.next_due else "",
                "yes" if row.overdue else "no",
            )
        )


@dataclass(frozen=True)
class FilterOptions:
    stages: tuple[str, ...]
    statuses: tuple[str, ...]
    reviewers: list[str]
    providers: list[str]
    versions: list[int]


def filter_options() -> FilterOptions:
    reviewers = db.session.scalars(select(ProcessInstance.reviewer).distinct())
    providers = db.session.scalars(select(CaseProvider.organisation).distinct())
    versions = db.session.scalars(select(ProcessDefinition.version).distinct())
    return FilterOptions(
        STAGES, STATUSES, sorted(r for r in reviewers if r), sorted(p for p in providers if p), sorted(versions)
    )


# --- the dashboard --------------------------------------------------------------------------------


def _start_of_month(month: str) -> dt.datetime:
    return dt.datetime.fromisoformat(month + "-01T00:00:00+00:00")


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
    return dict(sorted(db.session.execute(query).all()))  # type: ignore[arg-type]


def overdue_tasks_by_element(today: dt.date) -> dict[str, int]:
    """Ready human tasks past their due date per diagram element: marked red on the diagram."""
    query = select(Task.bpmn_id, func.count()).where(Task.state == "ready", Task.due_on < today).group_by(Task.bpmn_id)
    return dict(sorted(db.session.execute(query).all()))  # type: ignore[arg-type]


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
    done = _day(Task.completed_at)
    scope = (Task.state == "completed", Task.due_on.is_not(None), Task.completed_at >= _start_of_month(months[0]))
    first_due, last_due, first_done, last_done = db.session.execute(
        select(
            func.min(Task.due_on), func.max(Task.due_on), func.min(Task.completed_at), func.max(Task.completed_at)
        ).where(*scope)
    ).one()
    due: Counter[str] = Counter()
    met: Counter[str] = Counter()
    late: Counter[str] = Counter()
    if first_due is not None:
        first = min(_as_date(first_due), _utc_day(first_done))
        last = max(_as_date(last_due), _utc_day(last_done))
        due_number = working_day_numbers(first, last, "due_number")
        done_number = working_day_numbers(first, last, "done_number")
        lateness = (done_number.c.number - due_number.c.number).label("lateness")
        month = _month(Task.completed_at).label("month")
        query = (
            select(month, lateness, func.count())
            .join(due_number, due_number.c.day == Task.due_on)
            .join(done_number, done_number.c.day == done)
            .where(*scope)
            .group_by(month, lateness)
        )
        for month_value, days_late, number in db.session.execute(query):
            key = _month_key(month_value)
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
    month = _month(DeadlineExtension.approved_at).label("month")
    query = select(month, DeadlineExtension.previous_due, DeadlineExtension.new_due, func.count()).group_by(
        month, DeadlineExtension.previous_due, DeadlineExtension.new_due
    )
    granted: Counter[str] = Counter()
    added: Counter[str] = Counter()
    for month_value, previous, new, number in db.session.execute(query):
        key = _month_key(month_value)
        granted[key] += number
        if previous is not None:
            added[key] += working_days(_as_date(previous), _as_date(new)) * number
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
    started, finished = _day(per_case.c.started), _day(per_case.c.finished)
    earliest, latest = db.session.execute(
        select(func.min(Task.created_at), func.max(Task.completed_at)).where(
            Task.stage.is_not(None), Task.state.in_(("ready", "completed"))
        )
    ).one()
    samples: dict[str, list[int]] = defaultdict(list)
    if earliest is not None and latest is not None:
        first, last = _utc_day(earliest), _utc_day(latest)
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
    started = _month(ProcessInstance.created_at)
    notified = {_month_key(m): n for m, n in db.session.execute(select(started, func.count()).group_by(started))}
    ended = _month(ProcessInstance.updated_at)
    closed = {
        _month_key(m): n
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


# --- one case --------------------------------------------------------------------------------------


def diagram_states(row: ProcessInstance) -> ElementStates | None:
    """Completed, active and failing elements of the case and the path it took (None without a state)."""
    if not row.state:
        return None
    return element_states(load(row))


def failing_data(row: ProcessInstance) -> dict[str, Any]:
    """The data the failing element of a case in error ran with."""
    return failing_element_data(load(row)) if row.status == "error" and row.state else {}
