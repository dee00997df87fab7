"""Publication through the pages: the publication team anonymises the report (the service refuses it
while the person's name remains), approves and publishes it; an anonymous visitor finds it by theme
and downloads the PDF, whose text matches the web page. Every page passes the accessibility checks."""

from __future__ import annotations

import io
import re

import pytest

from app.extensions import db
from tests.services.test_publication import PERSON, SUMMARY, TITLE, clean_pack, convicted_case, publish

from .person import Person

REPLACEMENTS = {
    PERSON: "Mr A",
    "Blackwood": "Mr A",
    "Priya Lambert": "a practice manager",
    "14 Harbour Row": "his flat",
}


def open_task(someone: Person, case, bpmn_id: str) -> None:
    someone.visit(f"/tasks/{case.task(bpmn_id).id}")


def replace_names(someone: Person) -> None:
    """Find and replace in every text box of the form, as the publication team would."""
    boxes = someone.page.locator("main textarea, main input[type=text]")
    for index in range(boxes.count()):
        box = boxes.nth(index)
        text = box.input_value()
        for original, replacement in REPLACEMENTS.items():
            text = text.replace(original, replacement)
        box.fill(text)


def normalised(text: str) -> str:
    text = re.sub(r"Page \d+ of \d+", " ", text)
    return " ".join(text.replace("\u2019", "'").split())


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_publication_team_publishes_and_a_visitor_downloads_the_pdf(people, sfo_definition, person, javascript):
    pypdf = pytest.importorskip("pypdf")
    case = convicted_case(people, sfo_definition)
    case.do(
        "provide_progress_summary",
        progress_summary="The checklist is in use in every team.",
        progress_as_at="2027-03-01",
    )

    team = person(people.publication, javascript=javascript)
    open_task(team, case, "anonymise_report")
    assert team.value("Summary").startswith(PERSON)  # it starts as the approved report
    team.press("Submit")  # the form again, with the error summary
    summary = " ".join(team.page.locator(".govuk-error-summary").inner_text().split())
    assert "Summary still contains the name of the person on probation" in summary
    assert "Recommendation 2 still contains a word that matches part of the name of the person on probation" in summary
    assert "Enter a title for the published review" in summary
    assert PERSON not in summary and "Blackwood" not in summary

    team.fill("Title of the published review", "Risk missed after Blackwood moved")  # names him: refused below
    team.fill("Short summary for the list of published reviews", SUMMARY)
    team.press("Submit")
    summary = " ".join(team.page.locator(".govuk-error-summary").inner_text().split())
    assert "The title of the published review still contains" in summary and "Blackwood" not in summary
    team.fill("Title of the published review", TITLE)
    replace_names(team)
    entry = team.group("Redaction 1")
    team.choose("What was removed", "Name of the person on probation", within=entry)
    team.fill("Original text", PERSON, within=entry)
    team.fill("Replaced with", "Mr A", within=entry)
    for check in (
        "The name of the person on probation is removed or replaced",
        "Victims' names are removed or replaced",
        "Names of staff below senior level are removed or replaced",
        "Addresses are removed",
    ):
        team.group("Checks").get_by_label(check, exact=True).check()
    team.press("Submit")
    assert team.h1() == "Anonymise the report submitted"

    open_task(team, case, "coordinate_publication")
    team.date("Planned publication date", "2027-03-01")
    team.fill("Who you agreed the date with, and why", "No other reviews")
    team.press("Submit")
    open_task(team, case, "approve_publication")  # who anonymised cannot also approve
    assert "someone else must approve" in team.page.locator("#duty-conflict").inner_text()
    approver = person(people.approver, javascript=javascript)
    open_task(approver, case, "approve_publication")
    approver.choose("Approve publication?", "Yes, approve publication")
    approver.press("Submit")
    open_task(team, case, "publish_report")
    team.date("Date published", "2027-03-01")
    team.press("Submit")
    assert team.h1() == "Publish the report submitted"
    db.session.expire_all()  # the pages changed the case in the server's sessions
    case.do("tag_themes", themes=["risk_assessment", "mappa"], lessons_for_dissemination="Check risk at transfer.")

    visitor = person(people.publication, javascript=javascript, sign_in=False)
    visitor.visit("/published")
    visitor.page.get_by_label("Theme", exact=True).select_option(label="MAPPA management")
    visitor.press("Apply filters")
    assert "1 review" in visitor.page.get_by_role("main").inner_text()
    assert SUMMARY in visitor.page.locator("#published-reviews").inner_text()
    visitor.follow(TITLE)
    assert visitor.h1() == TITLE and SUMMARY in visitor.page.get_by_role("main").inner_text()
    main = visitor.page.get_by_role("main").inner_text()
    for expected in (
        "Make sure the practitioner of Mr A records home visits.",
        "Accepted",
        "Partly accepted",
        "a practice manager will audit visits.",
        "The checklist is in use in every team.",
    ):
        assert expected in main
    for secret in (PERSON, "Blackwood", "Lambert", "Harbour", "X654321", case.row.business_key):
        assert secret not in visitor.page.content()

    with visitor.page.expect_download() as download:
        visitor.page.get_by_role("link", name=re.compile("^Download this report as a PDF")).click()
    data = download.value.path().read_bytes()
    assert data.startswith(b"%PDF-")
    pdf = normalised("\n".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(data)).pages))
    report = visitor.page.locator("main .govuk-grid-column-two-thirds")
    blocks = report.locator("h1, h2, h3, p.govuk-body, dt, dd").all_inner_texts()
    blocks = [normalised(b) for b in blocks if b.strip() and "Download this report" not in b]
    assert len(blocks) > 30
    missing = [b for b in blocks if b not in pdf]
    assert not missing, f"in the page but not in the PDF: {missing}"

    visitor.visit(f"/cases/{case.row.business_key}/report")  # internal pages ask for sign-in
    assert visitor.page.url.split("?")[0].endswith("/sign-in")


def test_managers_read_themes_and_the_digest(people, sfo_definition, person):
    case = convicted_case(people, sfo_definition)
    case.do("anonymise_report", **clean_pack())
    case.do("provide_progress_summary")
    case.do("coordinate_publication", publication_date="2027-03-01")
    case.do("approve_publication", publish_approved=True)
    case.do("publish_report", published_on="2027-03-01")
    case.do("tag_themes", themes=["mappa"], lessons_for_dissemination="Share MAPPA referrals early.")

    manager = person(people.manager, javascript=False)
    manager.follow("Themes and lessons")
    assert manager.page.locator("tr[data-theme=mappa] td").first.inner_text() == "1"
    manager.press("Show the digest")
    assert "Share MAPPA referrals early." in manager.page.get_by_role("main").inner_text()
    manager.follow("Back to themes and lessons")
    manager.follow("Manage the list of themes")
    manager.fill("Name of the theme", "Transitions from custody")
    manager.press("Add theme")
    assert "'Transitions from custody' was added" in manager.banner()
    manager.press("Stop offering MAPPA management")
    manager.press("Add theme", status=400)
    assert "Enter the name of the theme" in manager.page.locator(".govuk-error-summary").inner_text()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_visitor_searches_the_published_reviews(people, sfo_definition, person, javascript):
    report = publish(convicted_case(people, sfo_definition), people)
    visitor = person(people.publication, javascript=javascript, sign_in=False)
    visitor.visit("/published")
    visitor.fill("Search published reviews", "transfer checklist")  # words of the summary
    visitor.press("Search")
    results = visitor.page.locator("#published-reviews")
    assert TITLE in results.inner_text() and SUMMARY in results.inner_text()
    assert "1 review matching “transfer checklist”" in visitor.page.locator("#result-count").inner_text()
    visitor.page.get_by_label("Year published", exact=True).select_option(label="2027")
    visitor.press("Apply filters")  # the filters keep the search
    assert visitor.page.get_by_label("Search published reviews").input_value() == "transfer checklist"
    assert TITLE in visitor.page.locator("#published-reviews").inner_text()
    visitor.fill("Search published reviews", "100% _'\"<b>")
    visitor.press("Search")
    assert "No published reviews match this search." in visitor.page.get_by_role("main").inner_text()
    visitor.fill("Search published reviews", PERSON)  # in the case, never in the published snapshot
    visitor.press("Search")
    assert visitor.page.locator("#published-reviews li").count() == 0
    visitor.follow("Clear the search and filters")
    visitor.follow(TITLE)
    assert report.slug in visitor.page.locator(".govuk-caption-l").inner_text()
