import datetime as dt
import importlib
import re

from sqlalchemy import text

from app.extensions import db
from app.services import instances, tasks
from app.services.tasks import TaskFilters
from app.web.filters import page_numbers
from tests.conftest import make_user


def _start(definition, provider, key="SFO-1"):
    return instances.start_case(provider, definition.key, key, {"provider_org": provider.organisation})


def test_team_task_moves_from_unassigned_to_mine_and_back(small_definition, signed_in):
    provider, team = make_user("provider"), make_user("sfo-team")
    row = _start(small_definition, provider)
    [task] = instances.tasks_of(row, "ready")
    web = signed_in(team)
    page = web.get("/tasks")
    assert "My tasks (0)" in page.text and "Unassigned in my teams (1)" in page.text
    assert "You have no tasks" in page.text
    page = web.get("/tasks?tab=team")
    assert "SFO-1" in page.text and "Triage the case" in page.text and "3 March 2027" in page.text
    web.post(f"/tasks/{task.id}/claim", {})
    page = web.get("/tasks")
    assert "My tasks (1)" in page.text and "Triage the case" in page.text and "Release" in page.text
    web.post(f"/tasks/{task.id}/release", {})
    assert "My tasks (0)" in web.get("/tasks").text


def test_a_visit_with_nothing_new_is_not_saved_and_later_arrivals_still_count(small_definition, signed_in, clock):
    """The visit was saved on every page view (an UPDATE and a COMMIT). With nothing new since the last visit,
    counting from that visit or from this one gives the same number, so such a visit is no longer saved."""
    provider, team = make_user("provider"), make_user("sfo-team")
    _start(small_definition, provider, "SFO-1")
    web = signed_in(team)
    web.get("/tasks")  # the first visit is saved
    first = team.inbox_seen_at
    assert first is not None
    clock.set(clock.now() + dt.timedelta(hours=1))
    assert 'id="new-tasks"' not in web.get("/tasks").html
    db.session.refresh(team)
    assert team.inbox_seen_at == first  # nothing new: not saved
    clock.set(clock.now() + dt.timedelta(hours=1))
    _start(small_definition, provider, "SFO-2")
    assert "1 new task has arrived" in web.get("/tasks").text
    db.session.refresh(team)
    assert team.inbox_seen_at > first
    assert 'id="new-tasks"' not in web.get("/tasks").html  # seen now


def test_overdue_and_due_soon_tags(small_definition, signed_in, clock):
    provider, team = make_user("provider"), make_user("sfo-team")
    _start(small_definition, provider)
    web = signed_in(team)
    assert "Due soon" in web.get("/tasks?tab=team").text
    clock.set(dt.datetime(2027, 3, 4, 9, tzinfo=dt.UTC))
    page = web.get("/tasks?tab=overdue")
    assert "Overdue (1)" in page.text and "SFO-1" in page.text


def test_filters_and_empty_state(small_definition, signed_in):
    provider, team = make_user("provider"), make_user("sfo-team")
    _start(small_definition, provider)
    web = signed_in(team)
    assert "SFO-1" in web.get("/tasks?tab=team&stage=eligibility").text
    page = web.get("/tasks?tab=team&stage=drafting")
    assert "SFO-1" not in page.text and "Clear the filters" in page.text


def test_providers_only_see_their_organisation(small_definition, signed_in):
    north, south = make_user("provider"), make_user("provider", organisation="south-probation")
    _start(small_definition, north)
    assert "SFO-1" not in signed_in(south).get("/cases").text
    assert "SFO-1" in signed_in(north).get("/cases").text


def test_inbox_pages_are_paged(small_definition, signed_in):
    provider, team = make_user("provider"), make_user("sfo-team")
    for n in range(55):
        _start(small_definition, provider, f"SFO-{n:03d}")
    web = signed_in(team)
    page = web.get("/tasks?tab=team")
    assert "Unassigned in my teams (55)" in page.text and "Next" in page.text
    second = web.get("/tasks?tab=team&page=2")
    references = set(re.findall(r"SFO-\d{3}", page.text)) | set(re.findall(r"SFO-\d{3}", second.text))
    assert len(set(re.findall(r"SFO-\d{3}", second.text))) == 5 and len(references) == 55


def test_a_long_list_links_the_pages_near_the_current_one_not_every_page(small_definition, signed_in, monkeypatch):
    """Every page of the list was linked: 158 links at 7,900 unassigned tasks, 1,000 at 50,000, each built
    with url_for, so the page grew with the team's tasks. GOV.UK's pagination shows the first and last pages,
    the current one and its neighbours, with an ellipsis for each gap."""
    monkeypatch.setattr(importlib.import_module("app.web.tasks"), "PER_PAGE", 1)  # the package names a blueprint tasks
    provider, team = make_user("provider"), make_user("sfo-team")
    for n in range(12):
        _start(small_definition, provider, f"SFO-{n:03d}")
    web = signed_in(team)
    linked = lambda html: sorted({int(n) for n in re.findall(r'href="/tasks\?[^"]*page=(\d+)', html)})  # noqa: E731
    page = web.get("/tasks?tab=team&page=6").html
    assert linked(page) == [1, 5, 6, 7, 12], linked(page)
    assert page.count("govuk-pagination__item--ellipsis") == 2
    first = web.get("/tasks?tab=team").html
    assert linked(first) == [1, 2, 12] and first.count("govuk-pagination__item--ellipsis") == 1


def test_page_numbers_follow_the_govuk_pattern():
    assert page_numbers(1, 1) == [1]
    assert page_numbers(2, 3) == [1, 2, 3]
    assert page_numbers(1, 10) == [1, 2, None, 10]
    assert page_numbers(3, 10) == [1, 2, 3, 4, None, 10]  # a gap of one page shows the page
    assert page_numbers(5, 10) == [1, None, 4, 5, 6, None, 10]
    assert page_numbers(10, 10) == [1, None, 9, 10]
    assert page_numbers(500, 1000) == [1, None, 499, 500, 501, None, 1000]


def test_the_completed_by_me_count_reads_an_index_not_the_whole_task_table(app):
    """Every inbox page counts the "Completed by me" tab. Without an index on who completed a task, that count
    read every task row: 21 ms of a 38 ms page at 10,000 cases (72,000 task rows), growing with them."""
    user = make_user("reviewer", username="reviewer-a")
    count = tasks._count(user, TaskFilters(state="completed", completed_by="me"), dt.date(2027, 1, 4))
    sql = str(count.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table is scanned whatever the indexes
        plan = "\n".join(db.session.scalars(text("EXPLAIN " + sql)))
    else:
        plan = "\n".join(str(row[-1]) for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))
    db.session.rollback()
    assert "ix_task_completed_by" in plan, plan
