"""Nobody loses typed work (issue 11): a suspended case says so in the inbox and on the task, and a
submission keeps the answers as a draft; a reassigned task takes its draft to the new holder, who can
also become the case's reviewer; a form whose security token expired comes back with the answers and
a fresh token; with JavaScript the form saves itself every minute and asks before leaving unsaved
changes; picking a task up opens it, and the done page offers only the user's own next task."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import ProcessInstance, Task
from app.services import instances
from tests.sfo_case import SfoCase

from .person import Person

BOTH = pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
TASK = "Confirm eligibility"
RATIONALE = "Reasons for your decision"


def open_task(someone: Person, case: SfoCase, bpmn_id: str) -> None:
    someone.visit(f"/tasks/{case.task(bpmn_id).id}")


@BOTH
def test_a_suspended_case_says_so_and_keeps_what_was_typed(people, sfo_definition, person, javascript):
    case = SfoCase(people, sfo_definition)
    instances.suspend_instance(people.manager, case.row.id, "Waiting for legal advice")

    team = person(people.team, javascript=javascript)
    team.open_tab("Unassigned in my teams")
    assert "Case suspended" in team.task_row(case.row.business_key, TASK).inner_text()
    team.press(f"Pick up {TASK} for {case.row.business_key}")
    warning = team.page.locator("#suspended").inner_text()
    assert "This case is suspended: Waiting for legal advice" in warning and "save a draft" in warning

    team.choose("Is this case eligible for an SFO review?", "Yes, it is a serious further offence")
    team.fill(RATIONALE, "Murder charged while on licence.")
    team.press("Submit")
    assert team.h1() == TASK
    warning = team.page.locator("#suspended").inner_text()
    assert "Your answers were not submitted. They are saved as your draft" in warning
    assert "Nothing you entered was saved" not in team.page.content()
    assert team.value(RATIONALE) == "Murder charged while on licence."

    team.visit(f"/tasks/{case.task('confirm_eligibility').id}")  # later: the draft is there
    assert team.value(RATIONALE) == "Murder charged while on licence."
    assert team.chosen("Is this case eligible for an SFO review?", "Yes, it is a serious further offence")


def test_a_reassigned_task_takes_its_draft_and_the_new_reviewer_gets_the_later_tasks(people, sfo_definition, person):
    people.other_reviewer  # the reviewer to reassign to
    case = SfoCase(people, sfo_definition)
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    task = case.task("write_terms_of_reference")

    reviewer = person(people.reviewer)
    open_task(reviewer, case, "write_terms_of_reference")
    reviewer.fill("Lines of enquiry", "Was the risk to former partners assessed?")
    reviewer.press("Save draft")

    manager = person(people.manager)
    manager.visit(f"/monitoring/cases/{case.row.id}/tasks/{task.id}/reassign")
    assert people.reviewer.username in manager.page.locator("#draft-carried").inner_text()
    manager.choose("Who should do it? (the reviewers)", people.other_reviewer.username)
    manager.group("The case's reviewer").get_by_label(
        f"Also make them the reviewer of case {case.row.business_key}", exact=True
    ).check()
    manager.press("Continue")
    assert (
        f"{people.other_reviewer.username} (was {people.reviewer.username})"
        in manager.page.locator(".govuk-summary-list").inner_text()
    )
    manager.press("Reassign task")
    assert "is now the case's reviewer" in manager.banner()

    colleague = person(people.other_reviewer)
    open_task(colleague, case, "write_terms_of_reference")
    assert colleague.value("Lines of enquiry") == "Was the risk to former partners assessed?"
    db.session.expire_all()
    assert db.session.get(ProcessInstance, case.row.id).reviewer == people.other_reviewer.username
    case.do("write_terms_of_reference", as_user=people.other_reviewer, other_reviews=[])
    evidence = case.task("gather_evidence")
    assert evidence.assignee == people.other_reviewer.username  # later tasks go to the new reviewer


@BOTH
def test_an_expired_form_comes_back_with_the_answers_and_a_fresh_token(people, sfo_definition, person, javascript):
    case = SfoCase(people, sfo_definition)
    team = person(people.team, javascript=javascript)
    open_task(team, case, "confirm_eligibility")
    team.choose("Is this case eligible for an SFO review?", "Yes, it is a serious further offence")
    team.fill(RATIONALE, "Typed over a long lunch.")
    team.page.locator("main input[name=csrf_token]").evaluate("input => { input.value = 'expired' }")
    team.press("Submit")  # 200: the form again, not an error page
    summary = team.page.locator(".govuk-error-summary").inner_text()
    assert "its security check expired, so nothing was submitted or saved" in summary
    assert team.value(RATIONALE) == "Typed over a long lunch."
    db.session.expire_all()
    assert db.session.get(Task, case.task("confirm_eligibility").id).state == "ready"
    team.press("Submit")  # the fresh token works
    assert team.h1() == f"{TASK} submitted"


def test_the_form_saves_itself_every_minute_and_asks_before_leaving(people, sfo_definition, person):
    case = SfoCase(people, sfo_definition)
    task = case.task("confirm_eligibility")
    team = person(people.team)
    team.page.clock.install()
    open_task(team, case, "confirm_eligibility")
    team.fill(RATIONALE, "Typed, never saved by hand.")
    team.page.clock.run_for(61_000)
    status = team.page.locator("#draft-status")
    status.filter(has_text="Draft saved automatically").wait_for()
    db.session.expire_all()
    assert db.session.get(Task, task.id).assignee == people.team.username  # saving a draft picks it up

    team.fill(RATIONALE, "Typed, never saved by hand. And more.")
    dialogs: list[str] = []
    team.page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    team.page.get_by_role("link", name="Back to tasks").click()
    team.page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert team.h1() == TASK  # stayed on the page

    # The server's clock stands still, so the second save says what the first did: clear it to see it come.
    team.page.evaluate("document.getElementById('draft-status').textContent = ''")
    team.page.clock.run_for(61_000)
    status.filter(has_text="Draft saved automatically").wait_for()
    team.visit(f"/tasks/{task.id}")
    assert team.value(RATIONALE) == "Typed, never saved by hand. And more."


@BOTH
def test_the_done_page_offers_only_the_users_own_next_task(people, sfo_definition, person, javascript):
    case = SfoCase(people, sfo_definition)
    team = person(people.team, javascript=javascript)
    open_task(team, case, "confirm_eligibility")
    team.choose("Is this case eligible for an SFO review?", "Yes, it is a serious further offence")
    team.fill(RATIONALE, "Murder charged while on licence.")
    team.press("Submit")
    main = team.page.get_by_role("main")
    assert "Your next task on this case is ready" not in main.inner_text()
    assert "The next task is for your team. Nobody has picked it up yet" in main.inner_text()
    assert main.get_by_role("link", name="Allocate a reviewer").count() == 0
    team.press(f"Pick up Allocate a reviewer for {case.row.business_key}")
    assert team.h1() == "Allocate a reviewer"
