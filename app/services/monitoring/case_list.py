"""The filtered, sorted, paged list of cases, and the choices its filters offer."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select

from ...extensions import db
from ...models import CaseProvider, ProcessDefinition, ProcessInstance, Task, User
from ...working_days import LONDON
from ..case_providers import cases_of_organisation
from ..progress import STAGES
from . import require_manager
from .sql import as_date

STATUSES = ("running", "waiting", "suspended", "error", "completed", "cancelled")
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
    """Each case's earliest due date of its ready tasks, looked up for each case: quick for a page of cases."""
    return (
        select(func.min(Task.due_on))
        .where(Task.instance_id == ProcessInstance.id, Task.state == "ready")
        .correlate(ProcessInstance)
        .scalar_subquery()
    )


def _next_due_of_all() -> Any:
    """The same for every case at once, grouped: a look-up for each case cost 100 ms over 10,000 cases, where
    sorting by it or reading them all needs every case's (25 ms grouped)."""
    return (
        select(Task.instance_id, func.min(Task.due_on).label("next_due"))
        .where(Task.state == "ready")
        .group_by(Task.instance_id)
        .subquery()
    )


def _has_overdue_task(today: dt.date) -> Any:
    overdue = select(Task.id).where(Task.instance_id == ProcessInstance.id, Task.state == "ready", Task.due_on < today)
    return overdue.correlate(ProcessInstance).exists()


def _case_query(filters: CaseFilters, today: dt.date, *, every_case: bool = False) -> Any:
    """The cases ``filters`` selects with the columns a row shows; ``every_case``: for reading them all."""
    grouped = _next_due_of_all() if every_case or filters.sort == "due" else None
    next_due = (_next_due() if grouped is None else grouped.c.next_due).label("next_due")
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
    if grouped is not None:
        query = query.outerjoin(grouped, grouped.c.instance_id == ProcessInstance.id)
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
    """The moment the day begins in London, where the filter's dates are read."""
    return dt.datetime.combine(day, dt.time(0, 0), LONDON)


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
    next_due = as_date(values.next_due) if values.next_due else None
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
    query, next_due = _case_query(filters, today, every_case=True)
    for values in db.session.execute(query.order_by(*_order(filters, next_due)).execution_options(yield_per=1000)):
        yield _case_row(values, today)


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
