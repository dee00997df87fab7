"""The report page of a case, the public published pages and PDF, and the lessons pages."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.extensions import db
from app.models import PublishedReport, RecommendationRecord, ReviewTheme
from tests.services.test_publication import PERSON, clean_pack, convicted_case, publish
from tests.sfo_case import SfoCase

SECRETS = (PERSON, "Blackwood", "Lambert", "Oduya", "X654321", "Harbour", "1990")


@pytest.fixture
def published_case(sfo_definition, people):
    case = convicted_case(people, sfo_definition)
    report = publish(case, people)
    case.do("tag_themes", themes=["risk_assessment", "mappa"], lessons_for_dissemination="Check risk at transfer.")
    return case, report


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def fetch(browser, url: str):
    """A response of any type (PDF, CSV), as the browser's user, with nothing cached from other requests."""
    browser._fresh_request()
    return browser.client.get(url)


def recommendation_row(page, addressee: str) -> list[str]:
    table = page.html.split('id="recommendation-counts"')[1]
    row = table.split(f">{addressee}</th>")[1].split("</tr>")[0]
    return re.findall(r">(\d+)</td>", row)


def words(text: str) -> str:
    return " ".join(text.split())


def test_the_report_page_shows_the_report_versions_and_qa(sfo_definition, people, signed_in):
    case = SfoCase(people, sfo_definition)
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    case.do("write_terms_of_reference", other_reviews=[])
    case.do("gather_evidence")
    case.do("draft_report", summary="First draft summary.")
    case.do("quality_assure_report", qa_decision="return", qa_comments="Say more about risk.")
    case.do(
        "draft_report",
        summary="Second draft summary.",
        recommendations=[{"text": "Audit transfers.", "addressee": "hmpps", "level": "national"}],
    )
    reviewer = signed_in(people.reviewer)
    page = reviewer.get(f"/cases/{case.row.business_key}")
    assert f"/cases/{case.row.business_key}/report" in page.links
    page = reviewer.get(f"/cases/{case.row.business_key}/report")
    assert "Second draft summary." in page.text and "Awaiting quality assurance" in page.text
    assert "Version 1: returned" in page.text and "Say more about risk." in page.text
    old = reviewer.get(f"/cases/{case.row.business_key}/report?version=1")
    assert "First draft summary." in old.text and "an earlier version" in old.text
    reviewer.get(f"/cases/{case.row.business_key}/report?version=9", expect=404)
    case.do("quality_assure_report", qa_decision="approve")
    case.do(
        "record_provider_response",
        responses=[
            {
                "recommendation": 1,
                "response": "partly",
                "action": "Audit 20 cases.",
                "owner": "Head of quality",
                "target_date": "2027-09-30",
            }
        ],
    )
    page = signed_in(people.provider).get(f"/cases/{case.row.business_key}/report")
    assert "Partly accepted" in page.text and "Audit 20 cases." in page.text and "30 September 2027" in page.text
    assert "Say more about risk." not in page.text  # QA history stays internal
    signed_in(people.other_provider).get(f"/cases/{case.row.business_key}/report", expect=404)


def test_the_report_is_not_shown_to_the_provider_before_it_is_sent(sfo_definition, people, signed_in):
    case = SfoCase(people, sfo_definition)
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    case.do("write_terms_of_reference", other_reviews=[])
    case.do("gather_evidence")
    case.do("draft_report")
    signed_in(people.provider).get(f"/cases/{case.row.business_key}/report", expect=404)


def test_the_public_pages_show_the_report_response_and_progress_without_sign_in(published_case, browser, signed_in):
    case, report = published_case
    internal = signed_in(case.people.team).get(f"/cases/{case.row.business_key}/report")
    assert f"/published/{report.slug}" in internal.links
    listing = browser.get("/published")
    assert f"/published/{report.slug}" in listing.links
    page = browser.get(f"/published/{report.slug}")
    for expected in (
        "Make sure the practitioner of Mr A records home visits.",
        "Accepted",
        "Partly accepted",
        "A practice manager will audit visits.",
        "The checklist is in use.",
        "Done",
        "In progress",
        "Assessment of risk of serious harm",
    ):
        assert expected in page.text
    response = fetch(browser, f"/published/{report.slug}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    text = pdf_text(response.data)
    assert "Make sure the practitioner of Mr A records home visits." in words(text)
    assert "The checklist is in use." in text and "A practice manager will audit visits." in words(text)
    for secret in (*SECRETS, case.row.business_key):
        assert secret not in page.html and secret not in text


def test_the_pdf_is_tagged_pdf_ua(published_case, browser):
    _, report = published_case
    reader = PdfReader(io.BytesIO(fetch(browser, f"/published/{report.slug}.pdf").data))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"] and str(root["/Lang"]).startswith("en")
    assert b"pdfuaid:part" in root["/Metadata"].get_object().get_data()
    assert reader.metadata.title == report.title


@pytest.mark.parametrize(
    "query, found",
    [
        ("theme=mappa", True),
        ("theme=domestic_abuse", False),
        ("year=2027", True),
        ("year=2026", False),
        ("offence=murder", None),
        ("offence=nothing", False),
    ],
)
def test_published_reports_can_be_filtered(published_case, browser, query, found):
    _, report = published_case
    if found is None:
        found = report.offence_type == "murder"
    page = browser.get(f"/published?{query}")
    assert (f"/published/{report.slug}" in page.links) is found


def test_an_acquitted_case_is_never_reachable_under_published(sfo_definition, people, browser):
    case = SfoCase(people, sfo_definition, reference="SFO-2027-002")
    case.to_conviction_check()
    case.court_outcome("acquitted")
    case.do("tag_themes", themes=["mappa"])
    assert db.session.scalar(select(func.count()).select_from(PublishedReport)) == 0
    assert "No published reviews" in browser.get("/published").text
    assert "No published reviews" in browser.get("/published?theme=mappa").text
    for url in (
        "/published/SFO-2027-002",
        "/published/2027-001",
        "/published/2027-001.pdf",
        f"/published/{case.row.id}",
        "/cases/SFO-2027-002/report",
    ):
        response = fetch(browser, url)
        assert response.status_code in (302, 404), url
        assert b"Example summary" not in response.data


def test_a_convicted_case_not_yet_published_is_not_reachable(sfo_definition, people, browser):
    case = convicted_case(people, sfo_definition)
    case.do("anonymise_report", **clean_pack())
    assert fetch(browser, "/published/2027-001").status_code == 404
    assert "No published reviews" in browser.get("/published").text


def test_theme_figures_match_a_direct_count(sfo_definition, people, signed_in, clock):
    tagged = [["mappa", "risk_assessment"], ["mappa"], ["domestic_abuse", "mappa"]]
    for n, themes in enumerate(tagged, start=1):
        case = SfoCase(people, sfo_definition, reference=f"SFO-2027-1{n}")
        case.to_conviction_check()
        case.court_outcome("acquitted")
        case.do("tag_themes", themes=themes, lessons_for_dissemination=f"Lesson {n}.")
    manager = signed_in(people.manager)
    page = manager.get("/monitoring/themes")
    direct = dict(
        db.session.execute(select(ReviewTheme.theme_code, func.count()).group_by(ReviewTheme.theme_code)).all()
    )
    assert direct == {"mappa": 3, "risk_assessment": 1, "domestic_abuse": 1}
    assert "2027 Q1" in page.text
    for code, count in direct.items():
        row = page.html.split(f'data-theme="{code}"')[1].split("</tr>")[0]
        assert row.count(f">{count}<") == 2  # the quarter and the total
    assert db.session.scalar(select(func.count()).select_from(RecommendationRecord)) == 3
    assert recommendation_row(page, "The probation provider") == ["0", "3", "0", "0", "0", "0", "0", "3"]
    clock.set(clock.now() + dt.timedelta(days=200))  # past every target date
    page = manager.get("/monitoring/themes")
    assert recommendation_row(page, "The probation provider") == ["0", "0", "0", "0", "3", "0", "0", "3"]
    digest = manager.get("/monitoring/themes/digest?period=2027-Q1")
    assert "Lesson 2." in digest.text and "MAPPA management: 3 reviews" in digest.text
    rows = list(
        csv.reader(io.StringIO(fetch(manager, "/monitoring/themes/digest.csv?period=2027-Q1").get_data(as_text=True)))
    )
    assert ["theme", "", "", "MAPPA management", "3", "", ""] in rows
    assert sum(1 for r in rows if r[0] == "review") == 3


def test_lessons_pages_are_for_managers_only(people, signed_in, browser):
    signed_in(people.reviewer).get("/monitoring/themes", expect=403)
    signed_in(people.publication).get("/monitoring/themes/digest.csv", expect=403)
    assert fetch(browser, "/monitoring/themes").status_code == 302


def test_managers_edit_the_list_of_themes_and_the_form_offers_it(sfo_definition, people, signed_in):
    manager = signed_in(people.manager)
    manager.get("/monitoring/themes/list")
    manager.post("/monitoring/themes/list", {"title": "Transitions from custody"})
    assert manager.post("/monitoring/themes/list", {"title": "transitions from custody"}, expect=400)
    manager.post("/monitoring/themes/list/mappa", {"active": "no"})
    case = SfoCase(people, sfo_definition)
    case.to_conviction_check()
    case.court_outcome("acquitted")
    from app.services import tasks

    options = tasks.form_of(case.task("tag_themes")).schema["properties"]["themes"]["items"]["oneOf"]
    codes = [o["const"] for o in options]
    assert "transitions_from_custody" in codes and "mappa" not in codes


def test_failures_are_in_the_report_and_found_by_search(sfo_definition, people, signed_in):
    case = SfoCase(people, sfo_definition, reference="SFO-2027-31")
    case.to_stage("drafting")
    failures = [
        {
            "description": "Risk not reassessed after the arrest",
            "classification": "individual",
            "relevant_to_outcome": True,
        },
        {
            "description": "No cover for staff sickness",
            "classification": "organisational",
            "relevant_to_outcome": False,
        },
    ]
    done_differently = [{"what": "A home visit", "why_not": "Staff shortages"}]
    case.do("draft_report", failures=failures, done_differently=done_differently, good_practice="Quick recall.")
    case.do("quality_assure_report", qa_decision="approve")
    reviewer = signed_in(people.reviewer)
    report = reviewer.get("/cases/SFO-2027-31/report")
    failure = report.html.split('id="failure-1"')[1].split("</tr>")[0]
    assert "Risk not reassessed after the arrest" in failure and "Individual" in failure and ">Yes<" in failure
    assert "Why it was not done" in report.text and "Staff shortages" in report.text
    assert "Quick recall." in report.html.split('id="section-good-practice"')[1]
    manager = signed_in(people.manager)
    found = manager.get("/monitoring/themes/failures?q=sickness&relevant=no")
    assert "1 failure found" in found.text and "SFO-2027-31" in found.text
    assert "0 failures found" in manager.get("/monitoring/themes/failures?q=sickness&classification=systemic").text
    assert "0 failures found" in manager.get("/monitoring/themes/failures?q=%25").text
    figures = manager.get("/monitoring/themes")
    assert figures.html.split('data-class="organisational"')[1].split("</tr>")[0].count(">1<") == 2
    signed_in(people.reviewer).get("/monitoring/themes/failures", expect=403)
