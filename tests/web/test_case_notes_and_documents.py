"""Notes and documents on the case page: added by anyone who may see the case, refused with the GOV.UK
error summary, downloaded only as attachments, and every one of them in the case's audit trail."""

from __future__ import annotations

import io
from typing import Any

from app.models import CaseAttachment
from app.services.audit import events_of
from app.services.notes import NOTE_MAX_CHARS
from tests.document_samples import DOCX, HTML, PDF, PNG
from tests.sfo_case import SfoCase
from tests.web.conftest import Browser, Page

CASE = "/cases/SFO-2027-001"


def upload(web: Browser, filename: str, content: bytes, *, csrf: bool = True, url: str = CASE) -> Any:
    """Post the case page's document form as a browser does (multipart)."""
    web._fresh_request()
    data: dict[str, Any] = {"attachment": (io.BytesIO(content), filename)}
    if csrf:
        data["csrf_token"] = web.token
    return web.client.post(f"{url}/attachments", data=data, content_type="multipart/form-data")


def kinds(case: SfoCase) -> list[str]:
    return [e.kind for e in events_of(case.row)]


def test_a_note_is_shown_on_the_timeline_with_who_when_and_its_line_breaks(people, sfo_definition, signed_in):
    case = SfoCase(people, sfo_definition)
    web = signed_in(people.provider)
    web.get(CASE)
    response = web.post(f"{CASE}/notes", {"note": "Spoke to the probation officer.\r\nFamily informed."})
    assert response.headers["Location"].endswith(f"{CASE}#history")
    page = web.get(CASE)
    assert "Your note is added" in page.text and "by " + people.provider.username in page.text
    assert '<div class="moj-timeline__description sfo-multiline">Spoke to the probation officer.\nFamily informed.' in (
        page.html
    )
    [note] = [e for e in events_of(case.row) if e.kind == "case-note"]
    assert note.detail == {"text": "Spoke to the probation officer.\nFamily informed."}
    manager_page = signed_in(people.manager).get(f"/monitoring/cases/{case.row.id}")
    assert "Family informed." in manager_page.text and "case-page-link" in manager_page.html


def test_a_note_is_escaped_not_rendered(people, sfo_definition, signed_in):
    SfoCase(people, sfo_definition)
    web = signed_in(people.team)
    web.get(CASE)
    web.post(f"{CASE}/notes", {"note": '<script>alert("x")</script>'})
    page = web.get(CASE)
    assert "<script>alert" not in page.html and "&lt;script&gt;alert" in page.html


def test_an_empty_or_too_long_note_shows_the_error_summary_keeps_the_text_and_saves_nothing(
    people, sfo_definition, signed_in
):
    case = SfoCase(people, sfo_definition)
    web = signed_in(people.team)
    web.get(CASE)
    page = web.post(f"{CASE}/notes", {"note": "   "}, expect=200)
    assert "There is a problem" in page.text and 'href="#note"' in page.html and "Enter the note" in page.text
    assert page.title.startswith("Error:")
    long_note = "y" * (NOTE_MAX_CHARS + 1)
    page = web.post(f"{CASE}/notes", {"note": long_note}, expect=200)
    assert f"{NOTE_MAX_CHARS:,} characters or fewer" in page.text and long_note in page.html
    assert "case-note" not in kinds(case)


def test_a_note_without_a_valid_csrf_token_is_shown_again_not_saved(people, sfo_definition, signed_in):
    case = SfoCase(people, sfo_definition)
    web = signed_in(people.team)
    web.get(CASE)
    page = web.post(f"{CASE}/notes", {"note": "Forged"}, expect=200, csrf=False)
    assert "Check the note, then add it again" in page.text
    web.token = "expired-or-forged"
    page = web.post(f"{CASE}/notes", {"note": "Typed for ten minutes"}, expect=200)
    assert "Check the note, then add it again" in page.text and "Typed for ten minutes" in page.html
    assert "case-note" not in kinds(case)


def test_another_organisations_provider_cannot_see_note_upload_or_download(people, sfo_definition, signed_in):
    case = SfoCase(people, sfo_definition)
    own = signed_in(people.team)
    own.get(CASE)
    assert upload(own, "letter.pdf", PDF).status_code == 302
    [attachment] = CaseAttachment.query.all()
    other = signed_in(people.other_provider)
    other.get(CASE, expect=404)
    other.post(f"{CASE}/notes", {"note": "Not my case"}, expect=404)
    assert upload(other, "mine.pdf", PDF).status_code == 404
    other.get(f"{CASE}/attachments/{attachment.id}", expect=404)
    assert "case-note" not in kinds(case) and CaseAttachment.query.count() == 1
    assert "attachment-downloaded" not in kinds(case)


def test_a_pdf_is_uploaded_listed_and_downloaded_only_as_an_attachment(people, sfo_definition, signed_in):
    case = SfoCase(people, sfo_definition)
    web = signed_in(people.provider)
    web.get(CASE)
    response = upload(web, "Probation letter.pdf", PDF)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{CASE}#documents")
    page = web.get(CASE)
    assert "Probation letter.pdf" in page.text and people.provider.username in page.text and "1 KB" in page.text
    [attachment] = CaseAttachment.query.all()
    download = web.client.get(f"{CASE}/attachments/{attachment.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "Probation letter.pdf" in download.headers["Content-Disposition"].replace("%20", " ")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download.headers["Cache-Control"]
    added = [e for e in events_of(case.row) if e.kind == "attachment-added"]
    fetched = [e for e in events_of(case.row) if e.kind == "attachment-downloaded"]
    assert added[0].detail["filename"] == "Probation letter.pdf" and added[0].actor == people.provider.username
    assert fetched[0].detail["attachment_id"] == attachment.id and fetched[0].actor == people.provider.username
    assert "Document added: Probation letter.pdf" in web.get(CASE).text


def test_word_and_images_are_accepted(people, sfo_definition, signed_in):
    SfoCase(people, sfo_definition)
    web = signed_in(people.team)
    web.get(CASE)
    assert upload(web, "minutes.docx", DOCX).status_code == 302
    assert upload(web, "scene.png", PNG).status_code == 302
    types = sorted(a.content_type for a in CaseAttachment.query.all())
    assert types == ["application/vnd.openxmlformats-officedocument.wordprocessingml.document", "image/png"]


def _refused(web: Browser, filename: str, content: bytes) -> Page:
    response = upload(web, filename, content)
    assert response.status_code == 200, response.status_code
    page = Page(response.get_data(as_text=True), 200)
    page.check()
    assert "There is a problem" in page.text and 'href="#attachment"' in page.html
    return page


def test_bad_files_show_the_error_summary_and_nothing_is_stored(people, sfo_definition, signed_in, app, monkeypatch):
    case = SfoCase(people, sfo_definition)
    web = signed_in(people.team)
    web.get(CASE)
    assert "must be a PDF" in _refused(web, "report.pdf", HTML).text  # a .pdf name, HTML content
    assert "is empty" in _refused(web, "empty.pdf", b"").text
    assert "Select a file" in _refused(web, "", b"").text
    monkeypatch.setitem(app.config, "SFO_ATTACHMENT_MAX_BYTES", len(PDF) - 1)
    assert "smaller than" in _refused(web, "big.pdf", PDF).text
    assert CaseAttachment.query.count() == 0 and "attachment-added" not in kinds(case)


def test_an_upload_far_over_the_limit_is_refused_before_it_is_read(people, sfo_definition, signed_in, app, monkeypatch):
    monkeypatch.setitem(app.config, "SFO_ATTACHMENT_MAX_BYTES", 1024)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    SfoCase(people, sfo_definition)
    web = signed_in(people.team)
    web.get(CASE)
    page = _refused(web, "huge.pdf", PDF + b"0" * (200 * 1024))
    assert "smaller than 1 KB" in page.text
    assert CaseAttachment.query.count() == 0


def test_the_attachment_limit_may_exceed_the_general_request_limit(people, sfo_definition, signed_in, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)  # other forms stay small
    SfoCase(people, sfo_definition)
    web = signed_in(people.team)
    web.get(CASE)
    assert upload(web, "long.pdf", PDF + b"0" * (50 * 1024)).status_code == 302


def test_an_upload_without_the_csrf_token_is_refused(people, sfo_definition, signed_in):
    SfoCase(people, sfo_definition)
    web = signed_in(people.team)
    web.get(CASE)
    assert upload(web, "letter.pdf", PDF, csrf=False).status_code == 400
    assert CaseAttachment.query.count() == 0


def test_hostile_file_names_are_shown_and_offered_safely(people, sfo_definition, signed_in):
    case = SfoCase(people, sfo_definition)
    web = signed_in(people.team)
    web.get(CASE)
    assert upload(web, "../../../etc/<b onmouseover=alert(1)>x.pdf", PDF).status_code == 302
    [attachment] = CaseAttachment.query.all()
    assert attachment.filename == "b onmouseover=alert(1) x.pdf"
    page = web.get(CASE)
    assert "<b onmouseover" not in page.html and "../" not in attachment.filename
    download = web.client.get(f"{CASE}/attachments/{attachment.id}")
    disposition = download.headers["Content-Disposition"]
    assert "/" not in disposition.split("filename", 1)[1] and "<" not in disposition
    assert [e.detail["filename"] for e in events_of(case.row) if e.kind == "attachment-added"] == [attachment.filename]


def test_a_document_id_too_large_for_a_row_is_not_found(people, sfo_definition, signed_in):
    SfoCase(people, sfo_definition)
    web = signed_in(people.team)
    web.get(f"{CASE}/attachments/99999999999999999999", expect=404)
    web.get(f"{CASE}/attachments/0", expect=404)


def test_other_case_forms_keep_the_general_request_limit(people, sfo_definition, signed_in, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    case = SfoCase(people, sfo_definition)
    web = signed_in(people.team)
    web.get(CASE)
    page = web.post(f"{CASE}/notes", {"note": "z" * 4000}, expect=413)
    assert "The file or form is too large" in page.text and "case-note" not in kinds(case)
