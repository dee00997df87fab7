"""Provider response (issues 11 and 15): one row per recommendation, showing its text; the number is
fixed, never typed; progress and theme forms follow the same rows; the public page shows every response."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Task
from app.services import tasks
from app.services.errors import Invalid
from app.services.reports import get_report
from tests.services.test_publication import convicted_case, publish
from tests.sfo_case import SfoCase

ONE = [{"text": "Audit home visits.", "addressee": "probation_provider", "level": "local"}]
ANSWER = {"response": "accept", "action": "Monthly audit.", "owner": "Head of PDU", "target_date": "2027-06-30"}


def sent(people, definition, recommendations=ONE) -> SfoCase:
    case = SfoCase(people, definition)
    case.to_stage("drafting")
    case.do("draft_report", recommendations=recommendations)
    case.do("quality_assure_report", qa_decision="approve")
    return case


def test_a_typed_number_cannot_leave_a_recommendation_without_its_response(sfo_definition, people):
    """Seen: '2' accepted on a report with one recommendation; recommendation 1 awaited a response for ever."""
    case = sent(people, sfo_definition)
    task = case.task("record_provider_response")
    tasks.complete_task(people.provider, task.id, {"responses": [{"recommendation": 2, **ANSWER}]})
    [recommendation] = get_report(people.provider, case.row).recommendations
    assert (recommendation.number, recommendation.response, recommendation.status) == (1, "Accepted", "accepted")
    assert case.row.data["responses"][0]["recommendation"] == 1


def test_rows_cannot_be_added_or_removed(sfo_definition, people):
    case = sent(people, sfo_definition, ONE * 2)
    task = case.task("record_provider_response")
    for rows in ([ANSWER], [ANSWER] * 3, []):
        with pytest.raises(Invalid) as refused:
            tasks.complete_task(people.provider, task.id, {"responses": rows})
        assert refused.value.fields["responses"] == [
            "Answer each of the 2 rows of your response to each recommendation; rows cannot be added or removed"
        ]
    assert db.session.get(Task, task.id).state == "ready"


def test_the_provider_answers_each_row_showing_its_text(sfo_definition, people, signed_in):
    two = [ONE[0], {"text": "Review MAPPA referrals.", "addressee": "hmpps", "level": "national"}]
    case = sent(people, sfo_definition, two)
    task = case.task("record_provider_response")
    web = signed_in(people.provider)
    page = web.get(f"/tasks/{task.id}")
    assert "Audit home visits." in page.text and "Review MAPPA referrals." in page.text
    assert "HM Prison and Probation Service" in page.text
    names = {field.get("name") for field in page.fields}
    assert not any(name and name.endswith(".recommendation") for name in names)  # never typed
    assert "responses.0.response" in names and "responses.1.action" in names
    assert 'value="add:responses"' not in page.html and 'value="remove:responses' not in page.html
    form = {
        "responses-count": "2",
        "responses.0.response": "accept",
        "responses.0.action": "Monthly audit.",
        "responses.0.owner": "Head of PDU",
        "responses.0.target_date-day": "30",
        "responses.0.target_date-month": "6",
        "responses.0.target_date-year": "2027",
        "responses.1.response": "reject",
        "form_action": "submit",
    }
    page = web.post(f"/tasks/{task.id}", form, expect=200)  # the form again: the rejection needs its reason
    assert "Review MAPPA referrals." in page.text  # the rows keep their text when the form comes back
    web.post(f"/tasks/{task.id}", {**form, "responses.1.action": "Not ours to act on."})
    first, second = get_report(people.provider, case.row).recommendations
    assert (first.response, second.response) == ("Accepted", "Rejected")


def test_progress_and_themes_follow_the_rows_and_the_public_page_shows_every_response(
    sfo_definition, people, signed_in, browser
):
    case = convicted_case(people, sfo_definition)
    progress = case.task("provide_progress_summary")
    rows = tasks.prefill_of(progress)["recommendation_progress"]
    assert [(r["recommendation"], r["text"]) for r in rows] == [
        (1, "Review how risk is assessed at transfer."),
        (2, "Make sure the practitioner of Blackwood records home visits."),
    ]
    page = signed_in(people.provider).get(f"/tasks/{progress.id}")
    assert 'value="add:recommendation_progress"' not in page.html
    assert "Review how risk is assessed at transfer." in page.text
    report = publish(case, people)
    public = browser.get(f"/published/{report.slug}")
    assert "Not received yet" not in public.text
    assert public.text.count("Accepted") == 1 and public.text.count("Partly accepted") == 1
    theme_rows = tasks.prefill_of(case.task("tag_themes"))["recommendation_themes"]
    assert [r["recommendation"] for r in theme_rows] == [1, 2]
