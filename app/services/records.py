"""A case's whole record as one zip, for records transfer or a subject access request: ``record.json``
(the case, its data, every form answer by task and round, its tasks, deadline extensions, the audit
trail, notifications, the report versions, recommendations, themes and the published snapshot) and
``report.pdf`` (the latest version of the review report, when one was drafted), and every document added
to the case under ``attachments/`` (named ``<id>-<file name>``; ``record.json`` lists them with who added
them, when, their type, size and SHA-256). Case notes are in ``notes`` (and, as events, in the audit
trail). Managers and admins only; every download is written to the case's audit trail."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections import Counter
from typing import Any

from flask import render_template
from sqlalchemy import select

from ..extensions import db
from ..form_model.dates import govuk_date
from ..models import (
    AuditEvent,
    CaseAttachment,
    DeadlineExtension,
    OutboxMessage,
    ProcessInstance,
    PublishedReport,
    RecommendationRecord,
    ReviewTheme,
    Task,
    User,
)
from .access import MANAGING_ROLES, check_instance_visible, require_role
from .attachments import stored_content
from .audit import events_of, record_event
from .case_providers import providers_of
from .errors import NotFound
from .notes import NOTE_KIND
from .reports import Version, assemble, draft_versions
from .runtime import london_today, now, transactional

RECORD_FORMAT = "sfo-case-record/1"


def _when(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _case(row: ProcessInstance) -> dict[str, Any]:
    return {
        "id": row.id,
        "reference": row.business_key,
        "process_key": row.process_key,
        "process_version": row.definition.version,
        "status": row.status,
        "stage": row.stage,
        "outcome": row.outcome,
        "provider_org": row.provider_org,
        "providers": providers_of(row),
        "reviewer": row.reviewer,
        "error_element": row.error_element,
        "error_message": row.error_message,
        "created_by": row.created_by,
        "created_at": _when(row.created_at),
        "updated_at": _when(row.updated_at),
    }


def _answers(events: list[AuditEvent], tasks: dict[str, Task]) -> list[dict[str, Any]]:
    """Every form submitted on the case, oldest first; ``round`` counts the submissions of one task
    of the diagram (the drafts sent to quality assurance are rounds 1, 2, ...)."""
    rounds: Counter[str] = Counter()
    answers = []
    for event in events:
        if event.kind != "task-completed":
            continue
        task = tasks.get(event.task_id or "")
        bpmn_id = task.bpmn_id if task is not None else None
        rounds[bpmn_id or event.task_id or ""] += 1
        answers.append(
            {
                "task_id": event.task_id,
                "task": task.name if task is not None else None,
                "bpmn_id": bpmn_id,
                "stage": task.stage if task is not None else None,
                "round": rounds[bpmn_id or event.task_id or ""],
                "completed_by": event.actor,
                "completed_at": _when(event.occurred_at),
                "data": (event.detail or {}).get("data") or {},
            }
        )
    return answers


def _task(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "name": task.name,
        "bpmn_id": task.bpmn_id,
        "stage": task.stage,
        "lane": task.lane,
        "organisation": task.organisation,
        "assignee": task.assignee,
        "state": task.state,
        "due_on": _when(task.due_on),
        "created_at": _when(task.created_at),
        "completed_by": task.completed_by,
        "completed_at": _when(task.completed_at),
    }


def _version(version: Version) -> dict[str, Any]:
    decision = version.decision
    return {
        "number": version.number,
        "state": version.state,
        "submitted_by": version.submitted_by,
        "submitted_at": _when(version.submitted_at),
        "content": version.data,
        "quality_assurance": None
        if decision is None
        else {
            "decision": decision.decision,
            "by": decision.by,
            "at": _when(decision.at),
            "comments": decision.comments,
        },
    }


def _rows(model: Any, row: ProcessInstance, order: Any) -> list[Any]:
    return list(db.session.scalars(select(model).where(model.instance_id == row.id).order_by(order)))


def _published(row: ProcessInstance) -> dict[str, Any] | None:
    report = db.session.scalar(select(PublishedReport).where(PublishedReport.instance_id == row.id))
    if report is None:
        return None
    return {
        "slug": report.slug,
        "title": report.title,
        "summary": report.summary,
        "published_on": _when(report.published_on),
        "published_by": report.published_by,
        "offence_type": report.offence_type,
        "offence_title": report.offence_title,
        "themes": report.themes,
        "content": report.content,
    }


def case_record(row: ProcessInstance, exported_by: str) -> dict[str, Any]:
    """Everything the service holds about the case, as plain JSON values."""
    events = events_of(row)
    tasks = _rows(Task, row, Task.created_at)
    return {
        "format": RECORD_FORMAT,
        "exported_at": _when(now()),
        "exported_by": exported_by,
        "case": _case(row),
        "data": row.data or {},
        "answers": _answers(events, {task.id: task for task in tasks}),
        "tasks": [_task(task) for task in tasks],
        "deadline_extensions": [
            {
                "task_id": e.task_id,
                "bpmn_id": e.bpmn_id,
                "stage": e.stage,
                "previous_due": _when(e.previous_due),
                "new_due": _when(e.new_due),
                "reason": e.reason,
                "approved_by": e.approved_by,
                "approved_at": _when(e.approved_at),
            }
            for e in _rows(DeadlineExtension, row, DeadlineExtension.approved_at)
        ],
        "audit_trail": [
            {
                "id": e.id,
                "occurred_at": _when(e.occurred_at),
                "actor": e.actor,
                "kind": e.kind,
                "task_id": e.task_id,
                "summary": e.summary,
                "detail": e.detail or {},
            }
            for e in events
        ],
        "notes": [
            {
                "id": e.id,
                "added_at": _when(e.occurred_at),
                "added_by": e.actor,
                "text": (e.detail or {}).get("text", ""),
            }
            for e in events
            if e.kind == NOTE_KIND
        ],
        "attachments": [
            {
                "id": a.id,
                "file": attachment_path(a),
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "uploaded_by": a.uploaded_by,
                "uploaded_at": _when(a.uploaded_at),
            }
            for a in _rows(CaseAttachment, row, CaseAttachment.id)
        ],
        "notifications": [
            {
                "id": m.id,
                "kind": m.kind,
                "recipient": m.recipient,
                "subject": m.subject,
                "status": m.status,
                "created_at": _when(m.created_at),
                "sent_at": _when(m.sent_at),
            }
            for m in _rows(OutboxMessage, row, OutboxMessage.id)
        ],
        "report_versions": [_version(v) for v in draft_versions(row)],
        "recommendations": [
            {
                "number": r.number,
                "text": r.text,
                "addressee": r.addressee,
                "level": r.level,
                "themes": r.themes,
                "response": r.response,
                "target_date": _when(r.target_date),
                "progress": r.progress,
                "sent_on": _when(r.sent_on),
            }
            for r in _rows(RecommendationRecord, row, RecommendationRecord.number)
        ],
        "themes": [
            {"theme": t.theme_code, "tagged_on": _when(t.tagged_on)}
            for t in _rows(ReviewTheme, row, ReviewTheme.theme_code)
        ],
        "published_report": _published(row),
    }


def report_pdf(row: ProcessInstance) -> bytes | None:
    """The latest version of the review report as a tagged PDF; None before a report was drafted."""
    versions = draft_versions(row)
    if not versions:
        return None
    from weasyprint import HTML  # loaded on first use: it is slow to import

    report = assemble(row.business_key, versions[-1], versions, row.data or {}, london_today())
    html = render_template("reports/pdf.html", report=report, row=row)
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


@transactional
def export_case_record(user: User, row: ProcessInstance) -> tuple[str, bytes]:
    """(file name, zip) of the case's whole record; the download is audited."""
    require_role(user, MANAGING_ROLES, "download a case's whole record")
    check_instance_visible(user, row)
    if row.reduced_at is not None:
        raise NotFound(
            f"Case {row.business_key} was reduced to anonymised statistics under the retention policy on "
            f"{govuk_date(row.reduced_at)}: there is no record left to download."
        )
    record = case_record(row, user.username)
    pdf = report_pdf(row)
    archive = io.BytesIO()
    files = ["record.json", "report.pdf"] if pdf is not None else ["record.json"]
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("record.json", json.dumps(record, indent=2, ensure_ascii=False, sort_keys=True))
        if pdf is not None:
            bundle.writestr("report.pdf", pdf)
        for attachment in _rows(CaseAttachment, row, CaseAttachment.id):
            bundle.writestr(attachment_path(attachment), stored_content(attachment))
            files.append(attachment_path(attachment))
    contents = "record.json and report.pdf" if pdf is not None else "record.json; no report has been drafted yet"
    documents = len(files) - (2 if pdf is not None else 1)
    if documents:
        contents += f"; {documents} document{'s' if documents > 1 else ''} added to the case"
    record_event(
        row,
        user.username,
        "record-exported",
        f"{user.username} downloaded the case's whole record: {contents}.",
        files=files,
    )
    return f"sfo-case-{_safe_name(row.business_key)}-record.zip", archive.getvalue()


def attachment_path(attachment: CaseAttachment) -> str:
    return f"attachments/{attachment.id}-{attachment.filename}"


def _safe_name(reference: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in reference)[:80]
