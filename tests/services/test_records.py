"""A case's whole record as one zip (record.json and report.pdf), for records transfer or a subject
access request: managers and admins only, through the page and the API, and every download audited."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent
from app.services.deadlines import extend_deadline
from tests.conftest import auth_headers, make_user
from tests.services.test_publication import PERSON, clean_pack
from tests.sfo_case import SfoCase

EXTENSION_REASON = "Reviewer Priya Lambert is on leave"


def published_case(people, definition) -> SfoCase:
    """A case drafted twice (returned by QA once), answered, convicted, published and closed."""
    case = SfoCase(people, definition, "SFO-REC-1", person_name=PERSON, crn="X654321")
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    scoping = case.task("write_terms_of_reference")
    extend_deadline(people.manager, scoping.id, scoping.due_on + dt.timedelta(days=14), EXTENSION_REASON)
    case.do("write_terms_of_reference", other_reviews=[])
    case.do("gather_evidence")
    recommendations = [
        {"text": "Review how risk is assessed at transfer.", "addressee": "probation_provider", "level": "local"},
        {"text": "Audit home visits.", "addressee": "hmpps", "level": "national"},
    ]
    case.do("draft_report", summary="First draft summary.", recommendations=recommendations)
    case.do("quality_assure_report", qa_decision="return", qa_comments="Say more about the transfer.")
    case.do("draft_report", summary=f"{PERSON} was supervised for two years.", recommendations=recommendations)
    case.do("quality_assure_report", qa_decision="approve")
    case.do(
        "record_provider_response",
        responses=[
            {
                "recommendation": n,
                "response": "accept",
                "action": "Do it.",
                "owner": "Head",
                "target_date": "2027-06-30",
            }
            for n in (1, 2)
        ],
    )
    case.court_outcome("convicted_sfo")
    case.do("anonymise_report", **clean_pack())
    case.do(
        "provide_progress_summary",
        progress_summary="The checklist is in use.",
        progress_as_at="2027-03-01",
        recommendation_progress=[{"recommendation": 1, "status": "done"}, {"recommendation": 2, "status": "done"}],
    )
    case.do("coordinate_publication", publication_date="2027-03-01", coordination_notes="None")
    case.do("approve_publication", publish_approved=True)
    case.do("publish_report", published_on="2027-03-01")
    case.finish(themes=["risk_assessment"])
    db.session.commit()
    return case


def unzip(content: bytes) -> tuple[dict, bytes | None]:
    with zipfile.ZipFile(io.BytesIO(content)) as bundle:
        names = bundle.namelist()
        record = json.loads(bundle.read("record.json"))
        pdf = bundle.read("report.pdf") if "report.pdf" in names else None
    return record, pdf


def test_a_manager_downloads_the_whole_record_from_the_case_page(app, sfo_definition, people):
    from tests.web.conftest import Browser

    case = published_case(people, sfo_definition)
    manager = Browser(app.test_client()).sign_in(people.manager)
    page = manager.get("/cases/SFO-REC-1")
    assert "/cases/SFO-REC-1/record.zip" in page.links

    manager._fresh_request()
    answer = manager.client.get("/cases/SFO-REC-1/record.zip")
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert 'filename="sfo-case-SFO-REC-1-record.zip"' in answer.headers["Content-Disposition"]
    record, pdf = unzip(answer.data)

    assert record["format"] == "sfo-case-record/1" and record["exported_by"] == people.manager.username
    assert record["case"]["reference"] == "SFO-REC-1" and record["case"]["status"] == "completed"
    assert record["data"]["person_name"] == PERSON and record["data"]["crn"] == "X654321"
    rounds = [(a["bpmn_id"], a["round"]) for a in record["answers"]]
    assert ("draft_report", 1) in rounds and ("draft_report", 2) in rounds
    qa = [a for a in record["answers"] if a["bpmn_id"] == "quality_assure_report"]
    assert [(a["round"], a["data"]["qa_decision"]) for a in qa] == [(1, "return"), (2, "approve")]
    assert [v["state"] for v in record["report_versions"]] == ["returned", "approved"]
    assert record["report_versions"][0]["quality_assurance"]["comments"] == "Say more about the transfer."
    assert record["report_versions"][1]["content"]["summary"] == f"{PERSON} was supervised for two years."
    assert record["published_report"]["slug"] == "2027-001"
    assert PERSON not in json.dumps(record["published_report"])
    assert [r["number"] for r in record["recommendations"]] == [1, 2]
    assert {"started", "task-completed"} <= {e["kind"] for e in record["audit_trail"]}
    assert [e["reason"] for e in record["deadline_extensions"]] == [EXTENSION_REASON]
    assert record["tasks"] and all(t["state"] in ("completed", "cancelled", "ready") for t in record["tasks"])

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Review report" in text and f"{PERSON} was supervised for two years." in text
    assert "Version 2" in text and "Audit home visits." in text

    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "record-exported")).all()
    assert (event.instance_id, event.actor) == (case.row.id, people.manager.username)
    assert event.detail["files"] == ["record.json", "report.pdf"]


def test_a_case_without_a_report_has_only_its_json(app, client, sfo_definition, people):
    case = SfoCase(people, sfo_definition, "SFO-REC-2", person_name=PERSON)
    db.session.commit()
    answer = client.get(f"/api/v1/process-instances/{case.row.id}/record", headers=auth_headers(people.manager))
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    record, pdf = unzip(answer.data)
    assert pdf is None and record["report_versions"] == [] and record["published_report"] is None
    assert record["answers"] == [] and record["data"]["person_name"] == PERSON
    assert db.session.scalar(select(AuditEvent.kind).where(AuditEvent.kind == "record-exported")) is not None


@pytest.mark.parametrize("role", ["sfo-team", "reviewer", "quality-assurer", "publication", "process-owner"])
def test_only_managers_and_admins_may_download_a_record(app, client, sfo_definition, people, role):
    from tests.web.conftest import Browser

    case = SfoCase(people, sfo_definition, "SFO-REC-3")
    user = people.reviewer if role == "reviewer" else make_user(role)
    db.session.commit()
    assert client.get(f"/api/v1/process-instances/{case.row.id}/record", headers=auth_headers(user)).status_code == 403
    browser = Browser(app.test_client()).sign_in(user)
    browser._fresh_request()
    assert browser.client.get("/cases/SFO-REC-3/record.zip").status_code == 403
    if role not in ("process-owner", "reviewer"):  # who sees the case page sees no link to the record
        assert "record.zip" not in browser.get("/cases/SFO-REC-3").html
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.kind == "record-exported")) is None


def test_providers_get_403_for_their_own_case_and_404_for_another_s(app, client, sfo_definition, people):
    case = SfoCase(people, sfo_definition, "SFO-REC-4")
    db.session.commit()
    url = f"/api/v1/process-instances/{case.row.id}/record"
    assert client.get(url, headers=auth_headers(people.provider)).status_code == 403
    assert client.get(url, headers=auth_headers(people.other_provider)).status_code == 404
    assert client.get(url).status_code == 401
    admin = make_user("admin")
    assert client.get(url, headers=auth_headers(admin)).status_code == 200


def test_the_record_holds_the_notes_and_every_document(app, client, sfo_definition, people):
    from app.services import attachments, notes
    from tests.document_samples import DOCX, PDF

    case = SfoCase(people, sfo_definition, "SFO-REC-3", person_name=PERSON)
    notes.add_note(people.provider, case.row, "First\nSecond")
    pdf = attachments.add_attachment(people.team, case.row, "letter.pdf", PDF)
    word = attachments.add_attachment(people.provider, case.row, "minutes.docx", DOCX)
    answer = client.get(f"/api/v1/process-instances/{case.row.id}/record", headers=auth_headers(people.manager))
    assert answer.status_code == 200
    record, _ = unzip(answer.data)
    assert [(n["added_by"], n["text"]) for n in record["notes"]] == [(people.provider.username, "First\nSecond")]
    listed = [(a["filename"], a["uploaded_by"], a["size"], a["file"]) for a in record["attachments"]]
    assert listed == [
        ("letter.pdf", people.team.username, len(PDF), f"attachments/{pdf.id}-letter.pdf"),
        ("minutes.docx", people.provider.username, len(DOCX), f"attachments/{word.id}-minutes.docx"),
    ]
    with zipfile.ZipFile(io.BytesIO(answer.data)) as bundle:
        assert bundle.read(f"attachments/{pdf.id}-letter.pdf") == PDF
        assert bundle.read(f"attachments/{word.id}-minutes.docx") == DOCX
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "record-exported"))
    assert event.detail["files"][-2:] == [f"attachments/{pdf.id}-letter.pdf", f"attachments/{word.id}-minutes.docx"]
    assert "2 documents added to the case" in event.summary
