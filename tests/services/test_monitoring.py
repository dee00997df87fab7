"""Monitoring figures and the case list, checked against a direct calculation over a seeded data set."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections import Counter, defaultdict

import pytest

from app.extensions import db
from app.models import ProcessInstance
from app.models.instances import OPEN_STATUSES
from app.services import spreadsheet_cells
from app.services.errors import Forbidden
from app.services.monitoring import case_list, csv_export, dashboard
from app.services.monitoring.case_list import CaseFilters
from app.services.progress import STAGES
from app.working_days import LONDON, working_days_between
from tests.conftest import START, make_user
from tests.monitoring_seed import Seed, seed_cases

TODAY = START.date()


@pytest.fixture
def seed(sfo_definition) -> Seed:  # type: ignore[no-untyped-def]
    return seed_cases(sfo_definition, TODAY)


@pytest.fixture
def manager():  # type: ignore[no-untyped-def]
    return make_user("manager")


def _open(seed: Seed):  # type: ignore[no-untyped-def]
    return [c for c in seed.cases if c.status in OPEN_STATUSES]


def _month(moment: dt.datetime) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m")  # the figures count months and days in London


def _day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(LONDON).date()


def test_the_seed_covers_every_stage_and_status(seed):
    assert {c.stage for c in _open(seed)} == set(STAGES[:-1])
    assert {c.status for c in seed.cases} == {"running", "waiting", "suspended", "error", "completed", "cancelled"}
    assert any(t.due_on and t.due_on < TODAY for c in _open(seed) for t in c.tasks if t.state == "ready")
    assert seed.extensions


def test_open_cases_by_stage(seed):
    expected = Counter(c.stage for c in _open(seed))
    assert dashboard.open_cases_by_stage() == {stage: expected.get(stage, 0) for stage in STAGES}


def test_heatmap_counts_ready_tasks_of_open_cases_per_element(seed):
    expected = Counter(t.bpmn_id for c in _open(seed) for t in c.tasks if t.state == "ready")
    assert dashboard.active_tasks_by_element() == dict(expected)


def _overdue(seed: Seed):  # type: ignore[no-untyped-def]
    return [t for c in _open(seed) for t in c.tasks if t.state == "ready" and t.due_on and t.due_on < TODAY]


def test_overdue_by_stage_and_by_team(seed):
    by_stage = Counter(t.stage for t in _overdue(seed))
    assert dashboard.overdue_by_stage(TODAY) == {stage: by_stage.get(stage, 0) for stage in STAGES}
    assert dashboard.overdue_by_team(TODAY) == dict(sorted(Counter(t.lane for t in _overdue(seed)).items()))
    assert sum(by_stage.values()) > 0


def test_timeliness_per_month_in_working_days(seed):
    months = dashboard.months_up_to(TODAY)
    due, met, late = Counter(), Counter(), Counter()
    for case in seed.cases:
        for task in case.tasks:
            if task.state != "completed" or task.due_on is None or _month(task.completed_at) not in months:
                continue
            lateness = working_days_between(task.due_on, _day(task.completed_at))
            due[_month(task.completed_at)] += 1
            if lateness <= 0:
                met[_month(task.completed_at)] += 1
            else:
                late[_month(task.completed_at)] += lateness
    figures = dashboard.timeliness(TODAY)
    assert [f.month for f in figures] == months
    assert [(f.due, f.met, f.late_working_days) for f in figures] == [(due[m], met[m], late[m]) for m in months]
    assert 0 < sum(f.met for f in figures) < sum(f.due for f in figures)
    some = next(f for f in figures if f.due)
    assert some.share == pytest.approx(met[some.month] / due[some.month])


def test_extensions_granted_per_month_and_stage(seed):
    months = dashboard.months_up_to(TODAY)
    granted = Counter(_month(x.approved_at) for x in seed.extensions)
    added = Counter()
    for x in seed.extensions:
        added[_month(x.approved_at)] += working_days_between(x.previous_due, x.new_due)
    assert [(m.month, m.granted, m.working_days_added) for m in dashboard.extensions_by_month(TODAY)] == [
        (m, granted[m], added[m]) for m in months
    ]
    by_stage = Counter(x.stage for x in seed.extensions)
    assert dashboard.extensions_by_stage() == {s: by_stage[s] for s in STAGES if by_stage[s]}


def test_average_and_90th_percentile_working_days_per_stage(seed):
    samples = defaultdict(list)
    for case in seed.cases:
        by_stage = defaultdict(list)
        for task in case.tasks:
            if task.stage and task.state in ("ready", "completed"):
                by_stage[task.stage].append(task)
        for stage, tasks in by_stage.items():
            if any(t.state == "ready" for t in tasks):
                continue
            start = _day(min(t.created_at for t in tasks))
            end = _day(max(t.completed_at for t in tasks))
            samples[stage].append(working_days_between(start, end))
    figures = {d.stage: d for d in dashboard.stage_durations()}
    for stage in STAGES:
        values = sorted(samples[stage])
        assert figures[stage].cases == len(values)
        if values:
            assert figures[stage].average == pytest.approx(sum(values) / len(values))
            assert figures[stage].p90 == values[math.ceil(0.9 * len(values)) - 1]
        else:
            assert figures[stage].average is None and figures[stage].p90 is None
    assert figures["notification"].cases > 50


def test_nearest_rank_percentile():
    assert dashboard.nearest_rank([], 90) is None
    assert dashboard.nearest_rank([5], 90) == 5
    assert dashboard.nearest_rank(list(range(1, 11)), 90) == 9
    assert dashboard.nearest_rank(list(range(1, 21)), 90) == 18


def test_workload_per_reviewer(seed):
    cases = Counter(c.reviewer for c in _open(seed) if c.reviewer)
    ready = [t for c in seed.cases for t in c.tasks if t.state == "ready" and t.lane == "reviewer" and t.assignee]
    tasks = Counter(t.assignee for t in ready)
    overdue = Counter(t.assignee for t in ready if t.due_on and t.due_on < TODAY)
    expected = [(r, cases[r], tasks[r], overdue[r]) for r in sorted(set(cases) | set(tasks))]
    assert [
        (w.reviewer, w.open_cases, w.ready_tasks, w.overdue_tasks) for w in dashboard.workload_by_reviewer(TODAY)
    ] == expected


def test_outcomes_from_case_data(seed):
    raw = Counter(c.data["court_outcome"] for c in seed.cases if "court_outcome" in c.data)
    expected = {o: raw[o] for o in dashboard.OUTCOMES}
    expected["other"] += raw["hung_jury"]  # not one of the canonical values
    assert dashboard.outcomes() == expected
    assert expected["convicted_sfo"] > 0


def test_throughput_per_month(seed):
    months = dashboard.months_up_to(TODAY)
    notified = Counter(_month(c.created_at) for c in seed.cases)
    closed = Counter(_month(c.updated_at) for c in seed.cases if c.status in ("completed", "cancelled"))
    assert [(t.month, t.notified, t.closed) for t in dashboard.throughput(TODAY)] == [
        (m, notified[m], closed[m]) for m in months
    ]


def test_incidents_list_cases_in_error_with_element_and_message(seed):
    expected = {(c.reference, c.error_element, c.error_message) for c in seed.cases if c.status == "error"}
    assert {(i.reference, i.element, i.message) for i in dashboard.incidents()} == expected
    assert expected


def test_dashboard_needs_a_manager(seed):
    with pytest.raises(Forbidden):
        dashboard.dashboard(make_user("sfo-team"), TODAY, START)
    dashboard.history_cache.clear()
    board = dashboard.dashboard(make_user("admin"), TODAY, START, keep_history_seconds=300)
    assert sum(board.open_by_stage.values()) == len(_open(seed))
    assert board.history.outcomes == dashboard.outcomes()
    assert board.history.calculated_at == START


def test_the_monthly_history_is_kept_for_the_given_time(seed):
    manager = make_user("manager")
    dashboard.history_cache.clear()
    first = dashboard.dashboard(manager, TODAY, START, keep_history_seconds=300).history
    assert dashboard.dashboard(manager, TODAY, START, keep_history_seconds=300).history is first
    assert dashboard.dashboard(manager, TODAY, START, keep_history_seconds=0).history is not first
    tomorrow = TODAY + dt.timedelta(days=1)
    assert dashboard.dashboard(manager, tomorrow, START, keep_history_seconds=300).history is not first


# --- the case list ---------------------------------------------------------------------------------


def _references(manager, filters: CaseFilters) -> list[str]:  # type: ignore[no-untyped-def]
    return [row.reference for row in case_list.all_cases(manager, filters, TODAY)]


def _has_overdue(case) -> bool:  # type: ignore[no-untyped-def]
    return any(t.state == "ready" and t.due_on and t.due_on < TODAY for t in case.tasks)


@pytest.mark.parametrize(
    "filters, keep",
    [
        (CaseFilters(stage="drafting"), lambda c: c.stage == "drafting"),
        (CaseFilters(status="error"), lambda c: c.status == "error"),
        (CaseFilters(overdue=True), _has_overdue),
        (CaseFilters(reviewer="rev.bo"), lambda c: c.reviewer == "rev.bo"),
        (CaseFilters(provider="south-probation"), lambda c: c.provider == "south-probation"),
        (CaseFilters(version=1), lambda c: True),
        (CaseFilters(version=2), lambda c: False),
        (CaseFilters(reference="mon-00"), lambda c: c.reference.startswith("MON-00")),
        (CaseFilters(reference="%"), lambda c: False),
        (
            CaseFilters(notified_from=dt.date(2026, 9, 1), notified_to=dt.date(2026, 11, 30)),
            lambda c: dt.date(2026, 9, 1) <= _day(c.created_at) <= dt.date(2026, 11, 30),
        ),
        (
            CaseFilters(reviewer="rev.cy", overdue=True, stage="drafting"),
            lambda c: c.reviewer == "rev.cy" and _has_overdue(c) and c.stage == "drafting",
        ),
    ],
)
def test_filters(seed, manager, filters, keep):
    expected = sorted(c.reference for c in seed.cases if keep(c))
    assert sorted(_references(manager, filters)) == expected
    assert case_list.list_cases(manager, filters, TODAY).total == len(expected)


def test_sorting_and_pagination(seed, manager):
    by_reference = sorted(c.reference for c in seed.cases if c.reference.startswith("MON-"))
    mon = CaseFilters(reference="MON-", sort="reference", descending=False, per_page=40)
    first = case_list.list_cases(manager, mon, TODAY)
    second = case_list.list_cases(manager, CaseFilters(**{**mon.__dict__, "page": 2}), TODAY)
    assert [r.reference for r in first.rows + second.rows] == by_reference[:80]
    assert (first.total, first.pages) == (299, 8)
    backwards = case_list.list_cases(manager, CaseFilters(**{**mon.__dict__, "descending": True}), TODAY)
    assert [r.reference for r in backwards.rows] == by_reference[::-1][:40]
    last = case_list.list_cases(manager, CaseFilters(sort="reference", page=99, per_page=40), TODAY)
    assert last.page == 8 and len(last.rows) == 300 - 7 * 40

    rows_by_due = list(case_list.all_cases(manager, CaseFilters(sort="due", descending=False), TODAY))
    due = [r.next_due for r in rows_by_due]
    dated = [d for d in due if d is not None]
    assert dated == sorted(dated) and due[len(dated) :] == [None] * (len(due) - len(dated))  # no date sorts last
    expected_due = {
        c.reference: min((t.due_on for t in c.tasks if t.state == "ready" and t.due_on), default=None)
        for c in seed.cases
    }
    assert {r.reference: r.next_due for r in case_list.all_cases(manager, CaseFilters(), TODAY)} == expected_due
    # a page sorted by due date reads them grouped, another page looks them up for its own cases: the same dates
    by_due = case_list.list_cases(manager, CaseFilters(sort="due", descending=False, per_page=40), TODAY).rows
    assert [(r.reference, r.next_due) for r in by_due] == [(r.reference, r.next_due) for r in rows_by_due[:40]]
    page = case_list.list_cases(manager, CaseFilters(sort="reference", per_page=40), TODAY).rows
    assert {r.reference: r.next_due for r in page} == {r.reference: expected_due[r.reference] for r in page}


def test_csv_has_the_filtered_cases_and_defuses_formulas(seed, manager):
    filters = CaseFilters(status="running", sort="reference", descending=False)
    lines = list(csv.reader(io.StringIO("".join(csv_export.cases_csv(case_list.all_cases(manager, filters, TODAY))))))
    assert lines[0] == list(csv_export.CSV_COLUMNS)
    expected = [c.reference for c in seed.cases if c.status == "running"]
    assert sorted(line[0] for line in lines[1:]) == sorted(spreadsheet_cells.csv_safe(r) for r in expected)
    by_reference = {c.reference: c for c in seed.cases}
    for line in lines[1:]:
        case = by_reference[line[0].lstrip("'")]
        assert line[1:4] == [case.stage, case.status, case.reviewer or ""]
        assert line[6] == _day(case.created_at).isoformat()
        assert line[9] == ("yes" if _has_overdue(case) else "no")
    everything = "".join(csv_export.cases_csv(case_list.all_cases(manager, CaseFilters(), TODAY)))
    assert "'=SUM(1+1)" in everything and "'+evil-org" in everything
    assert "\n=SUM" not in everything and ",+evil" not in everything


@pytest.mark.parametrize(
    "value, shown",
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("plain", "plain"),
        (None, ""),
        (3, "3"),
    ],
)
def test_csv_safe(value, shown):
    assert spreadsheet_cells.csv_safe(value) == shown


def test_case_list_needs_a_manager(seed):
    with pytest.raises(Forbidden):
        case_list.list_cases(make_user("reviewer"), CaseFilters(), TODAY)


def test_a_case_notified_and_closed_just_after_midnight_in_summer_counts_in_londons_day_and_month(seed, manager):
    """23:30 UTC on 30 June is 00:30 on 1 July in London: the case was notified on 1 July and closed in July."""
    row = db.session.get(ProcessInstance, seed.cases[0].id)
    row.created_at = row.updated_at = dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC)
    row.status = "completed"
    db.session.commit()
    july = case_list.list_cases(manager, CaseFilters(notified_from=dt.date(2026, 7, 1), per_page=500), TODAY)
    assert row.business_key in [r.reference for r in july.rows]
    june = case_list.list_cases(manager, CaseFilters(notified_to=dt.date(2026, 6, 30), per_page=500), TODAY)
    assert row.business_key not in [r.reference for r in june.rows]
    by_month = {t.month: t for t in dashboard.throughput(TODAY)}
    before = Counter(_month(c.created_at) for c in seed.cases[1:])["2026-07"]
    assert by_month["2026-07"].notified == before + 1
