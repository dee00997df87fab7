"""A case supervised by two providers, in a real browser with axe on every page: each provider answers
only its own rows on its own task page; a third organisation's user finds neither the case nor the task."""

from __future__ import annotations

from app.extensions import db
from app.services import instances
from tests.conftest import make_user
from tests.sfo_case import SfoCase

NORTH, SOUTH = "north-probation", "south-probation"
RECOMMENDATIONS = [
    {"text": "Review the transfer checklist.", "addressee": "probation_provider", "level": "local", "provider": NORTH},
    {
        "text": "Brief staff on risk at transfer.",
        "addressee": "probation_provider",
        "level": "local",
        "provider": SOUTH,
    },
    {"text": "National transfer guidance.", "addressee": "hmpps", "level": "national"},
]


def _answer(someone, count):
    for index in range(1, count + 1):
        row = someone.group(f"Response {index}")
        someone.choose("Your response", "Accept", row)
        someone.fill("Action", f"Action {index}.", row)
        someone.fill("Action owner", "Head of PDU", row)
        someone.date("Target date", "2027-06-30", row)
    someone.press("Submit")


def test_each_provider_answers_its_own_recommendations(people, sfo_definition, person):
    stranger = make_user("provider", organisation="east-probation")
    people.other_provider  # a notification may name only organisations the service knows
    case = SfoCase(people, sfo_definition, "SFO-BR-TWO", other_providers=[SOUTH])
    case.to_stage("drafting")
    case.do("draft_report", recommendations=RECOMMENDATIONS)
    case.do("quality_assure_report", qa_decision="approve")
    by_org = {t.organisation: t for t in instances.tasks_of(case.row, "ready")}

    north = person(people.provider)
    north.visit("/cases/new")  # the notification offers the other providers (axe-checked)
    assert north.page.get_by_text("Other probation providers").count() >= 1

    south = person(people.other_provider, javascript=False)
    south.visit(f"/tasks/{by_org[SOUTH].id}")
    assert south.page.get_by_text("Brief staff on risk at transfer.").count() == 1
    assert south.page.get_by_text("Review the transfer checklist.").count() == 0
    south.visit(f"/tasks/{by_org[NORTH].id}", status=404)
    south.visit(f"/tasks/{by_org[SOUTH].id}")
    _answer(south, 1)

    north.visit(f"/tasks/{by_org[NORTH].id}")
    assert north.page.get_by_text("National transfer guidance.").count() == 1
    assert north.page.get_by_text("Brief staff on risk at transfer.").count() == 0
    _answer(north, 2)
    db.session.refresh(case.row)
    assert case.row.stage == "conviction-check"
    assert [r["recommendation"] for r in case.row.data["responses"]] == [1, 2, 3]

    east = person(stranger)
    east.visit("/cases/SFO-BR-TWO", status=404)
    east.visit(f"/tasks/{by_org[NORTH].id}", status=404)
