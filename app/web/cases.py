"""Case pages: the case at a glance (/cases/<reference>), its notes and documents, and a new notification
(/cases/new)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..form_model.errors import error_summary_items, merge_errors
from ..models import ProcessInstance, Task, User
from ..services import attachments as attachment_service
from ..services import instances as instance_service
from ..services import messages as message_service
from ..services import notes as note_service
from ..services import records as record_service
from ..services.access import MANAGING_ROLES, check_may_start
from ..services.case_themes import may_set_themes
from ..services.definitions import get_latest_definition, model_of
from ..services.errors import Conflict, Forbidden, Invalid
from ..services.forms import validate_form_data
from ..services.read_models import CaseView, case_view, case_view_of
from ..services.users import user_in_group
from .auth import keeps_input_when_token_expires, signed_in_user
from .case_data import Answer, answers_for
from .errors import too_large_page
from .forms import apply_form_action, list_action, parse_form, render_form
from .params import page_arg

cases = Blueprint("cases", __name__)
PER_PAGE = 50


@dataclass(frozen=True)
class StageRecord:
    task: Task
    answers: list[Answer]


def stage_records(view: CaseView) -> list[StageRecord]:
    """What each completed task recorded, from the case data and the task's form."""
    records = []
    for step in view.completed_steps:
        answers = answers_for(step.form.schema, view.data, step.form.ui_schema) if step.form else []
        if answers:
            records.append(StageRecord(step.task, answers))
    return records


def notification_answers(view: CaseView) -> list[Answer]:
    form = view.notification_form
    return answers_for(form.schema, view.data, form.ui_schema) if form else []


SFO_PROCESS = "sfo_review"


def _start_form(user: User) -> tuple[dict, dict]:
    model = model_of(get_latest_definition(SFO_PROCESS))
    check_may_start(user, model)
    form = model.start_form()
    return (form.schema, form.ui_schema) if form else ({"type": "object"}, {})


def _new_case_page(user: User, values: dict, errors: dict[str, list[str]], status: int = 200) -> tuple[str, int]:
    schema, ui_schema = _start_form(user)
    return render_template(
        "cases/new.html",
        title="Notify a Serious Further Offence",
        form_html=render_form(schema, ui_schema, values, errors),
        error_list=error_summary_items(errors, schema, ui_schema),
        description=schema.get("description", ""),
    ), status


def _new_case_defaults(user: User) -> dict:
    return {"provider_org": user.organisation} if user.is_provider else {}


@cases.get("/cases/new")
def new_case() -> tuple[str, int]:
    user = signed_in_user()
    return _new_case_page(user, _new_case_defaults(user), {})


@cases.post("/cases/new")
def create_case() -> tuple[str, int] | Response:
    user = signed_in_user()
    schema, ui_schema = _start_form(user)
    parsed = parse_form(schema, ui_schema, request.form)
    shown = {**_new_case_defaults(user), **parsed.values}
    action = list_action(request.form)
    if action:
        return _new_case_page(user, apply_form_action(schema, shown, action), {})
    data = {**_new_case_defaults(user), **parsed.data}
    if parsed.errors:
        problems = merge_errors(parsed.errors, validate_form_data(schema, data, user_in_group))
        return _new_case_page(user, shown, problems, 400)
    try:
        row = instance_service.start_case(user, SFO_PROCESS, data.get("case_reference"), data)
    except Invalid as invalid:
        return _new_case_page(user, shown, invalid.fields, 400)
    except Conflict as conflict:
        return _new_case_page(user, shown, {"case_reference": [conflict.message]}, 400)
    flash(f"Case {row.business_key} has been notified. The SFO team will check whether it needs a review.", "success")
    return redirect(url_for("cases.case", business_key=row.business_key))


# Downloads are in the audit trail, but the case's history shows what happened to the case, not who read it.
HIDDEN_FROM_HISTORY = ("notification", "attachment-downloaded")


@cases.get("/cases/<business_key>")
def case(business_key: str) -> tuple[str, int]:
    view = case_view(signed_in_user(), business_key)
    return _case_page(view.user, view.row)


def _case_page(
    user: User, row: ProcessInstance, errors: dict[str, list[str]] | None = None, note: str = ""
) -> tuple[str, int]:
    """The case page; with ``errors`` (fields ``note`` or ``attachment``) it answers 200 with the error summary."""
    view = case_view_of(user, row)
    errors = errors or {}
    return render_template(
        "cases/case.html",
        title=f"Case {row.business_key}",
        row=row,
        providers=view.providers,
        user=user,
        open_tasks=view.ready_tasks,
        # Providers see only their own tasks: say when the case is with another team rather than "nobody".
        held_elsewhere=view.held_elsewhere,
        notification=notification_answers(view),
        records=stage_records(view),
        events=list(reversed(view.events(HIDDEN_FROM_HISTORY))),
        data=view.data,
        can_add_review=_can_add_review(user, row),
        review_types=message_service.REVIEW_TYPES,
        can_export_record=user.role in MANAGING_ROLES,
        can_set_themes=may_set_themes(user),
        attachments=attachment_service.attachments_of(user, row),
        attachment_limit=attachment_service.size_text(attachment_service.max_bytes()),
        note=note,
        note_limit=note_service.NOTE_MAX_CHARS,
        errors={name: messages[0] for name, messages in errors.items()},
        error_list=[{"text": messages[0], "href": f"#{name}"} for name, messages in errors.items()],
    ), 200


EXPIRED_NOTE = "The page was open too long for the note to be added safely. Check the note, then add it again"


@cases.post("/cases/<business_key>/notes")
@keeps_input_when_token_expires
def add_note(business_key: str) -> tuple[str, int] | Response:
    user = signed_in_user()
    row = instance_service.get_instance_by_key(user, business_key)
    text = request.form.get("note", "")
    if g.get("token_expired"):
        return _case_page(user, row, {"note": [EXPIRED_NOTE]}, text)
    try:
        note_service.add_note(user, row, text)
    except Invalid as invalid:
        return _case_page(user, row, invalid.fields, text)
    flash("Your note is added to the case's history.", "success")
    return redirect(url_for("cases.case", business_key=row.business_key) + "#history")


# The upload form may be larger than SFO_MAX_REQUEST_BYTES by the attachment limit (and its form fields).
UPLOAD_FORM_ALLOWANCE = 64 * 1024
UPLOAD_ENDPOINTS = ("cases.upload_attachment", "api.instances.add_attachment")


@cases.before_app_request
def _allow_attachment_uploads() -> None:
    if request.endpoint in UPLOAD_ENDPOINTS:
        general = int(current_app.config.get("MAX_CONTENT_LENGTH") or 0)
        request.max_content_length = max(general, attachment_service.max_bytes() + UPLOAD_FORM_ALLOWANCE)


@too_large_page("cases.upload_attachment")
def _upload_too_large() -> tuple[str, int]:
    """An upload far over the limit: the case page says so (nothing was read, nothing is stored).
    Any other form of these pages that is too large gets the service's error page, as elsewhere."""
    key = (request.view_args or {})["business_key"]
    user = signed_in_user()
    row = instance_service.get_instance_by_key(user, key)
    limit = attachment_service.size_text(attachment_service.max_bytes())
    return _case_page(user, row, {"attachment": [f"The selected file must be smaller than {limit}"]})


@cases.post("/cases/<business_key>/attachments")
def upload_attachment(business_key: str) -> tuple[str, int] | Response:
    user = signed_in_user()
    row = instance_service.get_instance_by_key(user, business_key)
    upload = request.files.get("attachment")
    try:
        content = upload.read() if upload is not None else b""
        attachment = attachment_service.add_attachment(user, row, upload.filename if upload else None, content)
    except Invalid as invalid:
        return _case_page(user, row, invalid.fields)
    flash(f"{attachment.filename} is added to the case.", "success")
    return redirect(url_for("cases.case", business_key=row.business_key) + "#documents")


@cases.get("/cases/<business_key>/attachments/<id:attachment_id>")
def download_attachment(business_key: str, attachment_id: int) -> Response:
    user = signed_in_user()
    row = instance_service.get_instance_by_key(user, business_key)
    return attachment_service.download_attachment(user, row, attachment_id).response()


@cases.get("/cases/<business_key>/record.zip")
def case_record(business_key: str) -> Response:
    """The case's whole record (managers and admins), for records transfer or a subject access request."""
    user = signed_in_user()
    row = instance_service.get_instance_by_key(user, business_key)
    name, archive = record_service.export_case_record(user, row)
    return Response(
        archive, mimetype="application/zip", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _can_add_review(user: User, row: ProcessInstance) -> bool:
    return message_service.may_add_other_review(user, row) and message_service.takes_other_reviews(row)


def _add_review_page(row: ProcessInstance, values: dict, errors: dict[str, str], status: int = 200) -> tuple[str, int]:
    return render_template(
        "cases/add_review.html",
        title=f"Add another agency's review to case {row.business_key}",
        row=row,
        values=values,
        errors=errors,
        review_types=message_service.REVIEW_TYPES,
        error_list=[{"text": message, "href": f"#{name}"} for name, message in errors.items()],
    ), status


@cases.get("/cases/<business_key>/other-reviews/new")
def new_other_review(business_key: str) -> tuple[str, int]:
    user = signed_in_user()
    row = instance_service.get_instance_by_key(user, business_key)
    if not message_service.may_add_other_review(user, row):
        raise Forbidden("Only the allocated reviewer and the SFO team can add another agency's review.")
    errors = {} if message_service.takes_other_reviews(row) else {"agency": _REVIEW_WINDOW}
    return _add_review_page(row, {}, errors, 200)


_REVIEW_WINDOW = "Another agency's review can be added from the end of scoping until the report is approved"


@cases.post("/cases/<business_key>/other-reviews/new")
def add_other_review(business_key: str) -> tuple[str, int] | Response:
    user = signed_in_user()
    row = instance_service.get_instance_by_key(user, business_key)
    values = {"agency": (request.form.get("agency") or "").strip(), "review_type": request.form.get("review_type", "")}
    errors: dict[str, str] = {}
    if not values["agency"]:
        errors["agency"] = "Enter the agency leading the review"
    if values["review_type"] not in message_service.REVIEW_TYPES:
        errors["review_type"] = "Select the type of review"
    if errors:
        return _add_review_page(row, values, errors, 400)
    try:
        message_service.add_other_review(user, row.id, values["agency"], values["review_type"])
    except Invalid as invalid:
        fields = {name.removeprefix("data."): messages[0] for name, messages in invalid.fields.items()}
        return _add_review_page(row, values, fields or {"agency": invalid.message}, 400)
    except Conflict as conflict:
        return _add_review_page(row, values, {"agency": conflict.message}, 409)
    flash(f"{values['agency']}'s review is added. Its liaison task is in the reviewer's task list.", "success")
    return redirect(url_for("cases.case", business_key=row.business_key))


@cases.get("/cases")
def case_list() -> str:
    user = signed_in_user()
    reference = (request.args.get("reference") or "").strip()
    page = page_arg(request.args)
    filters = instance_service.InstanceFilters(business_key=reference or None, page=page, per_page=PER_PAGE)
    rows, total = instance_service.list_instances(user, filters)
    return render_template(
        "cases/list.html",
        title="Cases",
        rows=rows,
        total=total,
        reference=reference,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
    )
