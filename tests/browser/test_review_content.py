"""Issue 15's pages in a real browser, with axe on every page: the provider answers fixed rows and tracks
an action after the case closed (without JavaScript); a manager searches failures, reads the figures and
the inspection view; everyone reads the lessons digests."""

from __future__ import annotations

import datetime as dt

from app.services.digests import produce_due_digest
from tests.sfo_case import SfoCase

FAILURES = [
    {"description": "Risk not reassessed after the arrest", "classification": "individual", "relevant_to_outcome": True}
]
RECOMMENDATIONS = [
    {"text": "Audit home visits.", "addressee": "probation_provider", "level": "local"},
    {"text": "National guidance on visits.", "addressee": "hmpps", "level": "national"},
]


def test_review_content_pages(people, sfo_definition, person, clock):
    case = SfoCase(people, sfo_definition, "SFO-BR-1")
    case.to_stage("drafting")
    case.do("draft_report", failures=FAILURES, recommendations=RECOMMENDATIONS, good_practice="Quick recall.")
    case.do("quality_assure_report", qa_decision="approve")

    provider = person(people.provider, javascript=False)
    task = case.task("record_provider_response")
    provider.visit(f"/tasks/{task.id}")
    assert provider.page.get_by_text("National guidance on visits.").count() == 1
    assert provider.page.get_by_role("button", name="Add another response").count() == 0
    for index in (1, 2):
        row = provider.group(f"Response {index}")
        provider.choose("Your response", "Accept", row)
        provider.fill("Action", f"Action {index}.", row)
        provider.fill("Action owner", "Head of PDU", row)
        provider.date("Target date", "2027-06-30", row)
    provider.press("Submit")
    case.court_outcome("acquitted")
    case.do("tag_themes", themes=["mappa"], lessons_for_dissemination="Share call-outs.")

    provider.visit("/cases/SFO-BR-1/recommendations")
    section = provider.page.locator("#recommendation-1")
    provider.choose("Where does the action stand?", "Done", section)
    provider.fill("Evidence", "Audit report, May 2027.", section)
    provider.date("Date the action was done (if done)", "2027-03-01", section)
    provider.press("Save progress on recommendation 1", within=section)
    assert "Recommendation 1: done, recorded." in provider.banner()

    manager = person(people.manager)
    manager.follow("Themes and lessons")
    manager.follow("Search the failures recorded in reports")
    manager.fill("Words in the failure", "arrest")
    manager.press("Search")
    assert "1 failure found" in manager.page.locator("#failure-count").inner_text()
    manager.visit("/monitoring/inspection")
    manager.page.get_by_label("Provider", exact=True).select_option("north-probation")
    manager.press("Show open recommendations")
    assert "1 open recommendation for north-probation" in manager.page.locator("#open-count").inner_text()

    clock.set(dt.datetime(2027, 4, 1, 6, tzinfo=dt.UTC))
    produce_due_digest()
    reviewer = person(people.reviewer)
    reviewer.follow("Lessons digests")
    assert reviewer.page.locator("#digest-2027-Q1").count() == 1
