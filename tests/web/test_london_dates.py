"""The service's "today" is the date in London, as deadlines and the process's own ``today()`` are. It was the
date in UTC: from midnight to 1am in British Summer Time, the service was a day behind, so a task due
yesterday was not yet overdue and a court outcome dated today was refused as being in the future."""

from __future__ import annotations

import datetime as dt

from app.extensions import db
from app.services import instances, messages, tasks
from app.services.runtime import london_today
from tests.conftest import make_user
from tests.sfo_case import SfoCase

JUST_AFTER_MIDNIGHT_IN_SUMMER = dt.datetime(2027, 6, 10, 23, 30, tzinfo=dt.UTC)  # 00:30 on 11 June in London


def test_today_is_the_date_in_london(app, clock):
    clock.set(JUST_AFTER_MIDNIGHT_IN_SUMMER)
    assert london_today() == dt.date(2027, 6, 11)
    clock.set(dt.datetime(2027, 1, 10, 23, 30, tzinfo=dt.UTC))  # London keeps UTC in winter
    assert london_today() == dt.date(2027, 1, 10)


def test_a_court_outcome_dated_today_in_london_is_accepted_after_midnight(sfo_definition, people, clock):
    case = SfoCase(people, sfo_definition)
    case.to_stage("drafting")
    clock.set(JUST_AFTER_MIDNIGHT_IN_SUMMER)
    outcome = {"court_outcome": "convicted_sfo", "outcome_date": "2027-06-11"}
    messages.deliver_message(people.team, "court-outcome", case.row.business_key, outcome)
    [kept] = case.row.data["court_outcomes"]
    assert (kept["outcome_date"], kept["received_on"]) == ("2027-06-11", "2027-06-11")


def test_a_task_due_yesterday_in_london_is_overdue_after_midnight(small_definition, signed_in, clock):
    provider, team = make_user("provider"), make_user("sfo-team")
    row = instances.start_case(provider, small_definition.key, "SFO-1", {"provider_org": provider.organisation})
    [task] = instances.tasks_of(row, "ready")
    task.due_on = dt.date(2027, 6, 10)
    db.session.commit()
    clock.set(JUST_AFTER_MIDNIGHT_IN_SUMMER)
    assert tasks.list_tasks(team, tasks.TaskFilters(overdue=True, workable=True))[1] == 1
    page = signed_in(team).get("/tasks?tab=team")
    assert "Overdue" in page.text and "Overdue (1)" in page.text
