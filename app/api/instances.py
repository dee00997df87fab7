"""Process instances (cases): start, list, read, audit trail, and the managers' controls."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, url_for

from ..services import attachments, audit, instances, notes, records
from ..services.errors import Invalid
from ..services.instances import InstanceFilters
from .auth import current_user
from .operations import MULTIPART, operation
from .presenters import Presented, page, present_events, present_instance, present_instances
from .schemas import (
    AttachmentListSchema,
    AttachmentSchema,
    AttachmentUploadSchema,
    EmptySchema,
    EventListSchema,
    InstancePageSchema,
    InstanceQuerySchema,
    InstanceSchema,
    NoteBodySchema,
    NoteListSchema,
    NoteSchema,
    ReasonSchema,
    StartCaseSchema,
)

bp = Blueprint("instances", __name__, url_prefix="/process-instances")


@bp.post("")
@operation(
    "Start a case on the latest version of a process",
    body=StartCaseSchema,
    response=InstanceSchema,
    status=201,
    errors=(403, 404, 409),
    idempotent=True,
)
def start_case(body: dict[str, Any]) -> tuple[Presented, int, dict[str, str]]:
    user = current_user()
    row = instances.start_case(user, body["process_key"], body["business_key"], body["data"])
    location = url_for(".get_instance", instance_id=row.id)
    return present_instance(user, row), 201, {"Location": location}


@bp.get("")
@operation(
    "The cases the caller may see, most recently changed first", query=InstanceQuerySchema, response=InstancePageSchema
)
def list_instances(query: InstanceFilters) -> dict[str, Any]:
    user = current_user()
    rows, total = instances.list_instances(user, query)
    return page(present_instances(user, rows), total, query)


@bp.get("/<id:instance_id>")
@operation("A case with the data the caller may see and its tasks", response=InstanceSchema, errors=(403, 404))
def get_instance(instance_id: int) -> Presented:
    user = current_user()
    return present_instance(user, instances.get_instance(user, instance_id))


@bp.get("/<id:instance_id>/events")
@operation("A case's audit trail, oldest first", response=EventListSchema, errors=(403, 404))
def list_events(instance_id: int) -> dict[str, Any]:
    user = current_user()
    row = instances.get_instance(user, instance_id)
    return {"items": present_events(user, audit.events_of(row))}


@bp.get("/<id:instance_id>/notes")
@operation("A case's notes, oldest first (anyone who may see the case)", response=NoteListSchema, errors=(403, 404))
def list_notes(instance_id: int) -> dict[str, Any]:
    user = current_user()
    return {"items": notes.notes_of(user, instances.get_instance(user, instance_id))}


@bp.post("/<id:instance_id>/notes")
@operation(
    "Add a note to a case (anyone who may see the case); it is kept in the audit trail",
    body=NoteBodySchema,
    response=NoteSchema,
    status=201,
    errors=(403, 404),
)
def add_note(instance_id: int, body: dict[str, Any]) -> tuple[Any, int]:
    user = current_user()
    row = instances.get_instance(user, instance_id)
    try:
        return notes.add_note(user, row, body["text"]), 201
    except Invalid as invalid:
        raise Invalid(invalid.message, {"text": invalid.fields.get("note", [invalid.message])}) from None


@bp.get("/<id:instance_id>/attachments")
@operation("The documents added to a case, oldest first", response=AttachmentListSchema, errors=(403, 404))
def list_attachments(instance_id: int) -> dict[str, Any]:
    user = current_user()
    return {"items": attachments.attachments_of(user, instances.get_instance(user, instance_id))}


@bp.post("/<id:instance_id>/attachments")
@operation(
    "Add a document to a case: PDF, Word (.docx, .doc), PNG, JPEG or GIF, recognised by its content",
    body=AttachmentUploadSchema,
    body_type=MULTIPART,
    response=AttachmentSchema,
    status=201,
    errors=(403, 404, 413),
    description="At most SFO_ATTACHMENT_MAX_BYTES (10 MB unless configured); 422 (field `files`) for an empty "
    "file, a type not accepted, or a name ending as another accepted type than the content is. Audited.",
)
def add_attachment(instance_id: int, body: dict[str, Any]) -> tuple[Any, int]:
    user = current_user()
    row = instances.get_instance(user, instance_id)
    [part] = body["files"]
    try:
        return attachments.add_attachment(user, row, part.filename, part.read()), 201
    except Invalid as invalid:
        raise Invalid(invalid.message, {"files": invalid.fields.get("attachment", [invalid.message])}) from None


@bp.get("/<id:instance_id>/attachments/<id:attachment_id>")
@operation(
    "Download a document of a case (always as an attachment; audited)",
    response_type="application/octet-stream",
    errors=(403, 404),
)
def download_attachment(instance_id: int, attachment_id: int) -> Response:
    user = current_user()
    row = instances.get_instance(user, instance_id)
    return attachments.download_attachment(user, row, attachment_id).response()


@bp.get("/<id:instance_id>/record")
@operation(
    "A case's whole record as a zip: record.json and report.pdf (managers, admins; audited)",
    response_type="application/zip",
    errors=(403, 404),
)
def download_record(instance_id: int) -> Response:
    user = current_user()
    name, archive = records.export_case_record(user, instances.get_instance(user, instance_id))
    return Response(
        archive, mimetype="application/zip", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.post("/<id:instance_id>/suspend")
@operation("Suspend a running case (managers)", body=ReasonSchema, response=InstanceSchema, errors=(403, 404, 409))
def suspend(instance_id: int, body: dict[str, Any]) -> Presented:
    user = current_user()
    return present_instance(user, instances.suspend_instance(user, instance_id, body["reason"]))


@bp.post("/<id:instance_id>/resume")
@operation("Resume a suspended case (managers)", body=EmptySchema, response=InstanceSchema, errors=(403, 404, 409))
def resume(instance_id: int, body: dict[str, Any]) -> Presented:
    user = current_user()
    return present_instance(user, instances.resume_instance(user, instance_id))


@bp.post("/<id:instance_id>/cancel")
@operation(
    "Cancel a case, giving a reason (managers)", body=ReasonSchema, response=InstanceSchema, errors=(403, 404, 409)
)
def cancel(instance_id: int, body: dict[str, Any]) -> Presented:
    user = current_user()
    return present_instance(user, instances.cancel_instance(user, instance_id, body["reason"]))


@bp.post("/<id:instance_id>/retry")
@operation(
    "Run the failed element of a case in error again (managers)",
    body=EmptySchema,
    response=InstanceSchema,
    errors=(403, 404, 409),
)
def retry(instance_id: int, body: dict[str, Any]) -> Presented:
    user = current_user()
    return present_instance(user, instances.retry_instance(user, instance_id))
