"""Notes and documents on a case through the services: what is accepted, who may, what the trail keeps."""

from __future__ import annotations

import pytest

from app.models import CaseAttachment
from app.services import attachments, notes
from app.services.audit import events_of
from app.services.errors import Forbidden, Invalid, NotFound
from tests.document_samples import DOCX, EXCEL_97, GIF, HTML, JPEG, PDF, PLAIN_ZIP, PNG, WORD_97, XLSX
from tests.sfo_case import SfoCase


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (PDF, "application/pdf"),
        (DOCX, attachments.DOCX),
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (GIF, "image/gif"),
        (WORD_97, "application/msword"),
        (EXCEL_97, None),
        (HTML, None),
        (XLSX, None),
        (PLAIN_ZIP, None),
        (b"MZ\x90\x00" + b"\x00" * 64, None),
    ],
    ids=["pdf", "docx", "png", "jpeg", "gif", "word-97", "excel-97", "html", "xlsx", "plain-zip", "exe"],
)
def test_the_type_comes_from_the_content(app, content, expected):
    assert attachments.content_type_of(content) == expected


@pytest.mark.parametrize(
    ("given", "content_type", "kept"),
    [
        ("../../etc/passwd.pdf", "application/pdf", "passwd.pdf"),
        ("..\\..\\windows\\report.pdf", "application/pdf", "report.pdf"),
        ('<img src=x onerror="alert(1)">.pdf', "application/pdf", "img src=x onerror= alert(1).pdf"),
        ("scan.PNG", "image/png", "scan.png"),
        ("photo.jpeg", "image/jpeg", "photo.jpeg"),
        ("minutes", attachments.DOCX, "minutes.docx"),
        ("notes.txt", "application/pdf", "notes.txt.pdf"),
        ("...", "application/pdf", "document.pdf"),
        ("a\x00b\r\nc.pdf", "application/pdf", "a b c.pdf"),
        ("x" * 300 + ".pdf", "application/pdf", "x" * 115 + ".pdf"),
    ],
)
def test_file_names_are_made_safe_and_end_as_their_content(app, given, content_type, kept):
    assert attachments.safe_filename(given, content_type) == kept


def test_a_note_is_an_audit_event_with_its_text_and_line_breaks(people, sfo_definition):
    case = SfoCase(people, sfo_definition)
    notes.add_note(people.team, case.row, "  First line\r\nSecond line  ")
    [event] = [e for e in events_of(case.row) if e.kind == "case-note"]
    assert event.actor == people.team.username and event.detail == {"text": "First line\nSecond line"}
    assert [n.id for n in notes.notes_of(people.provider, case.row)] == [event.id]


@pytest.mark.parametrize("text", ["", "   \r\n ", "x" * (notes.NOTE_MAX_CHARS + 1)])
def test_an_empty_or_too_long_note_is_refused_and_nothing_is_kept(people, sfo_definition, text):
    case = SfoCase(people, sfo_definition)
    before = len(events_of(case.row))
    with pytest.raises(Invalid) as refused:
        notes.add_note(people.team, case.row, text)
    assert list(refused.value.fields) == ["note"]
    assert len(events_of(case.row)) == before


def test_only_who_may_see_the_case_adds_or_reads_notes_and_documents(people, sfo_definition):
    case = SfoCase(people, sfo_definition)
    with pytest.raises(NotFound):
        notes.add_note(people.other_provider, case.row, "Not mine")
    with pytest.raises(NotFound):
        attachments.add_attachment(people.other_provider, case.row, "x.pdf", PDF)
    with pytest.raises(Forbidden):  # a reviewer not allocated to the case: the existing rule
        notes.add_note(people.other_reviewer, case.row, "Not allocated")
    added = attachments.add_attachment(people.provider, case.row, "letter.pdf", PDF)
    with pytest.raises(NotFound):
        attachments.download_attachment(people.other_provider, case.row, added.id)
    assert [e.kind for e in events_of(case.row)].count("case-note") == 0


def test_a_document_is_kept_in_a_directory_when_one_is_configured(people, sfo_definition, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "SFO_ATTACHMENT_DIR", str(tmp_path / "attachments"))
    case = SfoCase(people, sfo_definition)
    added = attachments.add_attachment(people.team, case.row, "../../evil.pdf", PDF)
    assert added.storage == "directory" and added.content is None
    [stored] = list((tmp_path / "attachments").iterdir())
    assert stored.name == added.stored_name and stored.read_bytes() == PDF and "evil" not in stored.name
    download = attachments.download_attachment(people.provider, case.row, added.id)
    assert (download.filename, download.content_type, download.content) == ("evil.pdf", "application/pdf", PDF)


def test_a_document_of_another_case_is_not_found_through_this_one(people, sfo_definition):
    first = SfoCase(people, sfo_definition, "SFO-2027-001")
    second = SfoCase(people, sfo_definition, "SFO-2027-002")
    added = attachments.add_attachment(people.team, first.row, "a.pdf", PDF)
    with pytest.raises(NotFound):
        attachments.download_attachment(people.team, second.row, added.id)


def test_a_file_too_large_is_refused_and_nothing_is_kept(people, sfo_definition, app, monkeypatch):
    monkeypatch.setitem(app.config, "SFO_ATTACHMENT_MAX_BYTES", len(PDF) - 1)
    case = SfoCase(people, sfo_definition)
    with pytest.raises(Invalid, match="smaller than"):
        attachments.add_attachment(people.team, case.row, "a.pdf", PDF)
    assert attachments.attachments_of(people.team, case.row) == []


def test_a_name_that_says_another_accepted_type_is_refused(people, sfo_definition):
    case = SfoCase(people, sfo_definition)
    with pytest.raises(Invalid, match="called .pdf but it is a PNG image"):
        attachments.add_attachment(people.team, case.row, "report.pdf", PNG)
    assert CaseAttachment.query.count() == 0


def test_a_document_file_is_removed_again_when_its_row_cannot_be_kept(
    postgresql, sfo_definition, app, tmp_path, people
):
    """The case went (deleted by retention, say) between the page and the upload: no file is left behind."""
    from app.models import ProcessInstance
    from app.services.errors import Conflict

    app.config["SFO_ATTACHMENT_DIR"] = str(tmp_path)
    try:
        case = SfoCase(people, sfo_definition)
        gone = ProcessInstance(id=case.row.id + 1000, business_key="SFO-GONE", provider_org="north-probation")
        with pytest.raises(Conflict):
            attachments.add_attachment(people.team, gone, "a.pdf", PDF)
        assert list(tmp_path.iterdir()) == []
    finally:
        app.config["SFO_ATTACHMENT_DIR"] = None
