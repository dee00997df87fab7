"""The public list: each published review's own title and summary, written with the anonymised text
and checked like it, and a text search (full-text on PostgreSQL, LIKE on SQLite) that only reads the
published snapshot."""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import re
from urllib.parse import quote

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import PublishedReport
from app.services import publication, tasks
from app.services.errors import Invalid
from tests.services.test_publication import PERSON, SUMMARY, TITLE, clean_pack, convicted_case, publish

from .test_published import SECRETS, fetch, pdf_text, words

published_pages = importlib.import_module("app.web.published")  # the package names a blueprint published


def add_published(number: int, title: str, summary: str | None = None, text: str = "Clean text.") -> PublishedReport:
    """A published snapshot row, as publishing writes it (for lists longer than one case)."""
    content = {"judgement": "yes", "sections": [{"title": "Summary", "text": text}], "recommendations": []}
    report = PublishedReport(
        slug=f"2026-{number:03d}",
        title=title,
        summary=summary,
        published_on=dt.date(2026, 1, 1) + dt.timedelta(days=number),
        year=2026,
        offence_type="murder",
        offence_title="Murder",
        content=content,
        themes=[],
        published_by="someone",
        created_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
    )
    publication.index_for_search(report)
    db.session.add(report)
    db.session.commit()
    return report


def slugs_found(browser, query: str) -> list[str]:
    page = browser.get(f"/published?q={quote(query)}")
    return [link.rsplit("/", 1)[1] for link in page.links if link.startswith("/published/20")]


def test_the_title_and_summary_written_at_anonymisation_are_published(sfo_definition, people, browser):
    case = convicted_case(people, sfo_definition)
    report = publish(case, people)
    assert (report.title, report.summary) == (TITLE, SUMMARY)
    listing = browser.get("/published")
    assert TITLE in listing.text and SUMMARY in listing.text
    page = browser.get(f"/published/{report.slug}")
    assert page.h1s == [TITLE] and SUMMARY in page.text
    pdf = words(pdf_text(fetch(browser, f"/published/{report.slug}.pdf").data))
    assert TITLE in pdf and SUMMARY in pdf
    for secret in SECRETS:
        assert secret not in listing.html and secret not in page.html


def test_the_approver_sees_the_title_and_summary_in_the_public_page_preview(sfo_definition, people, signed_in):
    case = convicted_case(people, sfo_definition)
    case.do("anonymise_report", **clean_pack())
    case.do("provide_progress_summary")
    case.do("coordinate_publication", publication_date="2027-03-01")
    page = signed_in(people.approver).get(f"/tasks/{case.task('approve_publication').id}")
    preview = page.html.split('id="public-page-preview"')[1]
    assert TITLE in preview and SUMMARY in preview


@pytest.mark.parametrize(
    "field, text, kind",
    [
        ("public_title", f"Risk not reassessed for {PERSON}", "the name of the person on probation"),
        ("public_title", "Mr Blackwood moved between regions", "the name of the person on probation"),
        ("public_summary", "The review of the case of X654321 found that risk was not reassessed.", "CRN"),
        ("public_summary", "Sam Oduya was harmed; the review found that risk was not reassessed.", "a victim"),
    ],
)
def test_a_title_or_summary_that_identifies_someone_is_refused(sfo_definition, people, field, text, kind):
    case = convict = convicted_case(people, sfo_definition)
    with pytest.raises(Invalid) as refused:
        tasks.complete_task(people.publication, case.task("anonymise_report").id, clean_pack(**{field: text}))
    message = " ".join(refused.value.fields[field])
    assert kind.lower() in message.lower() and PERSON not in message and "X654321" not in message
    assert convict.task("anonymise_report").state == "ready"  # nothing was completed


@pytest.mark.parametrize(
    "field, text, message",
    [
        ("public_title", "", "Enter a title for the published review"),
        ("public_title", "Risk", "Title of the published review must be 10 characters or more"),
        ("public_title", "R" * 121, "Title of the published review must be 120 characters or fewer"),
        ("public_summary", "   ", "Enter a short summary for the list of published reviews"),
        ("public_summary", "x" * 401, "Short summary must be 400 characters or fewer"),
    ],
)
def test_the_title_and_summary_are_required_and_short(sfo_definition, people, signed_in, field, text, message):
    case = convicted_case(people, sfo_definition)
    team = signed_in(people.publication)
    url = f"/tasks/{case.task('anonymise_report').id}"
    form = team.get(url)
    assert 'name="public_title"' in form.html and 'name="public_summary"' in form.html
    data = {**{k: v for k, v in clean_pack().items() if isinstance(v, str)}, field: text}
    page = team.post(url, data, expect=200)
    assert "govuk-error-summary" in page.html and message in page.text
    assert case.task("anonymise_report").state == "ready"


def test_a_title_another_published_review_has_is_refused(sfo_definition, people):
    add_published(1, TITLE.upper())
    case = convicted_case(people, sfo_definition)
    with pytest.raises(Invalid) as refused:
        tasks.complete_task(people.publication, case.task("anonymise_report").id, clean_pack())
    assert refused.value.fields["public_title"] == [
        "Another published review already has this title. Write a title that sets this review apart"
    ]


def test_a_review_published_before_titles_keeps_its_title_and_a_summary_from_its_report(browser):
    old = add_published(1, "Serious Further Offence review: murder", None, "First paragraph of the summary.\nMore.")
    listing = browser.get("/published")
    assert "Serious Further Offence review: murder" in listing.text
    assert "First paragraph of the summary." in listing.text and "More." not in listing.text
    page = browser.get(f"/published/{old.slug}")
    assert page.h1s == ["Serious Further Offence review: murder"]
    long = add_published(2, "A long one", None, "word " * 200)
    assert publication.list_summary(long).endswith("…") and len(publication.list_summary(long)) <= 301


def test_search_reads_the_title_summary_and_report_text(browser):
    add_published(1, "Risk not reassessed after a transfer", "Supervision moved between regions.", "Visits lapsed.")
    add_published(2, "Warning signs missed at home visits", "Domestic abuse indicators were recorded late.")
    add_published(3, "Licence conditions not enforced", None, "The approved premises did not report a breach.")
    assert slugs_found(browser, "transfer") == ["2026-001"]
    assert slugs_found(browser, "regions") == ["2026-001"]  # the summary
    assert slugs_found(browser, "premises") == ["2026-003"]  # the report's text
    assert slugs_found(browser, "DOMESTIC abuse") == ["2026-002"]
    assert slugs_found(browser, "visits") == ["2026-002", "2026-001"]  # newest first
    assert slugs_found(browser, "nothing like this") == []
    page = browser.get("/published?q=premises")
    assert 'value="premises"' in page.html and "1 review matching “premises”" in page.text


@pytest.mark.parametrize(
    "query",
    [
        "%",
        "_",
        "100%",
        "a_b",
        "'",
        '"',
        "\\",
        "' OR 1=1 --",
        '"unclosed',
        "!!&&||",
        "<script>alert(1)</script>",
        "x" * 5000,
    ],
)
def test_hostile_searches_find_nothing_and_break_nothing(browser, query):
    add_published(1, "Risk not reassessed after a transfer", "Supervision moved between regions.")
    page = browser.get(f"/published?q={quote(query)}")
    assert "/published/2026-001" not in page.links
    assert "<script>alert" not in page.html


def test_control_characters_never_reach_the_query(browser):
    assert publication.search_terms("a\x00b\tc\n" + "d" * 500) == "a b c " + "d" * 194
    assert fetch(browser, "/published?q=a%00b").status_code == 400  # the service refuses NUL in any request


def test_paging_keeps_the_search(browser):
    for number in range(1, publication.PER_PAGE + 6):
        add_published(number, f"Review number {number} about risk", "Risk was not reassessed.")
    add_published(99, "Something else entirely", "Nothing in common.")
    first = browser.get("/published?q=risk")
    assert f"{publication.PER_PAGE + 5} reviews matching" in first.text
    assert "/published?page=2&amp;q=risk" in first.html or "/published?q=risk&amp;page=2" in first.html
    second = browser.get("/published?q=risk&page=2")
    found = [link for link in second.links if link.startswith("/published/20")]
    assert len(found) == 5 and "/published/2026-099" not in found


def test_many_pages_of_reviews_link_the_pages_near_this_one(browser, monkeypatch):
    monkeypatch.setattr(published_pages, "list_published", functools.partial(publication.list_published, per_page=1))
    for number in range(1, 11):
        add_published(number, f"Review number {number} about risk", "Risk was not reassessed.")
    page = browser.get("/published?q=risk&page=5")
    linked = sorted({int(n) for n in re.findall(r'href="/published\?[^"]*page=(\d+)', page.html)})
    assert linked == [1, 4, 5, 6, 10], linked
    assert page.html.count("govuk-pagination__item--ellipsis") == 2


def test_search_never_reads_case_data(sfo_definition, people, browser):
    case = convicted_case(people, sfo_definition)
    assert slugs_found(browser, "Blackwood") == []  # in the case and its draft report, not yet published
    report = publish(case, people)
    assert slugs_found(browser, "checklist") == [report.slug]
    for secret in ("Blackwood", "Lambert", "Harbour", "X654321"):
        assert slugs_found(browser, secret) == []
    assert db.session.scalar(select(PublishedReport.search_text)).count("Blackwood") == 0


def test_postgresql_searches_with_its_full_text_index(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("full-text search and its index are PostgreSQL's; SQLite searches with LIKE")
    add_published(1, "Risk not reassessed after a transfer", "Supervision moved between regions.")
    query = select(PublishedReport.id).where(publication.matches_text("transfers"))  # stemmed: transfer
    assert db.session.scalars(query).all() == [db.session.scalar(select(PublishedReport.id))]
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(
        db.session.scalars(text("EXPLAIN " + str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))))
    )
    db.session.rollback()
    assert "ix_published_report_search" in plan
