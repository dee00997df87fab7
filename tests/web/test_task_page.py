import re

from sqlalchemy import select

from app.extensions import db
from app.models import Task
from app.services import instances, tasks
from tests.conftest import make_user
from tests.sfo_case import SfoCase


def test_task_page_shows_case_summary_instructions_and_form(people, sfo_definition, signed_in):
    case = SfoCase(people, sfo_definition)
    task = case.task("confirm_eligibility")
    page = signed_in(people.team).get(f"/tasks/{task.id}")
    assert "Confirm eligibility" in page.h1s[0]
    assert "SFO-2027-001" in page.text and "Case reference" in page.text
    assert "Submit" in page.text and "Save draft" in page.text


def test_invalid_answers_show_the_error_summary_keep_values_and_change_nothing(people, sfo_definition, signed_in):
    case = SfoCase(people, sfo_definition)
    task = case.task("confirm_eligibility")
    version = case.row.lock_version
    web = signed_in(people.team)
    web.get(f"/tasks/{task.id}")
    page = web.post(
        f"/tasks/{task.id}", {"eligibility_rationale": "Kept text <b>", "form_action": "submit"}, expect=200
    )
    assert page.title.startswith("Error: ") and "There is a problem" in page.text
    assert "Kept text &lt;b&gt;" in page.html
    assert re.search(r'href="#eligible', page.html)
    db.session.expire_all()
    assert db.session.get(Task, task.id).state == "ready"
    assert instances.get_instance(people.team, case.row.id).lock_version == version


def test_draft_is_saved_for_the_assignee_and_restored(people, sfo_definition, signed_in):
    case = SfoCase(people, sfo_definition)
    task = case.task("confirm_eligibility")
    web = signed_in(people.team)
    web.get(f"/tasks/{task.id}")
    web.post(f"/tasks/{task.id}", {"eligibility_rationale": "Half written", "form_action": "draft"})
    page = web.get(f"/tasks/{task.id}")
    assert "Half written" in page.text and "Draft saved" in page.text
    assert db.session.get(Task, task.id).assignee == people.team.username
    other = make_user("sfo-team")
    assert "Half written" not in signed_in(other).get(f"/tasks/{task.id}").text


def test_submit_moves_on_and_offers_the_next_task_if_it_is_yours(people, sfo_definition, signed_in):
    case = SfoCase(people, sfo_definition)
    task = case.task("confirm_eligibility")
    web = signed_in(people.team)
    web.get(f"/tasks/{task.id}")
    response = web.post(
        f"/tasks/{task.id}",
        {"eligible": True, "eligibility_rationale": "Murder while on licence.", "form_action": "submit"},
    )
    assert response.headers["Location"].endswith(f"/tasks/{task.id}/done")
    page = web.get(f"/tasks/{task.id}/done")
    assert "What happens next" in page.text and "Allocate" in page.text


def test_submitting_a_task_someone_else_just_completed_says_so(people, sfo_definition, signed_in):
    case = SfoCase(people, sfo_definition)
    task = case.task("confirm_eligibility")
    web = signed_in(people.team)
    web.get(f"/tasks/{task.id}")
    other = make_user("sfo-team")
    case.do("confirm_eligibility", as_user=other, eligible=True)
    response = web.post(f"/tasks/{task.id}", {"eligible": True, "form_action": "submit"})
    page = web.get(response.headers["Location"])
    assert f"{other.username} completed" in page.text and "Nothing you entered was saved" in page.text


def test_another_organisation_gets_not_found_and_another_reviewer_forbidden(people, sfo_definition, signed_in):
    case = SfoCase(people, sfo_definition)
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    task = case.task("write_terms_of_reference")
    signed_in(people.other_provider).get(f"/tasks/{task.id}", expect=404)
    signed_in(people.other_provider).get(f"/cases/{case.row.business_key}", expect=404)
    signed_in(people.other_reviewer).get(f"/tasks/{task.id}", expect=403)
    assert task.name in signed_in(people.reviewer).get(f"/tasks/{task.id}").text


def test_add_another_works_without_javascript(people, sfo_definition, signed_in):
    case = SfoCase(people, sfo_definition)
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    task = case.task("write_terms_of_reference")
    web = signed_in(people.reviewer)
    web.get(f"/tasks/{task.id}")
    page = web.post(f"/tasks/{task.id}", {"form_action": "add:other_reviews"}, expect=200)
    assert 'id="other_reviews-0-agency"' in page.html


def test_completed_by_me_tab(people, sfo_definition, signed_in):
    case = SfoCase(people, sfo_definition)
    case.do("confirm_eligibility", eligible=True)
    page = signed_in(people.team).get("/tasks?tab=completed")
    assert "Confirm eligibility" in page.text
    assert db.session.scalars(select(Task).where(Task.completed_by == people.team.username)).first() is not None
    assert tasks.list_tasks(people.team, tasks.TaskFilters(state="completed", completed_by="me"))[1] == 1


def test_a_reviewer_finds_what_they_completed_from_the_task_table_alone(people, sfo_definition, signed_in):
    """A reviewer's "Completed by me" was counted through the cases they may see (a union of their cases and
    the tasks they hold): 3.3 ms of every inbox page at 10,000 cases. A task they completed was theirs, so
    it is enough to read the task table, and taking the case from them does not hide their work."""
    case = SfoCase(people, sfo_definition)
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    case.do("write_terms_of_reference", other_reviews=[])
    mine = tasks.TaskFilters(state="completed", completed_by="me")
    count = str(tasks._count(people.reviewer, mine, None).compile(db.engine))
    assert "process_instance" not in count and "UNION" not in count.upper(), count
    case.row.reviewer = "another-reviewer"
    db.session.commit()
    rows, total = tasks.list_tasks(people.reviewer, mine)
    assert total == 1 and [row.bpmn_id for row in rows] == ["write_terms_of_reference"]
    assert rows[0].name in signed_in(people.reviewer).get("/tasks?tab=completed").text
    assert tasks.list_tasks(people.team, mine)[1] == 2  # the team's own, not the reviewer's


def test_a_reviewer_given_one_task_is_told_it_was_submitted_without_the_case(people, sfo_definition, signed_in):
    """A manager may give one reviewer's task to another reviewer without making them the case's reviewer:
    once it is done they no longer see the case, but the page after submitting still says it went in."""
    from app.services import tasks

    case = SfoCase(people, sfo_definition)
    case.to_stage("liaison")
    gather = case.task("gather_evidence")
    tasks.assign_task(people.manager, gather.id, people.other_reviewer.username)
    db.session.commit()
    case.do("gather_evidence", as_user=people.other_reviewer)
    web = signed_in(people.other_reviewer)
    page = web.get(f"/tasks/{gather.id}/done")
    assert "Gather evidence submitted" in page.text
    assert f"/cases/{case.row.business_key}" not in page.text and "Your next task" not in page.text
    web.get(f"/cases/{case.row.business_key}", expect=404)  # not theirs: as for any case not theirs
