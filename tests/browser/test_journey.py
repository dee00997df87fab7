"""A case from the provider's notification to the provider's response, only through the pages, each
person in a browser context of their own; with JavaScript and without it. Every page visited passes
the accessibility checks (tests/browser/accessibility.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from app.demo import notification_dates
from tests.conftest import START

from .person import Person

REFERENCE = "SFO-2027-101"
TODAY = START.date()
FIRST_AGENCY = "Northtown Community Safety Partnership"
SECOND_AGENCY = "Northtown Safeguarding Adults Board"


def _days(n: int) -> str:
    return (TODAY + dt.timedelta(days=n)).isoformat()


def notify(provider: Person) -> None:
    """The provider fills in the notification as a person would: date boxes, radios, text."""
    dates = notification_dates(TODAY)
    provider.follow("Cases")
    provider.press("Notify a new SFO")
    assert provider.h1() == "Notify a Serious Further Offence"
    assert provider.value("Probation provider") == "north-probation"  # filled in from their organisation
    provider.fill("Case reference", REFERENCE)
    provider.fill("Full name of the person charged", "Jordan Blackwood")
    provider.date("Date of birth", dates["date_of_birth"])
    provider.fill("Case reference number (CRN)", "X123456")
    provider.choose("Type of supervision", "Licence after release from custody")
    provider.date("Supervision start date", dates["supervision_start"])
    provider.date("Supervision end date", dates["supervision_end"])
    provider.choose("Type of offence charged", "Murder")
    provider.fill("What the person is charged with", "Murder of his former partner at her home.")
    provider.date("Date of the alleged offence", dates["offence_date"])
    provider.date("Date charged", dates["charge_date"])
    provider.date("Date of first court appearance", dates["first_court_appearance"])
    provider.fill("Number of victims", "1")
    provider.choose("Victims' relationship to the person", "Partner or former partner")
    provider.choose("Is there media interest in the case?", "No")

    provider.press("Add a review")  # a plain submit button: the server adds the item
    assert provider.value("Full name of the person charged") == "Jordan Blackwood"  # what was typed is kept
    assert provider.chosen("Type of offence charged", "Murder")
    review = provider.group("Review 1")
    provider.fill("Agency leading the review", FIRST_AGENCY, within=review)
    provider.choose("Type of review", "Domestic Homicide Review", within=review)

    provider.press("Send notification")
    assert provider.h1() == f"Case {REFERENCE}"
    assert f"Case {REFERENCE} has been notified" in provider.banner()
    # The provider does not see the SFO team's tasks, but is told the case is being worked on.
    assert "The SFO reviews team is working on it (eligibility stage)" in provider.page.get_by_role("main").inner_text()


def confirm_and_allocate(team: Person, reviewer: str) -> None:
    team.open_tab("Unassigned in my teams")
    team.press(f"Pick up Confirm eligibility for {REFERENCE}")
    assert "It is in My tasks" in team.banner()
    assert team.h1() == "Confirm eligibility"  # picking a task up opens it
    summary = team.page.locator(".sfo-form .govuk-summary-list").inner_text()
    assert "Proposed: eligible for an SFO review" in summary  # what the decision table proposed
    team.choose("Is this case eligible for an SFO review?", "Yes, it is a serious further offence")
    team.fill("Reasons for your decision", "Murder charged while on licence: a qualifying offence.")
    team.press("Submit")
    assert team.h1() == "Confirm eligibility submitted"

    team.press("Pick up Allocate a reviewer for " + REFERENCE)  # offered as the team's next task
    assert team.h1() == "Allocate a reviewer"
    team.choose("Reviewer", reviewer)
    team.fill("Notes for the reviewer (optional)", "Media interest may grow once the trial date is set.")
    team.press("Submit")
    assert team.h1() == "Allocate a reviewer submitted"
    assert f"{reviewer}: Write the terms of reference" in team.page.get_by_role("main").inner_text()


def scope_liaise_and_gather(reviewer: Person) -> None:
    reviewer.follow("Write the terms of reference", within=reviewer.task_row(REFERENCE, "Write the terms of reference"))
    reviewer.date("Review period starts", _days(-400))
    reviewer.date("Review period ends", _days(-10))
    reviewer.fill("Lines of enquiry", "Was the risk to former partners assessed and managed?")
    reviewer.fill("Sources", "Case records, OASys assessments, MAPPA minutes.")
    reviewer.fill("Interviews", "Probation practitioner; senior probation officer.")
    reviewer.date("Evidence gathering is due by", _days(40))
    reviewer.date("Liaison with other agencies' reviews is due by", _days(30))
    # The review the provider named is already listed; the reviewer adds another one.
    assert reviewer.value("Agency leading the review", within=reviewer.group("Review 1")) == FIRST_AGENCY
    reviewer.press("Add another review")
    assert reviewer.value("Lines of enquiry") == "Was the risk to former partners assessed and managed?"
    second = reviewer.group("Review 2")
    reviewer.fill("Agency leading the review", SECOND_AGENCY, within=second)
    reviewer.choose("Type of review", "Safeguarding Adults Review", within=second)
    reviewer.press("Submit")
    assert reviewer.h1() == "Write the terms of reference submitted"

    for agency in (FIRST_AGENCY, SECOND_AGENCY):  # one liaison task for each review
        reviewer.follow(f"Liaise with another agency's review: {agency}")
        # (Which agency the form itself shows is checked in test_task_forms.py.)
        reviewer.fill("Your contact for this review", "Review chair")
        reviewer.choose("Have you agreed how information will be shared?", "Yes")
        reviewer.fill("How will the reviews avoid duplicating work?", "A shared chronology and joint interviews.")
        reviewer.date("When does the other review expect to publish?", _days(200))
        reviewer.press("Submit")
        assert reviewer.h1() == f"Liaise with another agency's review: {agency} submitted"

    reviewer.follow("Gather evidence")
    reviewer.fill("Records examined", "Case records from the start of the licence to the offence.")
    reviewer.fill("Summary of the evidence", "Risk was assessed but not reviewed after the relationship ended.")
    reviewer.press("Submit")
    assert reviewer.h1() == "Gather evidence submitted"


DRAFT = {
    "Summary": "The risk to the former partner was not reassessed when the relationship ended.",
    "What happened": "The person was released on licence and supervised for 13 months.",
    "Analysis: assessment": "The initial assessment was sound.",
    "Analysis: planning": "The plan did not address contact with former partners.",
    "Analysis: implementation": "Appointments were kept.",
    "Analysis: review": "No review followed the end of the relationship.",
    "Analysis: partnership working": "Police information was not requested.",
    "Analysis: management oversight": "Supervision records show no discussion of the case.",
    "Good practice": "The practitioner saw the person weekly throughout the licence.",
    "Lessons": "Relationship changes must trigger a review of risk.",
}


def draft_report(reviewer: Person) -> None:
    reviewer.follow("Draft the review report")
    for label, text in DRAFT.items():
        reviewer.fill(label, text)
    reviewer.choose("Were all reasonable steps taken to manage the case?", "Partly")
    reviewer.press("Add a recommendation")
    assert reviewer.value("Summary") == DRAFT["Summary"]
    item = reviewer.group("Recommendation 1")
    reviewer.fill("Recommendation", "Review risk whenever a relationship ends.", within=item)
    reviewer.choose("Who it is for", "The probation provider", within=item)
    reviewer.choose("Level", "Local", within=item)
    reviewer.press("Submit")
    assert reviewer.h1() == "Draft the review report submitted"


def quality_assure(qa: Person, decision: str, comments: str = "") -> None:
    qa.follow("Tasks")
    qa.open_tab("Unassigned in my teams")
    qa.press(f"Pick up Quality assure the report for {REFERENCE}")
    # picking it up opens the task, which shows the draft to decide on
    assert qa.h1() == "Quality assure the report"
    assert DRAFT["Summary"] in qa.page.locator("#draft-report").inner_text()
    qa.choose("Your decision", decision)
    if comments:
        qa.fill("Comments for the reviewer", comments)
    qa.press("Submit")
    assert qa.h1() == "Quality assure the report submitted"


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_case_from_notification_to_the_provider_response(people, sfo_definition, person, journey, javascript):
    reviewer_name = people.reviewer.username

    provider = person(people.provider, javascript=javascript)
    # GOV.UK Frontend marks the page when its scripts run: proof of which journey this is.
    assert provider.page.evaluate("document.body.classList.contains('govuk-frontend-supported')") is javascript
    notify(provider)

    team = person(people.team, javascript=javascript)
    confirm_and_allocate(team, reviewer_name)
    team.follow(f"See case {REFERENCE}")
    assert reviewer_name in team.page.locator(".sfo-case-summary").first.inner_text()
    # What the provider sent reads in the order they were asked it.
    notification = team.page.locator("h2", has_text="Notification").locator("xpath=following-sibling::dl[1]")
    questions = notification.locator(".govuk-summary-list__key").all_inner_texts()
    assert questions[:4] == ["Case reference", "Probation provider", "Full name of the person charged", "Date of birth"]

    reviewer = person(people.reviewer, javascript=javascript)
    scope_liaise_and_gather(reviewer)
    draft_report(reviewer)

    qa = person(people.qa, javascript=javascript)
    quality_assure(qa, "Return it to the reviewer with comments", "Say what the senior probation officer knew.")
    assert f"{reviewer_name}: Draft the review report" in qa.page.get_by_role("main").inner_text()

    reviewer.follow("Back to your tasks")
    reviewer.follow("Draft the review report", within=reviewer.task_row(REFERENCE, "Draft the review report"))
    assert reviewer.value("Summary") == DRAFT["Summary"]  # the first draft is there to revise
    returned = reviewer.page.locator("#qa-comments").inner_text()  # what QA asked for, beside the form
    assert "Comments from quality assurance" in returned and "Say what the senior probation officer knew." in returned
    reviewer.fill("Analysis: management oversight", "The senior probation officer knew of the separation.")
    reviewer.press("Submit")

    quality_assure(qa, "Approve: the report can be sent to the provider")
    assert "Respond to the recommendations" in qa.page.get_by_role("main").inner_text()

    provider.follow("Tasks")
    provider.open_tab("Unassigned in my teams")
    assert provider.task_row(REFERENCE, "Respond to the recommendations").count() == 1
    provider.follow(REFERENCE, within=provider.task_row(REFERENCE, "Respond to the recommendations"))
    assert provider.h1() == f"Case {REFERENCE}"
    provider.follow("Respond to the recommendations")  # from "Who holds it now"
    assert provider.page.get_by_role("button", name="Submit").count() == 1
    assert journey.pages_checked > 40
