"""Task forms in the browser: the error summary, saving a draft and finding it again, and what a
multi-instance task shows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import Task, TaskDraft
from tests.people import People
from tests.sfo_case import SfoCase

from .person import Person


def _scoping(people: People, definition, **tor) -> SfoCase:  # type: ignore[no-untyped-def]
    case = SfoCase(people, definition)
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    if tor:
        case.do("write_terms_of_reference", **tor)
    return case


def _open_team_task(team: Person, reference: str, name: str) -> None:
    team.open_tab("Unassigned in my teams")
    team.follow(name, within=team.task_row(reference, name))
    assert team.h1() == name


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_an_empty_form_gets_the_error_summary_and_saves_nothing(people, sfo_definition, person, javascript):
    case = SfoCase(people, sfo_definition)
    task_id, version = case.task("confirm_eligibility").id, case.row.lock_version
    team = person(people.team, javascript=javascript)
    _open_team_task(team, case.row.business_key, "Confirm eligibility")

    team.press("Submit")  # the form again, with the error summary
    assert team.page.title().startswith("Error: Confirm eligibility")
    summary = team.page.locator(".govuk-error-summary")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    links = summary.get_by_role("link")
    expect(links).to_have_count(2)  # the decision and the reasons, both required
    # Each message is also shown at its field.
    assert team.page.locator(".govuk-error-message").count() == 2
    if javascript:
        expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary
    for index in range(2):
        link = links.nth(index)
        target = (link.get_attribute("href") or "").removeprefix("#")
        field = team.page.locator(f"[id='{target}']")
        expect(field).to_have_count(1)  # every link leads somewhere
        link.click()
        if javascript:
            expect(field).to_be_focused()  # and puts the cursor in the field
        else:
            assert team.page.url.endswith(f"#{target}")

    # Nothing was saved: the task is open, the case has not moved and there is no draft.
    db.session.expire_all()
    assert db.session.get(Task, task_id).state == "ready"
    assert db.session.get(type(case.row), case.row.id).lock_version == version
    assert db.session.query(TaskDraft).count() == 0
    team.follow("Back to tasks")
    team.open_tab("Unassigned in my teams")
    assert team.task_row(case.row.business_key, "Confirm eligibility").count() == 1


def test_an_error_keeps_what_was_typed(people, sfo_definition, person):
    case = SfoCase(people, sfo_definition)
    team = person(people.team)
    _open_team_task(team, case.row.business_key, "Confirm eligibility")
    team.fill("Reasons for your decision", "Offence on licence <b>bold</b>")
    team.press("Submit")  # the form again, with the error summary
    links = team.page.locator(".govuk-error-summary").get_by_role("link").all_inner_texts()
    assert len(links) == 1 and "eligible" in links[0].lower()
    assert team.value("Reasons for your decision") == "Offence on licence <b>bold</b>"


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_saved_draft_is_there_when_the_reviewer_comes_back(people, sfo_definition, person, javascript):
    case = _scoping(people, sfo_definition)
    reference = case.row.business_key
    name = "Write the terms of reference"
    reviewer = person(people.reviewer, javascript=javascript)
    reviewer.follow(name, within=reviewer.task_row(reference, name))

    reviewer.date("Review period starts", "2026-01-05")
    reviewer.fill("Lines of enquiry", "Was the risk to children assessed?")
    reviewer.press("Add a review")
    item = reviewer.group("Review 1")
    reviewer.fill("Agency leading the review", "Northtown Safeguarding Children Partnership", within=item)
    reviewer.choose("Type of review", "Child Safeguarding Practice Review", within=item)
    reviewer.press("Save draft")
    assert "Your draft is saved" in reviewer.banner()
    assert "Draft saved 1 March 2027 at 9:00am." in reviewer.page.get_by_role("main").inner_text()

    reviewer.follow("Back to tasks")  # away, and back as a person would come back
    reviewer.follow(name, within=reviewer.task_row(reference, name))
    assert reviewer.date_boxes("Review period starts") == ["5", "1", "2026"]
    assert reviewer.date_boxes("Review period ends") == ["", "", ""]
    assert reviewer.value("Lines of enquiry") == "Was the risk to children assessed?"
    item = reviewer.group("Review 1")
    assert reviewer.value("Agency leading the review", within=item) == "Northtown Safeguarding Children Partnership"
    assert item.get_by_label("Child Safeguarding Practice Review", exact=True).is_checked()
    # A draft is not a submission: the case is still being scoped.
    db.session.expire_all()
    assert case.ready() == ["write_terms_of_reference"]


def test_each_liaison_task_shows_its_own_review(people, sfo_definition, person):
    reviews = [
        {"agency": "First Agency", "review_type": "domestic_homicide_review"},
        {"agency": "Second Agency", "review_type": "safeguarding_adults_review"},
    ]
    case = _scoping(people, sfo_definition, other_reviews=reviews)
    reviewer = person(people.reviewer)
    for agency in ("First Agency", "Second Agency"):
        name = f"Liaise with another agency's review: {agency}"
        reviewer.follow(name, within=reviewer.task_row(case.row.business_key, name))
        shown = reviewer.page.locator(".sfo-form .govuk-summary-list").inner_text()
        assert agency in shown, f"{name} shows: {shown}"
        reviewer.follow("Back to tasks")
