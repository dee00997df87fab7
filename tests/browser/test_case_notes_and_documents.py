"""A provider adds a note and a PDF to their case in a real browser, with and without JavaScript: the note
is on the timeline with its line breaks, the document is listed and downloads as a file, a file that only
pretends to be a PDF gets the error summary, and every page passes axe."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.document_samples import HTML, PDF
from tests.sfo_case import SfoCase

CASE = "/cases/SFO-DOC-1"


@pytest.mark.parametrize("javascript", [True, False])
def test_a_provider_adds_a_note_and_a_pdf_and_sees_them_on_the_case(people, app, sfo_definition, person, javascript):
    SfoCase(people, sfo_definition, "SFO-DOC-1")
    db.session.commit()
    provider = person(people.provider, javascript=javascript)
    page = provider.visit(CASE)

    provider.fill("Add a note", "Home visit booked.\nFamily told.")
    provider.press("Add the note")
    assert "Your note is added" in provider.banner()
    first = page.locator(".moj-timeline__item").first
    assert first.locator(".moj-timeline__title").inner_text() == "Note added"
    assert f"by {people.provider.username}" in first.inner_text()
    assert first.locator(".moj-timeline__description").inner_text() == "Home visit booked.\nFamily told."

    page.get_by_label("Add a document").set_input_files(
        {"name": "report.pdf", "mimeType": "application/pdf", "buffer": HTML}
    )
    provider.press("Add the document")
    assert "There is a problem" in page.locator(".govuk-error-summary").inner_text()
    assert "No documents have been added" in page.inner_text("#main-content")

    page.get_by_label("Add a document").set_input_files(
        {"name": "Probation letter.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    provider.press("Add the document")
    assert "Probation letter.pdf is added" in provider.banner()
    row = page.locator("#attachments tbody tr")
    assert row.count() == 1 and people.provider.username in row.inner_text()
    assert "Document added: Probation letter.pdf" in page.locator(".moj-timeline").inner_text()

    with page.expect_download() as download:
        row.get_by_role("link").click()
    assert download.value.suggested_filename == "Probation letter.pdf"
    with open(download.value.path(), "rb") as saved:
        assert saved.read() == PDF
