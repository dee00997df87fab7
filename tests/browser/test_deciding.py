"""Deciding with the material in front of you (issue 11): quality assurance reads the draft with what
changed since the version it returned; the approver sees the public page as it will be published,
with the redaction log beside it; the SFO team chooses a reviewer from a list showing each one's
open cases and next due date. With and without JavaScript; every page passes the accessibility checks."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import ProcessInstance
from tests.services.test_publication import SUMMARY, TITLE, clean_pack, convicted_case
from tests.sfo_case import SfoCase

from .person import Person

BOTH = pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])


def open_task(someone: Person, case: SfoCase, bpmn_id: str) -> None:
    someone.visit(f"/tasks/{case.task(bpmn_id).id}")


def words(locator) -> str:  # type: ignore[no-untyped-def]
    return " ".join(" ".join(locator.all_inner_texts()).split())


@BOTH
def test_quality_assurance_reads_the_draft_and_what_changed_since_it_was_returned(
    people, sfo_definition, person, javascript
):
    case = SfoCase(people, sfo_definition)
    case.to_stage("drafting")
    case.do("draft_report", summary="The person was supervised for two years.\nRisk was not reviewed.")
    case.do("quality_assure_report", qa_decision="return", qa_comments="Say when risk was last reviewed.")
    case.do("draft_report", summary="The person was supervised for three years.\nRisk was last reviewed in March 2025.")

    qa = person(people.qa, javascript=javascript)
    open_task(qa, case, "quality_assure_report")
    report = qa.page.locator("#draft-report")
    assert "The draft report, version 2" in report.inner_text()
    summary = words(qa.page.locator("#changes-summary"))
    assert "Compared with version 1, which" in summary and "returned" in summary
    assert "Changed: Summary." in summary
    added = words(report.locator("ins.sfo-diff-added"))
    removed = words(report.locator("del.sfo-diff-removed"))
    assert "three" in added and "last reviewed in March 2025." in added
    assert "two" in removed and "not reviewed." in removed
    assert "[added]" in added  # said to screen readers too, not only shown in colour
    # the text keeps its line break, and unchanged parts are shown as they are
    assert "two years.\nRisk" not in report.inner_text()
    assert "The person was supervised for" in report.inner_text()

    qa.choose("Your decision", "Return it to the reviewer with comments")
    qa.fill("Comments for the reviewer", "")  # it starts with the comments of the last return
    qa.press("Submit")  # the form again, with the error summary
    assert "Enter comments for the reviewer" in qa.page.locator(".govuk-error-summary").inner_text()


@BOTH
def test_the_first_draft_is_shown_whole_without_changes(people, sfo_definition, person, javascript):
    case = SfoCase(people, sfo_definition)
    case.to_stage("drafting")
    case.do("draft_report", summary="The person was supervised for two years.")
    qa = person(people.qa, javascript=javascript)
    open_task(qa, case, "quality_assure_report")
    report = qa.page.locator("#draft-report")
    assert "The person was supervised for two years." in report.inner_text()
    assert report.locator("ins, del").count() == 0
    assert qa.page.locator("#changes-summary").count() == 0


@BOTH
def test_the_approver_sees_the_public_page_as_published_with_the_redaction_log(
    people, sfo_definition, person, javascript
):
    case = convicted_case(people, sfo_definition)
    case.do("anonymise_report", **clean_pack())
    case.do("provide_progress_summary")
    case.do("coordinate_publication", publication_date="2027-03-01")

    approver = person(people.approver, javascript=javascript)
    open_task(approver, case, "approve_publication")
    preview = approver.page.locator("#public-page-preview .sfo-public-preview")
    log = words(approver.page.locator("#public-page-preview ol"))
    assert "Name of the person on probation" in log and "“Jordan Blackwood” replaced with “Mr A” in Summary" in log
    assert "Name of a member of staff" in log and "“Priya Lambert” replaced with “a practice manager”" in log
    shown = [" ".join(b.split()) for b in preview.locator("h2, h3, p.govuk-body, dt, dd").all_inner_texts()]
    assert "Clean text for summary." in shown and "1 March 2027" in shown
    assert "Jordan Blackwood" not in " ".join(shown)
    assert TITLE in preview.inner_text() and SUMMARY in preview.inner_text()

    approver.choose("Approve publication?", "Yes, approve publication")
    approver.press("Submit")
    db.session.expire_all()  # the page changed the case in the server's session
    case.do("publish_report", published_on="2027-03-01")
    visitor = person(people.publication, javascript=javascript, sign_in=False)
    visitor.visit("/published")
    visitor.follow(TITLE)  # the title and summary written with the anonymised text
    page = visitor.page.locator("main .govuk-grid-column-two-thirds")
    published = [" ".join(b.split()) for b in page.locator("h2, h3, p.govuk-body, dt, dd").all_inner_texts()]
    published = [b for b in published if "Download this report" not in b]
    assert published == shown  # what was approved is what was published


@BOTH
def test_the_sfo_team_chooses_a_reviewer_seeing_their_open_cases(people, sfo_definition, person, javascript):
    people.other_reviewer  # the second reviewer to choose
    busy = SfoCase(people, sfo_definition, "SFO-2027-001")
    busy.to_stage("drafting")  # people.reviewer now reviews one open case, with a report due
    due = busy.task("draft_report").due_on
    case = SfoCase(people, sfo_definition, "SFO-2027-002")
    case.do("confirm_eligibility", eligible=True)

    team = person(people.team, javascript=javascript)
    open_task(team, case, "allocate_reviewer")
    choices = team.group("Reviewer")
    assert choices.get_by_label(people.reviewer.username, exact=True).count() == 1
    hints = words(choices.locator(".govuk-radios__hint"))
    assert f"1 open case, next task due {due.day} {due:%B %Y}" in hints
    assert "No open cases, no tasks due" in hints
    assert choices.locator("input[type=radio]").first.get_attribute("value") == people.other_reviewer.username
    choices.get_by_label(people.other_reviewer.username, exact=True).check()
    team.press("Submit")
    db.session.expire_all()
    assert db.session.get(ProcessInstance, case.row.id).reviewer == people.other_reviewer.username
