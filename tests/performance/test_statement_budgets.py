"""Round-trip budgets: how many SQL statements each API operation sends (issue 12).

Time on a shared machine is noise; the number of statements is not. Each budget is what the operation
needs now, measured on the real SFO model; a change that adds a round trip fails here, and whoever
raises a budget says why beside it. COMMIT counts (it is a round trip); the driver's implicit BEGIN is
not visible to SQLAlchemy. SQLite sends each audit row as its own INSERT where PostgreSQL batches them.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import PublishedReport, User
from app.services import tasks
from app.services.sample_data import sample_for
from tests.api.helpers import API
from tests.api.test_sfo_paths import _notification
from tests.web.conftest import Browser

# The statements each operation may send. Start and complete write the case, its audit trail, the new
# task and its notification.
BUDGETS = {
    # token with user and groups; definition, reference free and (PostgreSQL) the new case's id, in one;
    # case (inserted once, with its first step's outcome; the reference's unique index refuses a second case
    # started under it at the same moment); its audit trail, notification, provider (case_provider: who may
    # see the case) and task in one statement (app/models/written_together.py); commit
    "start a case": 5,
    # token; task with its case, locked; the task's drafts deleted (whether there are any cannot be read with the
    # lock: a draft saved while the completion waited for it is newer than the locking statement); the case's
    # tasks; task done; audit, outbox and new task in one statement; case; commit
    "complete a task": 8,
    # the same, once the diagram names the owners of lanes (lane_owners, set when a reviewer is allocated):
    # owners' lane names resolve as the model's lanes did, with no look-up of groups per new task
    "complete a reviewer's task": 8,
    "list my tasks": 2,  # token; page (shorter than a full page, so it is the last and counts itself)
    "list a full page": 3,  # token; page; count
    "get a task with its form": 2,  # token; task with its case, the case's data and state, and the caller's draft
    "get an instance": 3,  # token; case with its data; its tasks
    # person with groups; tab counts with the total and the tasks new since the last visit; page. (A visit
    # that finds new tasks, or the first, also saves itself: two more, the UPDATE and its COMMIT.)
    "inbox page": 3,
    # the same, with tasks listed: whether each came round again (returned) is read with the page
    "inbox page with tasks": 3,
    "task page": 2,  # person with groups; task with its case, data and state, and the caller's draft
}
# SQLite sends one INSERT per table, and one per audit and outbox row, and has no sequence to draw a new
# case's id from: the case is inserted before its first step and updated after it.
# The tests' clock is past the case's deadlines: completing the reviewer's first task also opens two overdue
# tasks for managers and sends two reminders, so it writes six audit rows and five notifications (three task
# rows, in one INSERT): on SQLite, each audit and outbox row is its own INSERT.
SQLITE_EXTRA = {"start a case": 5, "complete a task": 3, "complete a reviewer's task": 11}


@pytest.fixture
def counted(app, api, people, sfo_definition, statements) -> dict[str, int]:
    """The statements of each operation on the SFO model, after a first case has filled the caches."""
    api.start("sfo_review", "SFO-WARM", _notification(sfo_definition, "SFO-WARM"), as_user=people.provider)
    notification = _notification(sfo_definition, "SFO-BUDGET")
    as_provider, as_team = api.headers(people.provider), api.headers(people.team)
    client = api.client

    def send(method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
        response = client.open(API + path, method=method, headers=headers, json=body)
        assert response.status_code in (200, 201), response.get_data(as_text=True)
        return response.get_json()

    counts: dict[str, int] = {}
    made: dict[str, Any] = {}
    start = {"process_key": "sfo_review", "business_key": "SFO-BUDGET", "data": notification}
    counts["start a case"] = statements.count(
        lambda: made.update(case=send("POST", "/process-instances", as_provider, start))
    )
    case_id = made["case"]["id"]
    [task] = send("GET", f"/tasks?process_instance_id={case_id}", as_team)["items"]
    counts["list my tasks"] = statements.count(lambda: send("GET", "/tasks", as_team))
    counts["list a full page"] = statements.count(lambda: send("GET", "/tasks?per_page=1", as_team))
    counts["get a task with its form"] = statements.count(lambda: send("GET", f"/tasks/{task['id']}", as_team))
    counts["get an instance"] = statements.count(lambda: send("GET", f"/process-instances/{case_id}", as_team))
    page = Browser(app.test_client()).sign_in(people.team)
    counts["inbox page"] = statements.count(lambda: page.get("/tasks"))
    counts["task page"] = statements.count(lambda: page.get(f"/tasks/{task['id']}"))
    form = send("GET", f"/tasks/{task['id']}", as_team)["form"]
    answers = {"data": sample_for(form["schema"], {"eligible": True})}
    counts["complete a task"] = statements.count(
        lambda: made.update(case=send("POST", f"/tasks/{task['id']}/complete", as_team, answers))
    )
    assert made["case"]["stage"] == "scoping"  # the completion did what it should
    [allocate] = [t for t in made["case"]["ready_tasks"] if t["bpmn_id"] == "allocate_reviewer"]
    form = send("GET", f"/tasks/{allocate['id']}", as_team)["form"]
    reviewer = {"data": sample_for(form["schema"], {"reviewer": people.reviewer.username})}
    send("POST", f"/tasks/{allocate['id']}/complete", as_team, reviewer)
    as_reviewer = api.headers(people.reviewer)
    ready = send("GET", f"/tasks?process_instance_id={case_id}", as_reviewer)["items"]
    [terms] = [t for t in ready if t["bpmn_id"] == "write_terms_of_reference"]
    form = send("GET", f"/tasks/{terms['id']}", as_reviewer)["form"]
    answers = {"data": sample_for(form["schema"], {"other_reviews": []})}
    counts["complete a reviewer's task"] = statements.count(
        lambda: made.update(case=send("POST", f"/tasks/{terms['id']}/complete", as_reviewer, answers))
    )
    [gather] = [t for t in made["case"]["ready_tasks"] if t["bpmn_id"] == "gather_evidence"]
    assert gather["assignee"] == people.reviewer.username  # the diagram named the allocated reviewer
    reviewer_page = Browser(app.test_client()).sign_in(people.reviewer)
    counts["inbox page with tasks"] = statements.count(lambda: reviewer_page.get("/tasks"))
    assert "Gather evidence" in reviewer_page.get("/tasks").text
    return counts


def test_each_operation_stays_within_its_round_trip_budget(app, counted):
    sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    budgets = {op: budget + (SQLITE_EXTRA.get(op, 0) if sqlite else 0) for op, budget in BUDGETS.items()}
    over = {op: f"{counted[op]} statements, budget {budget}" for op, budget in budgets.items() if counted[op] > budget}
    assert not over, (over, counted)


@pytest.mark.parametrize(
    "who, query",
    [("team", "candidate=me"), ("team", "assignee=me"), ("team", ""), ("reviewer", "assignee=me")],
)
def test_a_list_of_ready_tasks_is_counted_on_the_task_table_alone(
    app, api, people, sfo_definition, statements, who, query
):
    """The count of a list grows with the tasks it holds: reading each task's case only to check that the case
    was not reduced (no ready task is on one) made the team's list grow with the open tasks at twice the cost.
    A reviewer's own tasks are on cases they may see, so their count needs no list of those cases either."""
    api.start("sfo_review", "SFO-COUNT", _notification(sfo_definition, "SFO-COUNT"), as_user=people.provider)
    headers = api.headers(getattr(people, who))
    # past the last page: a short page is its own count, so a count is sent only for a full page or none
    statements.count(lambda: api.client.get(f"{API}/tasks?{query}&page=2&per_page=1", headers=headers))
    [count] = [s for s in statements.statements if "count(" in s.lower()]
    assert "process_instance" not in count and "UNION" not in count.upper(), count


def test_publishing_reads_the_case_s_audit_trail_once_for_each_look(app, people, sfo_definition, statements):
    """Publishing checks the records five ways (court outcome, anonymisation, approval, its preparers, every
    recorded value of the person's details) before the step and again as the report is copied out: each look
    reads the audit trail once (13 reads before), and the report's draft versions read it once more."""
    from tests.services.test_publication import convicted_case
    from tests.services.test_publication_duties import ready_to_approve

    case = convicted_case(people, sfo_definition)
    ready_to_approve(case, people)
    case.do("approve_publication", as_user=people.approver, publish_approved=True)
    task = case.task("publish_report")
    form = tasks.form_of(task)
    assert form is not None
    data = sample_for(form.schema, {"published_on": "2027-03-01"})
    task_id, user_id, case_id = task.id, people.for_lane(task.lane).id, case.row.id
    db.session.commit()

    statements.count(lambda: tasks.complete_task(db.session.get(User, user_id), task_id, data))

    assert db.session.scalar(select(PublishedReport.instance_id)) == case_id
    reads = [s for s in statements.statements if s.startswith("SELECT") and "FROM audit_event" in s]
    assert len(reads) == 3, reads


def test_tagging_themes_reads_the_managed_list_once_for_each_use(app, people, sfo_definition, statements):
    """The form's options, its prefill and the recording of the themes each read the (short) managed list
    once, seeding included; the stored themes are read once to record them (25 statements before, now 19)."""
    from tests.services.test_court_outcome import _case

    case = _case(people, sfo_definition)
    case.to_conviction_check()
    case.court_outcome("acquitted")
    task = case.task("tag_themes")
    form = tasks.form_of(task)
    assert form is not None
    data = sample_for(form.schema, {})
    task_id, user_id = task.id, people.for_lane(task.lane).id
    db.session.commit()

    statements.count(lambda: tasks.complete_task(db.session.get(User, user_id), task_id, data))

    reads = [s for s in statements.statements if s.startswith("SELECT")]
    assert len([s for s in reads if " FROM theme " in f"{s} "]) == 3, reads
    assert len([s for s in reads if " FROM review_theme " in f"{s} "]) == 2, reads


def test_the_api_list_reads_only_what_it_returns(app, api, people, sfo_definition, statements):
    """Whether a task came round again is read for the inbox page, which shows it; the API's lists do not
    return it, and reading it for their 100 rows cost 1.7 ms a request."""
    api.start("sfo_review", "SFO-LIST", _notification(sfo_definition, "SFO-LIST"), as_user=people.provider)
    headers = api.headers(people.team)
    statements.count(lambda: api.client.get(API + "/tasks?candidate=me", headers=headers))
    [page] = [s for s in statements.statements if " FROM task " in s and "LIMIT" in s]
    assert "EXISTS" not in page.upper(), page
