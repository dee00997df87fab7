"""The pages for the court outcome, added reviews and reopened publication: the case page, adding another
agency's review, and a manager reopening publication from the monitoring case page."""

from __future__ import annotations

import html

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, ProcessInstance
from app.services import instances
from tests.conftest import make_user
from tests.sfo_case import SfoCase


def _text(page):
    return html.unescape(page.text)


def _row(case):
    db.session.expire_all()
    return db.session.get(ProcessInstance, case.row.id)


def test_the_case_page_shows_outcomes_received_and_other_reviews(sfo_definition, people, signed_in):
    case = SfoCase(people, sfo_definition)
    case.to_stage("drafting")
    case.court_outcome("convicted_sfo", outcome_date="2027-02-26", convicted_offence="Manslaughter")
    case.add_review("Northshire CSP")
    page = signed_in(people.team).get(f"/cases/{case.row.business_key}")
    assert "Court outcome" in _text(page) and "26 February 2027" in _text(page) and "Manslaughter" in _text(page)
    assert (
        "Northshire CSP" in _text(page) and "Domestic Homicide Review" in _text(page) and "liaison to do" in _text(page)
    )
    assert "Liaise with another agency's review: Northshire CSP" in _text(page)
    provider_page = signed_in(people.provider).get(f"/cases/{case.row.business_key}")
    assert "Manslaughter" not in _text(provider_page) and "Add another agency's review" not in _text(provider_page)


def test_the_reviewer_adds_another_agencys_review_from_the_case_page(sfo_definition, people, signed_in):
    case = SfoCase(people, sfo_definition)
    case.to_stage("liaison")
    browser = signed_in(people.reviewer)
    url = f"/cases/{case.row.business_key}/other-reviews/new"
    assert "Add another agency's review" in _text(browser.get(f"/cases/{case.row.business_key}"))
    form = browser.get(url)
    assert "Type of review" in _text(form) and "Domestic Homicide Review" in _text(form)
    errors = browser.post(url, {"agency": " ", "review_type": "book_club"}, expect=400)
    assert "There is a problem" in _text(errors) and "Enter the agency leading the review" in _text(errors)
    assert "Select the type of review" in _text(errors)
    browser.post(url, {"agency": "Northshire SAB", "review_type": "safeguarding_adults_review"}, csrf=False, expect=400)
    assert not [t for t in instances.tasks_of(case.row, "ready") if t.bpmn_id == "liaise_with_added_review"]
    response = browser.post(url, {"agency": "Northshire SAB", "review_type": "safeguarding_adults_review"})
    assert response.headers["Location"].endswith(f"/cases/{case.row.business_key}")
    [task] = [t for t in instances.tasks_of(case.row, "ready") if t.bpmn_id == "liaise_with_added_review"]
    assert task.assignee == people.reviewer.username
    assert "Northshire SAB's review is added" in _text(browser.get(f"/cases/{case.row.business_key}"))


def test_adding_a_review_is_refused_on_the_page_outside_the_window_and_for_others(sfo_definition, people, signed_in):
    case = SfoCase(people, sfo_definition)
    case.to_stage("provider-response")
    url = f"/cases/{case.row.business_key}/other-reviews/new"
    browser = signed_in(people.team)
    assert "Add another agency's review" not in _text(browser.get(f"/cases/{case.row.business_key}"))
    assert "until the report is approved" in _text(browser.get(url))
    refused = browser.post(url, {"agency": "Late agency", "review_type": "other"}, expect=409)
    assert "until the report is approved" in _text(refused)
    signed_in(people.qa).get(url, expect=403)
    signed_in(people.other_provider).get(url, expect=404)


def test_a_manager_reopens_publication_with_a_reason_and_a_confirmation(sfo_definition, people, signed_in):
    case = SfoCase(people, sfo_definition)
    case.to_conviction_check()
    case.court_outcome("acquitted")
    case.finish()
    manager = signed_in(make_user("manager"))
    base = f"/monitoring/cases/{case.row.id}"
    assert "Reopen publication" in _text(manager.get(base))
    url = f"{base}/reopen-publication"
    form = manager.get(url)
    assert "Date of the conviction" in _text(form)
    missing = manager.post(url, {"step": "check", "reason": ""}, expect=400)
    assert "Enter the date of the conviction" in _text(missing) and "Enter the reason for reopening" in _text(missing)
    answers = {"outcome_date-day": "26", "outcome_date-month": "2", "outcome_date-year": "2027", "reason": "Retrial"}
    check = manager.post(url, {"step": "check", **answers}, expect=200)
    assert "Check before you reopen publication" in _text(check) and "26 February 2027" in _text(check)
    assert _row(case).status == "completed"
    manager.post(url, {"step": "confirm", **answers}, csrf=False, expect=400)
    assert _row(case).status == "completed"
    manager.post(url, {"step": "confirm", **answers})
    row = _row(case)
    assert (row.status, row.stage, row.outcome) == ("running", "publication", None)
    kinds = [e.kind for e in db.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == row.id))]
    assert "reopen-requested" in kinds and "publication-reopened" in kinds
    assert "Reopen publication" not in _text(manager.get(base))


def test_only_managers_reach_the_reopening_page(sfo_definition, people, signed_in):
    case = SfoCase(people, sfo_definition)
    case.to_conviction_check()
    case.court_outcome("acquitted")
    case.finish()
    signed_in(people.team).get(f"/monitoring/cases/{case.row.id}/reopen-publication", expect=403)
