"""Finding work (issue 11): the inbox searches by case reference, person's name or task and sorts by due
date, case, stage and when the task was received; on a 390 px phone the inbox and the dashboard fit
without sideways scrolling."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import START
from tests.sfo_case import SfoCase

BOTH = pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])


def cases(people, definition, clock) -> list[SfoCase]:  # type: ignore[no-untyped-def]
    first = SfoCase(people, definition, "SFO-2027-001", person_name="Alex Marsh")
    second = SfoCase(people, definition, "SFO-2027-002", person_name="Sam Oduya")
    third = SfoCase(people, definition, "SFO-2027-003", person_name="Kim Hale")
    clock.set(START + dt.timedelta(hours=2))
    third.do("confirm_eligibility", eligible=True)  # now at "Allocate a reviewer", received last
    return [first, second, third]


def references(someone) -> list[str]:  # type: ignore[no-untyped-def]
    return [cell.strip() for cell in someone.page.locator("main table tbody tr td:first-child").all_inner_texts()]


@BOTH
def test_the_inbox_searches_and_sorts(people, sfo_definition, person, javascript, clock):
    cases(people, sfo_definition, clock)
    team = person(people.team, javascript=javascript)
    team.open_tab("Unassigned in my teams")
    assert sorted(references(team)) == ["SFO-2027-001", "SFO-2027-002", "SFO-2027-003"]

    for text, expected in (("oduya", ["SFO-2027-002"]), ("2027-003", ["SFO-2027-003"]), ("allocate", ["SFO-2027-003"])):
        team.fill("Search", text)
        team.press("Apply filters")
        assert references(team) == expected, text
    team.fill("Search", "100%_")
    team.press("Apply filters")
    assert references(team) == [] and "Clear the filters" in team.page.get_by_role("main").inner_text()

    team.fill("Search", "")
    team.page.get_by_label("Sort by", exact=True).select_option("case")
    team.press("Apply filters")
    assert references(team) == ["SFO-2027-001", "SFO-2027-002", "SFO-2027-003"]
    team.page.get_by_label("Sort by", exact=True).select_option("received")
    team.press("Apply filters")
    assert references(team)[0] == "SFO-2027-003"  # its task arrived last
    team.page.get_by_label("Sort by", exact=True).select_option("stage")
    team.press("Apply filters")
    assert references(team)[-1] == "SFO-2027-003"  # eligibility comes before scoping


def test_the_inbox_and_dashboard_fit_a_phone(people, sfo_definition, person, clock):
    cases(people, sfo_definition, clock)
    for user, path in ((people.team, "/tasks?tab=team"), (people.manager, "/monitoring")):
        someone = person(user)
        someone.page.set_viewport_size({"width": 390, "height": 844})
        someone.visit(path)
        width = someone.page.evaluate("() => document.documentElement.scrollWidth")
        wide = someone.page.evaluate(
            "() => Array.from(document.querySelectorAll('main *')).filter(e => e.getBoundingClientRect().right > 391)"
            ".slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
        )
        assert width <= 390, f"{path} is {width} px wide on a 390 px screen: {wide}"


@BOTH
def test_the_inbox_tags_returned_and_overdue_work(people, sfo_definition, person, javascript, clock):
    case = SfoCase(people, sfo_definition, "SFO-2027-010")
    case.to_stage("drafting")
    case.do("draft_report")
    case.do("quality_assure_report", qa_decision="return", qa_comments="Say when risk was last reviewed.")
    clock.set(START + dt.timedelta(days=120))  # the draft report's deadline has passed
    reviewer = person(people.reviewer, javascript=javascript)
    row = reviewer.task_row("SFO-2027-010", "Draft the review report").inner_text()
    assert "Returned by quality assurance" in row and "Overdue" in row


def test_the_inbox_counts_the_tasks_new_since_the_last_visit(people, sfo_definition, person, clock):
    SfoCase(people, sfo_definition, "SFO-2027-020")
    team = person(people.team)  # signing in opens the inbox: the first visit
    assert team.page.locator("#new-tasks").count() == 0
    clock.set(START + dt.timedelta(hours=1))
    SfoCase(people, sfo_definition, "SFO-2027-021")
    SfoCase(people, sfo_definition, "SFO-2027-022")
    team.visit("/tasks")
    assert "2 new tasks have arrived for you or your teams since your last visit" in team.page.locator(
        "#new-tasks"
    ).inner_text().replace("\n", " ")
    team.visit("/tasks")
    assert team.page.locator("#new-tasks").count() == 0  # seen now
