"""The JSON boundary: every request body, query string and response of the API, and the OpenAPI document.

Request schemas refuse unknown keys, so a misspelt field or filter is an error rather than silently
ignored. Query schemas load straight into the services' filter objects.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, post_load, validate

from ..services.instances import STATUSES, InstanceFilters
from ..services.messages import MAX_AGENCY, MESSAGE_PAYLOADS, REVIEW_TYPES
from ..services.reports import ADDRESSEES, TRACKING
from ..services.tasks import TaskFilters
from ..services.tracking import EVIDENCE_LIMIT

MAX_PER_PAGE = 100
MAX_ROW_ID = 2**31 - 1  # the id columns are 32-bit integers; a larger number names nothing
TASK_STATES = ("ready", "completed")


class RequestSchema(Schema):
    class Meta:
        unknown = RAISE


def _page() -> fields.Integer:
    return fields.Integer(
        load_default=1, validate=validate.Range(min=1, max=MAX_ROW_ID), metadata={"description": "1 is the first page"}
    )


def _per_page(default: int) -> fields.Integer:
    return fields.Integer(load_default=default, validate=validate.Range(min=1, max=MAX_PER_PAGE))


# --- requests -------------------------------------------------------------------------------------


class InstanceQuerySchema(RequestSchema):
    process_key = fields.String()
    business_key = fields.String()
    status = fields.String(validate=validate.OneOf(STATUSES))
    stage = fields.String()
    assignee = fields.String(metadata={"description": "a username, or `me`: cases with a ready task assigned to them"})
    overdue = fields.Boolean(
        load_default=False, metadata={"description": "only cases with a ready task past its due date"}
    )
    page = _page()
    per_page = _per_page(InstanceFilters.per_page)

    @post_load
    def to_filters(self, data: dict[str, Any], **_: Any) -> InstanceFilters:
        return InstanceFilters(**data)


class TaskQuerySchema(RequestSchema):
    assignee = fields.String(metadata={"description": "a username, or `me`"})
    candidate = fields.String(
        validate=validate.OneOf(["me"]), metadata={"description": "`me`: unclaimed tasks of my groups"}
    )
    state = fields.String(load_default="ready", validate=validate.OneOf(TASK_STATES))
    overdue = fields.Boolean(load_default=False, metadata={"description": "only tasks past their due date"})
    business_key = fields.String()
    process_instance_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ROW_ID))
    stage = fields.String()
    page = _page()
    per_page = _per_page(TaskFilters.per_page)

    @post_load
    def to_filters(self, data: dict[str, Any], **_: Any) -> TaskFilters:
        return TaskFilters(**data)


class BpmnQuerySchema(RequestSchema):
    file = fields.String(metadata={"description": "which .bpmn file of the version; the main one by default"})


class EmptySchema(RequestSchema):
    """No fields: the body may be left out or be `{}`."""


class NoQuerySchema(RequestSchema):
    """No query parameters: any parameter is refused (422) rather than silently ignored."""


class StartCaseSchema(RequestSchema):
    process_key = fields.String(required=True, validate=validate.Length(min=1, max=120))
    business_key = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=120),
        metadata={"description": "the case reference; taken from data.case_reference if left out"},
    )
    data = fields.Dict(keys=fields.String(), load_default=dict, metadata={"description": "the start form's fields"})


class ReasonSchema(RequestSchema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class MessageSchema(RequestSchema):
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": f"the message: {', '.join(MESSAGE_PAYLOADS)}, or another that a process waits for"},
    )
    business_key = fields.String(required=True, validate=validate.Length(min=1, max=120))
    data = fields.Dict(
        keys=fields.String(),
        load_default=dict,
        metadata={
            "description": "the payload; its fields depend on the message ("
            + "; ".join(f"{name}: {schema['title']}" for name, schema in MESSAGE_PAYLOADS.items())
            + "). Unknown fields or values are refused (422) and change nothing.",
            "anyOf": [{"$ref": f"#/components/schemas/{schema['title']}"} for schema in MESSAGE_PAYLOADS.values()],
        },
    )


class OtherReviewSchema(RequestSchema):
    agency = fields.String(
        required=True, validate=validate.Length(min=1, max=MAX_AGENCY), metadata={"description": "who leads it"}
    )
    review_type = fields.String(required=True, validate=validate.OneOf(list(REVIEW_TYPES)))


class ReopenPublicationSchema(RequestSchema):
    outcome_date = fields.Date(required=True, metadata={"description": "the date of the conviction"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class AssignSchema(RequestSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))


class TaskDataSchema(RequestSchema):
    data = fields.Dict(keys=fields.String(), required=True, metadata={"description": "the form's fields"})


class UploadSchema(RequestSchema):
    files = fields.List(
        fields.Raw(metadata={"type": "string", "format": "binary"}),
        required=True,
        validate=validate.Length(min=1, error="Attach the .bpmn, .dmn and form .json files to deploy."),
        metadata={"description": "the .bpmn, .dmn and form .json files of one process, as multipart file parts"},
    )
    create_groups = fields.Boolean(
        load_default=False,
        metadata={"description": "create a group for every lane that names none (otherwise such lanes are refused)"},
    )


class GroupCreateSchema(RequestSchema):
    id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))


class LaneNameSchema(RequestSchema):
    lane = fields.String(required=True, validate=validate.Length(min=1, max=200))


class MemberSchema(RequestSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))


class TrackingSchema(RequestSchema):
    status = fields.String(
        required=True,
        metadata={"description": "where the action stands: " + ", ".join(TRACKING), "enum": list(TRACKING)},
    )
    evidence = fields.String(
        load_default="",
        metadata={"description": f"what shows it; required when done or not done; {EVIDENCE_LIMIT} characters at most"},
    )
    done_on = fields.Date(
        load_default=None, allow_none=True, metadata={"description": "the date it was done; required when done"}
    )


class InspectionQuerySchema(RequestSchema):
    provider = fields.String(
        required=True,
        validate=validate.Length(min=1, max=120),
        metadata={"description": "the provider organisation; a provider user may name only its own"},
    )


# --- responses ------------------------------------------------------------------------------------


class GroupSchema(Schema):
    id = fields.String()
    title = fields.String()
    members = fields.List(fields.String(), metadata={"description": "user names, by role or membership"})
    lane_names = fields.List(fields.String(), metadata={"description": "other lane names, as compared"})


class GroupListSchema(Schema):
    items = fields.List(fields.Nested(GroupSchema))


class FormSchema(Schema):
    json_schema = fields.Dict(data_key="schema", attribute="schema", metadata={"description": "JSON Schema"})
    ui_schema = fields.Dict()


class DefinitionSchema(Schema):
    key = fields.String()
    name = fields.String()
    version = fields.Integer()
    deployed_at = fields.DateTime()
    deployed_by = fields.String()
    change_summary = fields.String()
    files = fields.Function(
        lambda definition: sorted(definition.files()), metadata={"type": "array", "items": {"type": "string"}}
    )


class DefinitionDetailSchema(DefinitionSchema):
    start_form = fields.Nested(FormSchema, allow_none=True)


class DeployedSchema(DefinitionSchema):
    created = fields.Boolean(metadata={"description": "false when the files equal the latest version"})
    summary = fields.String()


class DryRunReportSchema(Schema):
    states = fields.Integer()
    paths = fields.Integer()
    seconds = fields.Float()
    truncated = fields.Boolean()
    reached = fields.List(fields.String(), metadata={"description": "end events some path reached"})
    unreached = fields.List(fields.String())
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": "paths by ending"})
    examples = fields.List(fields.Dict(), metadata={"description": "one path per outcome: description, steps"})


class DryRunJobSchema(Schema):
    """A dry-run job: the checks and dry run of uploaded files (and their deploy, for ``deploy``)."""

    id = fields.Integer()
    purpose = fields.String(metadata={"enum": ["check", "deploy"]})
    status = fields.String(metadata={"enum": ["queued", "running", "passed", "failed", "error", "timed_out"]})
    finished = fields.Boolean()
    process_key = fields.String(attribute="model_key", allow_none=True)
    checksum = fields.String(metadata={"description": "SHA-256 of the files checked"})
    requested_by = fields.String()
    states = fields.Integer(metadata={"description": "states the dry run explored so far"})
    paths = fields.Integer(metadata={"description": "paths it followed to their end so far"})
    outcome = fields.String(allow_none=True)
    problems = fields.Dict(
        keys=fields.String(), values=fields.List(fields.String()), metadata={"description": "element → problems"}
    )
    report = fields.Nested(DryRunReportSchema, allow_none=True)
    definition = fields.Nested(DefinitionSchema, allow_none=True, metadata={"description": "the version deployed"})
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


class DefinitionListSchema(Schema):
    items = fields.List(fields.Nested(DefinitionSchema))


class TaskSchema(Schema):
    id = fields.String()
    name = fields.String()
    bpmn_id = fields.String()
    lane = fields.String(allow_none=True)
    stage = fields.String(allow_none=True)
    process_instance_id = fields.Integer(attribute="instance_id")
    business_key = fields.String()
    assignee = fields.String(allow_none=True)
    candidate_groups = fields.List(fields.String())
    due_at = fields.Date(attribute="due_on", allow_none=True, metadata={"description": "the date the task is due"})
    state = fields.String()
    created_at = fields.DateTime()
    completed_by = fields.String(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)


class TaskDetailSchema(TaskSchema):
    documentation = fields.String()
    form = fields.Nested(FormSchema, allow_none=True)
    data = fields.Dict(metadata={"description": "the values the form starts with"})
    draft = fields.Dict(allow_none=True, metadata={"description": "the caller's saved draft, if any"})


class TaskPageSchema(Schema):
    items = fields.List(fields.Nested(TaskSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class DraftSchema(Schema):
    task_id = fields.String()
    data = fields.Dict()
    updated_at = fields.DateTime()


class InstanceErrorSchema(Schema):
    element = fields.String(attribute="error_element")
    message = fields.String(attribute="error_message")


class InstanceSummarySchema(Schema):
    id = fields.Integer()
    process_key = fields.String()
    process_version = fields.Integer(
        attribute="definition.version", metadata={"description": "the definition version it runs"}
    )
    business_key = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    stage = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    error = fields.Method(
        "_error",
        metadata={
            "type": "object",
            "nullable": True,
            "description": "{element, message} of the failing element, when in error",
        },
    )
    created_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer(
        attribute="lock_version", metadata={"description": "lock version: goes up on every change"}
    )

    def _error(self, row: Any) -> dict[str, Any] | None:
        return InstanceErrorSchema().dump(row) if row.status == "error" else None


class InstanceSchema(InstanceSummarySchema):
    data = fields.Dict(metadata={"description": "the case data the caller may see"})
    ready_tasks = fields.List(fields.Nested(TaskSchema), metadata={"description": "ready tasks the caller may see"})
    completed_tasks = fields.List(fields.Nested(TaskSchema))


class InstancePageSchema(Schema):
    items = fields.List(fields.Nested(InstanceSummarySchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class EventSchema(Schema):
    id = fields.Integer()
    occurred_at = fields.DateTime()
    actor = fields.String()
    kind = fields.String()
    task_id = fields.String(allow_none=True)
    summary = fields.String()
    detail = fields.Dict(allow_none=True, metadata={"description": "null for provider users"})


class EventListSchema(Schema):
    items = fields.List(fields.Nested(EventSchema))


class NoteBodySchema(RequestSchema):
    text = fields.String(
        required=True, metadata={"description": "the note (line breaks kept), 4,000 characters at most"}
    )


class NoteSchema(Schema):
    id = fields.Integer(metadata={"description": "the note's audit event id"})
    added_at = fields.DateTime(attribute="occurred_at")
    added_by = fields.String(attribute="actor")
    text = fields.Function(lambda event: (event.detail or {}).get("text", ""))


class NoteListSchema(Schema):
    items = fields.List(fields.Nested(NoteSchema))


class AttachmentUploadSchema(RequestSchema):
    files = fields.List(
        fields.Raw(metadata={"type": "string", "format": "binary"}),
        required=True,
        validate=validate.Length(min=1, max=1, error="Attach one file."),
        metadata={"description": "one PDF, Word (.docx, .doc), PNG, JPEG or GIF file, as a multipart file part"},
    )


class AttachmentSchema(Schema):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String(metadata={"description": "what the content was found to be"})
    size = fields.Integer(metadata={"description": "bytes"})
    sha256 = fields.String()
    uploaded_by = fields.String()
    uploaded_at = fields.DateTime()


class AttachmentListSchema(Schema):
    items = fields.List(fields.Nested(AttachmentSchema))


class TrackedSchema(Schema):
    """A recommendation of a report sent to the provider, with its addressee's record of the action."""

    case_reference = fields.String(attribute="reference")
    number = fields.Integer()
    text = fields.String()
    addressee = fields.String(attribute="addressee_code", metadata={"enum": list(ADDRESSEES)})
    addressee_title = fields.String(attribute="addressee")
    level = fields.String()
    response = fields.String(metadata={"description": "the provider's response, as a title"})
    target_date = fields.Date(attribute="action_target", allow_none=True)
    status = fields.String(metadata={"description": "overall: awaiting response, accepted, overdue, done..."})
    tracking_status = fields.Function(
        lambda t: t.tracking_code or None,
        metadata={"type": "string", "nullable": True, "enum": list(TRACKING), "description": "as last recorded"},
    )
    evidence = fields.String()
    done_on = fields.Date(allow_none=True)
    updated_on = fields.Date(attribute="tracked_on", allow_none=True)
    updated_by = fields.Function(lambda t: t.tracked_by or None, metadata={"type": "string", "nullable": True})
    provider_org = fields.String()


class TrackedListSchema(Schema):
    items = fields.List(fields.Nested(TrackedSchema))


class InspectionSchema(Schema):
    provider = fields.String()
    items = fields.List(fields.Nested(TrackedSchema), metadata={"description": "open recommendations"})


class ErrorDetailSchema(Schema):
    code = fields.String()
    message = fields.String()
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "field path -> messages"},
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema)
