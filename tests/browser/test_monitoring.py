"""A manager finds a reviewer's overdue cases, sees the task on the case's diagram, reassigns it and
extends its deadline; axe checks every monitoring page on the way."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import START
from tests.monitoring_seed import seed_cases
from tests.people import People
from tests.sfo_case import SfoCase

TASK = "Write the terms of reference"


@pytest.fixture(autouse=True)
def _fresh_dashboard_history():  # type: ignore[no-untyped-def]
    """The dashboard keeps its monthly figures for minutes; each test has its own data."""
    from app.services.monitoring.dashboard import history_cache

    history_cache.clear()
    yield
    history_cache.clear()


def _scoped(people: People, definition, reference: str, reviewer) -> SfoCase:  # type: ignore[no-untyped-def]
    case = SfoCase(people, definition, reference)
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=reviewer.username)
    return case


def test_manager_reassigns_and_extends_an_overdue_task(people, sfo_definition, person, clock):
    seed_cases(sfo_definition, START.date(), count=60)
    _scoped(people, sfo_definition, "SFO-LATE-1", people.reviewer)
    _scoped(people, sfo_definition, "SFO-OTHER-1", people.other_reviewer)
    clock.set(START + dt.timedelta(days=20))  # both scoping deadlines (10 working days) have passed

    manager = person(people.manager)
    manager.follow("Monitoring")
    assert manager.h1() == "Monitoring"
    manager.page.wait_for_selector("#heatmap[data-ready='true']")
    count = manager.page.locator("#heatmap .djs-overlay .sfo-count").first
    assert int(count.inner_text().split()[0]) >= 1
    manager.check()

    manager.follow("All cases")
    manager.page.get_by_label("Reviewer", exact=True).select_option(people.reviewer.username)
    manager.page.get_by_label("Only cases with an overdue task", exact=True).check()
    manager.press("Apply filters")
    rows = manager.page.locator("#cases tbody tr")
    assert rows.count() == 1 and "SFO-LATE-1" in rows.first.inner_text() and "Overdue" in rows.first.inner_text()

    manager.follow("SFO-LATE-1")
    manager.page.wait_for_selector("#case-diagram[data-ready='true']")
    stage = manager.page.locator('#case-diagram g.djs-element[data-element-id="scoping"]')  # the stage, on top
    assert "sfo-active" in (stage.get_attribute("class") or "")
    eligibility = manager.page.locator('#case-diagram g.djs-element[data-element-id="eligibility"]')
    assert "sfo-completed" in (eligibility.get_attribute("class") or "")
    overlay = manager.page.locator('#case-diagram .djs-overlays[data-container-id="scoping"] .sfo-overlay').inner_text()
    assert people.reviewer.username in overlay and "Overdue" in overlay
    manager.page.locator('#case-diagram .djs-overlays[data-container-id="scoping"] .bjs-drilldown').click()
    shape = manager.page.locator('#case-diagram g.djs-element[data-element-id="write_terms_of_reference"]')
    assert "sfo-active" in (shape.get_attribute("class") or "")  # inside the stage, on its own plane
    done = manager.page.locator('#case-diagram g.djs-element[data-element-id="allocate_reviewer"]')
    assert "sfo-completed" in (done.get_attribute("class") or "")
    inner = manager.page.locator('#case-diagram .djs-overlays[data-container-id="write_terms_of_reference"]')
    assert people.reviewer.username in inner.inner_text()
    manager.check()

    manager.follow(f"Reassign {TASK}")
    manager.choose("Who should do it? (the reviewers)", people.other_reviewer.username)
    manager.press("Continue")
    assert manager.h1() == "Check before you reassign task"
    manager.press("Reassign task")
    assert f"now assigned to {people.other_reviewer.username}" in manager.banner()

    colleague = person(people.other_reviewer)
    assert colleague.task_row("SFO-LATE-1", TASK).count() == 1

    manager.follow(f"Extend deadline of {TASK}")
    manager.date("New due date", "2027-04-30")
    manager.fill("Reason for the extension", "Reviewer changed; new reviewer needs time to read in")
    manager.press("Continue")
    assert "30 April 2027" in manager.page.locator(".govuk-summary-list").inner_text()
    manager.press("Extend deadline")
    assert "now due on 30 April 2027" in manager.banner()
    assert "Overdue" not in manager.page.locator("#open-tasks").inner_text()

    colleague.visit("/tasks")
    assert "30 April 2027" in colleague.task_row("SFO-LATE-1", TASK).inner_text()


def test_monitoring_pages_work_without_javascript(people, sfo_definition, person):
    seed_cases(sfo_definition, START.date(), count=30)
    case = _scoped(people, sfo_definition, "SFO-NOJS-1", people.reviewer)
    manager = person(people.manager, javascript=False)
    manager.visit("/monitoring")
    manager.visit("/monitoring/incidents")
    manager.visit("/monitoring/notifications")
    manager.visit("/monitoring/cases?status=running&sort=reference&order=asc")
    manager.visit(f"/monitoring/cases/{case.row.id}")
    assert "The diagram needs JavaScript" in manager.page.inner_text("#case-diagram")
    manager.press("Suspend case")
    manager.fill("Reason (optional)", "Waiting for police disclosure")
    manager.press("Continue")
    manager.press("Suspend case")
    assert "is suspended" in manager.banner()
    manager.press("Cancel case")
    manager.press("Continue", status=400)
    manager.fill("Reason for cancelling", "Notified twice")
    manager.press("Continue")
    manager.press("Cancel case")
    assert "is cancelled" in manager.banner()
