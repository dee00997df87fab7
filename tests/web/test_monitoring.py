"""The monitoring pages through the test client: access, dashboard, list and CSV, case page, actions."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, DeadlineExtension, ProcessInstance, Task
from app.services import instances
from app.services.definitions import deploy_files, read_library
from app.web.monitoring.dashboard import CHARTS
from app.working_days import LONDON
from tests.conftest import DATA, START, make_user
from tests.monitoring_seed import seed_cases
from tests.sfo_case import SfoCase

TODAY = START.date()


@pytest.fixture(autouse=True)
def _fresh_dashboard_history():  # type: ignore[no-untyped-def]
    """The dashboard keeps its monthly figures for minutes; each test has its own data."""
    from app.services.monitoring.dashboard import history_cache

    history_cache.clear()
    yield
    history_cache.clear()


@pytest.fixture
def manager_browser(signed_in):  # type: ignore[no-untyped-def]
    return signed_in(make_user("manager"))


def _events(row: ProcessInstance, kind: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.instance_id == row.id, AuditEvent.kind == kind).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


# --- access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["provider", "reviewer", "sfo-team", "quality-assurer", "publication", "process-owner"]
)
def test_only_managers_and_admins_reach_monitoring(sfo_definition, signed_in, role):
    seed_cases(sfo_definition, TODAY, count=5)
    browser = signed_in(make_user(role))
    for url in (
        "/monitoring",
        "/monitoring/cases",
        "/monitoring/cases.csv",
        "/monitoring/charts/outcomes.svg",
        "/monitoring/incidents",
        "/monitoring/cases/100001",
        "/monitoring/diagram.bpmn",
        "/monitoring/cases/100001/cancel",
    ):
        browser.get(url, expect=403)
    assert "Monitoring" not in browser.get("/tasks").text


def test_signed_out_people_are_sent_to_sign_in(client, sfo_definition):
    response = client.get("/monitoring/cases")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_see_the_navigation_entry(sfo_definition, signed_in, role):
    page = signed_in(make_user(role)).get("/tasks")
    assert "/monitoring" in page.links


# --- dashboard -------------------------------------------------------------------------------------


def test_dashboard_shows_every_figure_with_its_chart_and_table(sfo_definition, manager_browser):
    seed = seed_cases(sfo_definition, TODAY)
    page = manager_browser.get("/monitoring")
    open_cases = sum(1 for c in seed.cases if c.status in ("running", "waiting", "suspended", "error"))
    assert f"{open_cases} open cases" in page.text
    for name in CHARTS:
        assert f'src="/monitoring/charts/{name}.svg"' in page.html
    assert page.html.count('<img class="sfo-chart"') == len(CHARTS)
    assert all(re.search(r'alt="[^"]{20,}"', tag) for tag in re.findall(r"<img [^>]+>", page.html))
    for caption in (
        "Open cases by stage",
        "Overdue tasks by stage",
        "Overdue tasks by team",
        "Stage deadlines met",
        "Extensions by month",
        "Working days per stage",
        "Reviewers' open cases",
        "Cases by court outcome",
        "Cases notified and closed",
        "in error",
    ):
        assert caption in page.text
    heatmap = json.loads(re.search(r'class="sfo-diagram-data">(.*?)</script>', page.html, re.S).group(1))["heatmap"]
    assert sum(heatmap.values()) == sum(
        1
        for c in seed.cases
        if c.status in ("running", "waiting", "suspended", "error")
        for t in c.tasks
        if t.state == "ready"
    )
    assert "/vendor/bpmn-navigated-viewer.min.js" in page.html


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_each_chart_is_an_svg(sfo_definition, manager_browser, name):
    seed_cases(sfo_definition, TODAY, count=40)
    response = manager_browser.client.get(f"/monitoring/charts/{name}.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).lstrip().startswith("<?xml") and "<svg" in response.get_data(as_text=True)


def test_unknown_chart_is_not_found(sfo_definition, manager_browser):
    manager_browser.get("/monitoring/charts/nothing.svg", expect=404)


def test_the_dashboard_diagram_is_the_latest_bpmn(sfo_definition, manager_browser):
    response = manager_browser.client.get("/monitoring/diagram.bpmn")
    assert response.status_code == 200 and 'id="sfo_review"' in response.get_data(as_text=True)


def test_incidents_page_lists_cases_in_error(sfo_definition, manager_browser):
    seed = seed_cases(sfo_definition, TODAY, count=60)
    page = manager_browser.get("/monitoring/incidents")
    for case in (c for c in seed.cases if c.status == "error"):
        assert case.reference in page.text and case.error_message in page.text


# --- the case list ---------------------------------------------------------------------------------


def test_case_list_filters_sorts_and_pages(sfo_definition, manager_browser):
    seed = seed_cases(sfo_definition, TODAY)
    page = manager_browser.get("/monitoring/cases")
    assert "300 cases match." in page.text and "Page 1 of 6" in page.text
    expected = [
        c
        for c in seed.cases
        if c.reviewer == "rev.ada" and any(t.state == "ready" and t.due_on and t.due_on < TODAY for t in c.tasks)
    ]
    page = manager_browser.get("/monitoring/cases?reviewer=rev.ada&overdue=yes&sort=reference&order=asc")
    assert f"{len(expected)} cases match these filters." in page.text
    shown = re.findall(r'href="/monitoring/cases/\d+">([^<]+)</a>', page.html)
    assert shown == sorted(c.reference for c in expected)
    assert "Remove this filter rev.ada" in page.text and "Overdue only" in page.text
    assert 'aria-sort="ascending"' in page.html
    second = manager_browser.get("/monitoring/cases?page=2&sort=reference&order=asc")
    assert "Page 2 of 6" in second.text


def test_case_list_date_range_and_bad_dates(sfo_definition, manager_browser):
    seed = seed_cases(sfo_definition, TODAY, count=80)
    url = (
        "/monitoring/cases?notified_from-day=1&notified_from-month=10&notified_from-year=2026"
        "&notified_to-day=31&notified_to-month=12&notified_to-year=2026"
    )
    notified = [c.created_at.astimezone(LONDON).date() for c in seed.cases]  # the filter's days are London's
    expected = [day for day in notified if dt.date(2026, 10, 1) <= day <= dt.date(2026, 12, 31)]
    assert f"{len(expected)} case" in manager_browser.get(url).text
    bad = manager_browser.get(
        "/monitoring/cases?notified_from-day=31&notified_from-month=2&notified_from-year=2027", expect=400
    )
    assert "There is a problem" in bad.text and "Enter a real date" in bad.text and "80 cases match." in bad.text


def test_csv_download_of_the_filtered_list(sfo_definition, manager_browser):
    seed = seed_cases(sfo_definition, TODAY, count=80)
    response = manager_browser.client.get("/monitoring/cases.csv?status=error&stage=")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][0] == "Case reference"
    assert sorted(r[0] for r in rows[1:]) == sorted(c.reference for c in seed.cases if c.status == "error")
    page = manager_browser.get("/monitoring/cases?status=error")
    assert "/monitoring/cases.csv?status=error" in page.html


# --- one case and its actions ----------------------------------------------------------------------


@pytest.fixture
def scoping_case(sfo_definition, people):  # type: ignore[no-untyped-def]
    case = SfoCase(people, sfo_definition, "SFO-MON-1")
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    return case


def test_case_page_shows_diagram_states_tasks_timeline_and_data(scoping_case, signed_in, people):
    browser = signed_in(people.manager)
    page = browser.get(f"/monitoring/cases/{scoping_case.row.id}")
    data = json.loads(re.search(r'class="sfo-diagram-data">(.*?)</script>', page.html, re.S).group(1))
    assert "write_terms_of_reference" in data["active"]
    assert {"confirm_eligibility", "allocate_reviewer"} <= set(data["completed"])
    assert ["allocate_reviewer", "set_review_deadlines"] in data["path"]
    [overlay] = data["overlays"]
    assert overlay["element"] == "write_terms_of_reference" and overlay["assignee"] == people.reviewer.username
    assert overlay["due"] == scoping_case.task("write_terms_of_reference").due_on.isoformat()
    assert "Write the terms of reference" in page.text and "Audit timeline" in page.text
    assert "Case data by stage" in page.text and "Confirm eligibility" in page.text
    diagram = browser.client.get(f"/monitoring/cases/{scoping_case.row.id}/diagram.bpmn")
    assert 'id="write_terms_of_reference"' in diagram.get_data(as_text=True)


def test_reassign_a_task_with_confirmation(scoping_case, signed_in, people):
    people.other_reviewer  # the reviewer to reassign to
    browser = signed_in(people.manager)
    task = scoping_case.task("write_terms_of_reference")
    url = f"/monitoring/cases/{scoping_case.row.id}/tasks/{task.id}/reassign"
    form = browser.get(url)
    assert people.other_reviewer.username in form.text and people.team.username not in form.text
    error = browser.post(url, {"step": "check", "username": people.team.username}, expect=400)
    assert "Select someone in the reviewer team" in error.text
    check = browser.post(url, {"step": "check", "username": people.other_reviewer.username}, expect=200)
    assert "Check before you reassign task" in check.text
    assert db.session.get(Task, task.id).assignee == people.reviewer.username  # nothing changed yet
    browser.post(url, {"step": "confirm", "username": people.other_reviewer.username})
    assert db.session.get(Task, task.id).assignee == people.other_reviewer.username
    [event] = _events(scoping_case.row, "task-assigned")
    assert event.actor == people.manager.username and event.detail["previous"] == people.reviewer.username
    inbox = signed_in(people.other_reviewer).get("/tasks")
    assert "Write the terms of reference" in inbox.text and "SFO-MON-1" in inbox.text
    signed_in(people.other_reviewer).get(f"/tasks/{task.id}")


def test_extend_a_deadline_moves_the_due_date_and_the_timers(scoping_case, signed_in, people):
    browser = signed_in(people.manager)
    task = scoping_case.task("write_terms_of_reference")
    old_due, old_timer = task.due_on, scoping_case.row.next_timer_at
    url = f"/monitoring/cases/{scoping_case.row.id}/tasks/{task.id}/extend"
    browser.get(url)
    early = {
        "step": "check",
        "new_due-day": old_due.day,
        "new_due-month": old_due.month,
        "new_due-year": old_due.year,
        "reason": "x",
    }
    assert "must be after the current one" in browser.post(url, early, expect=400).text
    assert (
        "Enter the reason"
        in browser.post(url, {**early, "new_due-day": 30, "new_due-month": 4, "reason": " "}, expect=400).text
    )
    answers = {"new_due-day": 30, "new_due-month": 4, "new_due-year": 2027, "reason": "Reviewer on leave"}
    check = browser.post(url, {"step": "check", **answers}, expect=200)
    assert "30 April 2027" in check.text and people.manager.label in check.text
    browser.post(url, {"step": "confirm", **answers})
    db.session.expire_all()
    assert db.session.get(Task, task.id).due_on == dt.date(2027, 4, 30)
    row = db.session.get(ProcessInstance, scoping_case.row.id)
    assert row.next_timer_at > old_timer
    assert row.next_timer_at == dt.datetime(2027, 4, 28, 7, 0, tzinfo=dt.UTC)  # 2 working days before, 8am BST
    [extension] = db.session.scalars(select(DeadlineExtension)).all()
    assert (extension.previous_due, extension.new_due, extension.approved_by, extension.reason) == (
        old_due,
        dt.date(2027, 4, 30),
        people.manager.username,
        "Reviewer on leave",
    )
    [event] = _events(row, "deadline-extended")
    assert event.detail["approved_by"] == people.manager.username and event.detail["new_due"] == "2027-04-30"
    inbox = signed_in(people.reviewer).get("/tasks")
    assert "30 April 2027" in inbox.text


def test_extended_timers_fire_on_the_new_date(scoping_case, people, clock):
    from app.services import deadlines
    from app.services.timers import fire_due_timers

    task = scoping_case.task("write_terms_of_reference")
    deadlines.extend_deadline(people.manager, task.id, dt.date(2027, 4, 30), "leave")
    clock.set(dt.datetime(2027, 3, 20, 9, 0, tzinfo=dt.UTC))  # after the old due date
    fire_due_timers()
    assert scoping_case.ready(managers=True) == ["write_terms_of_reference"]  # no escalation yet
    clock.set(dt.datetime(2027, 5, 1, 9, 0, tzinfo=dt.UTC))
    fire_due_timers()
    assert "overdue_task_escalation" in scoping_case.ready(managers=True)
    assert scoping_case.task("overdue_task_escalation").name == "Overdue: Write the terms of reference"
    kinds = [e.detail.get("target") for e in _events(scoping_case.row, "notification")]
    assert "write_terms_of_reference" in kinds  # the reminder went out before the new date


def test_suspend_resume_and_cancel_with_confirmation(scoping_case, signed_in, people):
    browser = signed_in(people.manager)
    base = f"/monitoring/cases/{scoping_case.row.id}"
    browser.get(f"{base}/suspend")
    browser.post(f"{base}/suspend", {"step": "check", "reason": "Court order"}, expect=200)
    browser.post(f"{base}/suspend", {"step": "confirm", "reason": "Court order"})
    db.session.expire_all()
    assert db.session.get(ProcessInstance, scoping_case.row.id).status == "suspended"
    assert "Resume case" in browser.get(base).text
    browser.post(f"{base}/resume", {"step": "check"}, expect=200)
    browser.post(f"{base}/resume", {"step": "confirm"})
    db.session.expire_all()
    assert db.session.get(ProcessInstance, scoping_case.row.id).status == "running"
    assert (
        "Enter the reason for cancelling"
        in browser.post(f"{base}/cancel", {"step": "check", "reason": ""}, expect=400).text
    )
    check = browser.post(f"{base}/cancel", {"step": "check", "reason": "Duplicate notification"}, expect=200)
    assert "cannot be undone" in check.text
    browser.post(f"{base}/cancel", {"step": "confirm", "reason": "Duplicate notification"})
    db.session.expire_all()
    row = db.session.get(ProcessInstance, scoping_case.row.id)
    assert row.status == "cancelled"
    assert [e.actor for e in _events(row, "suspended") + _events(row, "resumed") + _events(row, "cancelled")] == [
        people.manager.username
    ] * 3
    assert _events(row, "cancelled")[0].detail["reason"] == "Duplicate notification"
    browser.post(f"{base}/suspend", {"step": "confirm", "reason": ""}, expect=409)


def test_retry_after_correcting_the_failing_elements_data(app, signed_in):
    files = read_library(DATA)
    files["small.bpmn"] = files["small.bpmn"].replace(
        b"add_working_days(today(), 2)", b"add_working_days(provider_org, 2)"
    )
    definition = deploy_files(files, "system").definition
    manager = make_user("manager")
    row = instances.start_case(make_user("provider"), definition.key, "SFO-ERR", {})
    assert row.status == "error"
    browser = signed_in(manager)
    assert "SFO-ERR" in browser.get("/monitoring/incidents").text
    url = f"/monitoring/cases/{row.id}/retry"
    form = browser.get(url)
    field = re.search(r'<label class="govuk-label govuk-label--s" for="(value-\d+)">\s*provider_org', form.html).group(
        1
    )
    assert (
        "provider_org: enter a JSON value" in browser.post(url, {"step": "check", field: "not json"}, expect=400).text
    )
    check = browser.post(url, {"step": "check", field: '"2027-03-01"'}, expect=200)
    assert html.unescape("&#34;north-probation&#34; → &#34;2027-03-01&#34;") in html.unescape(check.text)
    browser.post(url, {"step": "confirm", field: '"2027-03-01"'})
    db.session.expire_all()
    row = db.session.get(ProcessInstance, row.id)
    assert row.status == "running" and row.error_element is None
    assert [t.bpmn_id for t in instances.tasks_of(row, "ready")] == ["triage"]
    [corrected] = _events(row, "data-corrected")
    assert corrected.actor == manager.username and corrected.detail["changes"] == {"provider_org": "2027-03-01"}
    assert _events(row, "retried")
