"""The pages of a case supervised by two providers: each provider's users see the case, its report and
their own response task (answering only their rows, on the page); a third organisation gets 404 everywhere;
managers find the case under either provider."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import RecommendationRecord, Task
from app.services import instances
from tests.conftest import make_user
from tests.services.test_case_providers import NORTH, RECOMMENDATIONS, SOUTH, _drafted


@pytest.fixture(autouse=True)
def both_providers_known(people):
    """A notification may name only organisations the service knows: the second provider has a user."""
    people.other_provider


def _tasks_by_org(case):
    return {t.organisation: t for t in instances.tasks_of(case.row, "ready") if t.bpmn_id == "record_provider_response"}


def _answer_on_page(web, task, count):
    form = {"responses-count": str(count), "form_action": "submit"}
    for n in range(count):
        form |= {
            f"responses.{n}.response": "accept",
            f"responses.{n}.action": "Brief every team.",
            f"responses.{n}.owner": "Head of PDU",
            f"responses.{n}.target_date-day": "30",
            f"responses.{n}.target_date-month": "6",
            f"responses.{n}.target_date-year": "2027",
        }
    return web.post(f"/tasks/{task.id}", form)


def test_each_provider_answers_its_own_rows_on_the_page(sfo_definition, people, signed_in):
    stranger = make_user("provider", organisation="east-probation")
    case = _drafted(people, sfo_definition, "SFO-TWO-W", other_providers=[SOUTH])
    by_org = _tasks_by_org(case)
    north, south, east = signed_in(people.provider), signed_in(people.other_provider), signed_in(stranger)

    for web in (north, south):
        page = web.get("/cases/SFO-TWO-W")
        assert f"Providers {NORTH}, {SOUTH}" in page.text
        assert "Brief staff on risk at transfer" in web.get("/cases/SFO-TWO-W/report").text
        assert "SFO-TWO-W" in web.get("/cases").text
    for url in ("/cases/SFO-TWO-W", "/cases/SFO-TWO-W/report", "/cases/SFO-TWO-W/recommendations"):
        east.get(url, expect=404)
    assert "SFO-TWO-W" not in east.get("/cases").text

    page = south.get(f"/tasks/{by_org[SOUTH].id}")
    assert f"Respond to the recommendations: {SOUTH}" in page.text
    assert "Brief staff on risk at transfer" in page.text
    assert RECOMMENDATIONS[0]["text"] not in page.text and RECOMMENDATIONS[2]["text"] not in page.text
    south.get(f"/tasks/{by_org[NORTH].id}", expect=404)
    north.get(f"/tasks/{by_org[SOUTH].id}", expect=404)
    east.get(f"/tasks/{by_org[SOUTH].id}", expect=404)
    team = south.get("/tasks?tab=team").text
    assert by_org[SOUTH].name in team and by_org[NORTH].name not in team

    _answer_on_page(south, by_org[SOUTH], 1)
    assert db.session.get(Task, by_org[SOUTH].id).state == "completed"
    _answer_on_page(north, by_org[NORTH], 2)
    assert case.row.stage == "conviction-check"

    south.get("/cases/SFO-TWO-W/recommendations")
    south.post("/cases/SFO-TWO-W/recommendations/1", {"status": "in_progress", "evidence": "Not ours"}, expect=403)
    south.post("/cases/SFO-TWO-W/recommendations/2", {"status": "in_progress", "evidence": "Briefings booked"})
    assert db.session.get(RecommendationRecord, (case.row.id, 2)).tracking_status == "in_progress"
    assert db.session.get(RecommendationRecord, (case.row.id, 1)).tracking_status is None


def test_managers_find_the_case_under_either_provider(sfo_definition, people, signed_in):
    _drafted(people, sfo_definition, "SFO-TWO-M", other_providers=[SOUTH])
    manager = signed_in(make_user("manager"))
    for provider in (NORTH, SOUTH):
        assert "SFO-TWO-M" in manager.get(f"/monitoring/cases?provider={provider}").text
    page = manager.get(f"/monitoring/cases/{_case_id('SFO-TWO-M')}")
    assert f"Providers {NORTH}, {SOUTH}" in page.text


def _case_id(reference: str) -> int:
    from app.models import ProcessInstance

    return int(db.session.scalar(select(ProcessInstance.id).where(ProcessInstance.business_key == reference)))
