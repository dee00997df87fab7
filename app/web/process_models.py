"""Process models area (/process-models): versions, downloads, the diagram and form editors, checks and
dry run, deploy, compare, migration, import and export. Process owners and admins only."""

from __future__ import annotations

import json
from io import BytesIO
from typing import Any

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from ..form_model.files import is_ui_schema, ui_schema_name
from ..form_model.patterns import schema_pattern_problems
from ..form_model.references import MAX_DEPTH, depth_problem, reference_problems
from ..services import dry_runs, form_fields, groups, modelling
from ..services.definitions import checksum_of, element_names, get_latest_definition, main_bpmn_file
from ..services.errors import Invalid
from ..services.sample_data import sample_for
from .auth import signed_in_user
from .errors import too_large_page
from .forms import render_form
from .params import int_arg, is_plain_number

models = Blueprint("models", __name__, url_prefix="/process-models")


def _error_list(fields: dict[str, list[str]]) -> list[dict[str, str]]:
    """A GOV.UK error summary; each problem links to its element (or file) on the page."""
    items = []
    for key, messages in fields.items():
        anchor = "problem-" + key.replace("/", "-").replace(".", "-")
        for message in messages:
            items.append({"text": f"{key}: {message}" if not key.startswith("_") else message, "href": f"#{anchor}"})
    return items


@too_large_page(models.name)
def _too_large() -> tuple[str, int]:
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    message = f"The upload is larger than the limit of {limit // (1024 * 1024)} MB ({limit} bytes)."
    return render_template("models/message.html", title="The file is too large", message=message), 413


# --- lists and downloads -------------------------------------------------------------------------


@models.get("/")
def process_list() -> str:
    return render_template("models/list.html", title="Process models", rows=modelling.process_list(signed_in_user()))


@models.get("/<key>")
def process(key: str) -> str:
    user = signed_in_user()
    versions = modelling.version_history(user, key)
    draft = modelling.get_draft(key)
    files = sorted(modelling.working_files(user, key))
    return render_template(
        "models/process.html", title=versions[0].definition.name, key=key, versions=versions, draft=draft, files=files
    )


@models.get("/<key>/versions/<id:version>/files/<name>")
def download(key: str, version: int, name: str) -> Response:
    content = modelling.version_file(signed_in_user(), key, version, name)
    return _attachment(content, name)


@models.get("/<key>/draft/files/<name>")
def download_draft(key: str, name: str) -> Response:
    files = modelling.working_files(signed_in_user(), key)
    if name not in files:
        return Response("Not found", 404)
    return _attachment(files[name], name)


def _attachment(content: bytes, name: str) -> Response:
    mimetype = (
        "application/json"
        if name.endswith(".json")
        else "application/zip"
        if name.endswith(".zip")
        else "application/xml"
    )
    return send_file(BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=name)


@models.get("/<key>/versions/<id:version>/export")
def export(key: str, version: int) -> Response:
    return _attachment(modelling.export_zip(signed_in_user(), key, version), f"{key}-v{version}.zip")


# --- the diagram editor and drafts ---------------------------------------------------------------


@models.route("/<key>/editor", methods=["GET", "POST"])
def editor(key: str) -> Any:
    user = signed_in_user()
    files = modelling.working_files(user, key)
    bpmn_names = sorted(n for n in files if n.endswith(".bpmn"))
    name = request.values.get("file") or main_bpmn_file({n: files[n] for n in bpmn_names}, key)
    if name not in bpmn_names:
        return Response("Not found", 404)
    if request.method == "POST":
        xml = request.form.get("xml") or ""
        modelling.save_draft(user, key, {name: xml.encode()})
        flash(f"Saved {name} to the draft.", "success")
        return redirect(url_for("models.editor", key=key, file=name))
    forms = sorted(n for n in files if n.endswith(".json") and not is_ui_schema(n))
    ui_forms = sorted(n for n in files if n.endswith(".json") and is_ui_schema(n))
    return render_template(
        "models/editor.html",
        title=f"Edit the diagram {name}",
        key=key,
        name=name,
        xml=files[name].decode(),
        bpmn_names=bpmn_names,
        forms=forms,
        ui_forms=ui_forms,
    )


@models.post("/<key>/upload")
def upload(key: str) -> Any:
    user = signed_in_user()
    try:
        parts = request.files.getlist("files")
    except RequestEntityTooLarge:
        return _too_large()
    files = {p.filename or "": p.read() for p in parts if p.filename}
    if not files:
        flash("Choose one or more .bpmn, .dmn or .json files to upload.", "error")
        return redirect(url_for("models.process", key=key))
    try:
        modelling.save_draft(user, key, files)
    except Invalid as invalid:
        return render_template(
            "models/message.html",
            title="The files cannot be added",
            message=invalid.message,
            error_list=_error_list(invalid.fields),
        ), 422
    job = dry_runs.queue_job(user, "check", modelling.working_files(user, key), key)
    flash(f"Added {', '.join(sorted(files))} to the draft. It is being checked.", "success")
    return redirect(url_for("models.dry_run", job_id=job.id))


@models.post("/<key>/draft/discard")
def discard(key: str) -> Response:
    modelling.discard_draft(signed_in_user(), key)
    flash("The draft was discarded.", "success")
    return redirect(url_for("models.process", key=key))


# --- checks, dry run and deploy (run as dry-run jobs by the worker, never in the request) ----------


@models.get("/<key>/check")
def check(key: str) -> Any:
    """The latest check of exactly the working files, or the page that starts one."""
    user = signed_in_user()
    files = modelling.working_files(user, key)
    job = dry_runs.latest_job_for(checksum_of(files))
    if job is not None:
        return redirect(url_for("models.dry_run", job_id=job.id))
    return render_template(
        "models/check.html",
        title="Check and dry run",
        key=key,
        changes=modelling.compare_draft(user, key),
        draft=modelling.get_draft(key),
    )


@models.post("/<key>/check")
def start_check(key: str) -> Response:
    user = signed_in_user()
    job = dry_runs.queue_job(user, "check", modelling.working_files(user, key), key)
    return redirect(url_for("models.dry_run", job_id=job.id), 303)


@models.post("/<key>/deploy")
def deploy(key: str) -> Any:
    """Deploy the working files through a deploy job; refused when they are not the files the person
    saw checked (someone saved the draft since)."""
    user = signed_in_user()
    files = modelling.working_files(user, key)
    checked = request.form.get("checksum")
    if checked and checked != checksum_of(files):
        message = "The draft has changed since it was checked, so it was not deployed. Check it again, then deploy."
        return render_template("models/message.html", title="The draft has changed", message=message), 409
    job = dry_runs.queue_job(user, "deploy", files, key)
    return redirect(url_for("models.dry_run", job_id=job.id), 303)


@models.get("/dry-runs/<id:job_id>")
def dry_run(job_id: int) -> Any:
    user = signed_in_user()
    job = dry_runs.get_job(user, job_id)
    key = job.process_key
    known = key is not None and (modelling.get_draft(key) is not None or modelling.has_versions(key))
    # an import names its process before any version of it exists: nothing to compare with yet
    current = known and key is not None and checksum_of(modelling.working_files(user, key)) == job.checksum
    compared = key is not None and job.finished and job.purpose == "check"
    changes = modelling.compare_files(user, key, _encoded(job.files)) if compared and key else None
    return render_template(
        "models/dry_run.html",
        title=("Check, dry run and deploy" if job.purpose == "deploy" else "Check and dry run"),
        job=job,
        progress=progress_text(job),
        current=current,
        changes=changes,
        draft=modelling.get_draft(key) if key else None,
        has_versions=job.model_key is not None and modelling.has_versions(job.model_key),
        error_list=_error_list(job.problems) if job.finished else [],
        unknown_lanes=groups.unknown_lanes(_encoded(job.files)) if job.finished and not job.passed else [],
    )


@models.get("/dry-runs/<id:job_id>/progress")
def dry_run_progress(job_id: int) -> Response:
    job = dry_runs.get_job(signed_in_user(), job_id)
    return jsonify(
        status=job.status, finished=job.finished, states=job.states, paths=job.paths, text=progress_text(job)
    )


def _encoded(files: dict[str, str]) -> dict[str, bytes]:
    return {name: text.encode() for name, text in files.items()}


def progress_text(job: Any) -> str:
    if job.status == "queued":
        return f"Waiting for a worker to start it (queued {_seconds_since(job.created_at)} seconds ago)."
    if job.status == "running" and not job.states:
        return f"Checking the files ({_seconds_since(job.started_at)} seconds so far)."
    if job.status == "running":
        return (
            f"Dry run: explored {job.states} states along {job.paths} paths "
            f"({_seconds_since(job.started_at)} seconds so far)."
        )
    return str(job.outcome or "")


def _seconds_since(moment: Any) -> int:
    return max(0, int((dry_runs.wall_now() - moment).total_seconds())) if moment else 0


@models.route("/new", methods=["GET", "POST"])
def new_process() -> Any:
    """Upload .bpmn/.dmn/.json files (from another modelling tool) or a process-model folder zip."""
    if request.method == "GET":
        return render_template("models/new.html", title="Add a process model", message="", problems={})
    user = signed_in_user()
    try:
        parts = [p for p in request.files.getlist("files") if p.filename]
    except RequestEntityTooLarge:
        return _too_large()
    try:
        if len(parts) == 1 and (parts[0].filename or "").endswith(".zip"):
            limit = int(current_app.config.get("MAX_CONTENT_LENGTH") or 5 * 1024 * 1024) * 4
            jobs = modelling.import_zip(user, parts[0].read(), limit)
            if len(jobs) > 1:
                return render_template("models/imported.html", title="Process group imported", jobs=jobs)
            job = jobs[0]
        elif parts:
            job = dry_runs.queue_job(user, "deploy", {p.filename or "": p.read() for p in parts})
        else:
            raise Invalid("Choose the files to upload.", {"_files": ["Choose a .zip or .bpmn, .dmn and .json files."]})
    except Invalid as invalid:
        return render_template(
            "models/new.html",
            title="Add a process model",
            message=invalid.message,
            error_list=_error_list(invalid.fields),
            problems=invalid.fields,
        ), 422
    return redirect(url_for("models.dry_run", job_id=job.id), 303)


# --- compare -------------------------------------------------------------------------------------


@models.get("/<key>/compare")
def compare(key: str) -> Any:
    user = signed_in_user()
    latest = get_latest_definition(key).version
    new = int_arg(request.args, "new") or latest
    old = int_arg(request.args, "old") or max(1, new - 1)
    comparison = modelling.compare_versions(user, key, old, new)
    bpmn = modelling.version_files(user, key, new)
    main = main_bpmn_file({n: c for n, c in bpmn.items() if n.endswith(".bpmn")}, key)
    return render_template(
        "models/compare.html",
        title=f"Compare version {old} with version {new}",
        key=key,
        old=old,
        new=new,
        latest=latest,
        comparison=comparison,
        xml=bpmn[main].decode(),
        markers=json.dumps({c.element_id: c.kind for c in comparison.elements}),
    )


# --- migration -----------------------------------------------------------------------------------


@models.route("/<key>/migrate", methods=["GET", "POST"])
def migration(key: str) -> Any:
    user = signed_in_user()
    version = int_arg(request.values, "version") or get_latest_definition(key).version
    if request.method == "POST":
        chosen = request.form.getlist("instance")
        ids = None if request.form.get("all") == "yes" else [int(i) for i in chosen if is_plain_number(i)]
        moved, refused = modelling.migrate_instances(user, key, version, ids)
        flash(
            f"Moved {len(moved)} case(s) to version {version}." + (f" {len(refused)} refused." if refused else ""),
            "success",
        )
        return redirect(url_for("models.migration", key=key, version=version))
    rows = modelling.migration_preview(user, key, version)
    waiting = {row.instance.id: list(element_names(row.instance.definition, row.check.active).values()) for row in rows}
    return render_template(
        "models/migrate.html",
        title=f"Move cases to version {version}",
        key=key,
        version=version,
        rows=rows,
        waiting=waiting,
    )


# --- the form editor -----------------------------------------------------------------------------


FIELD_ACTIONS = ("fields-preview", "fields-save")


@models.route("/<key>/forms/<name>", methods=["GET", "POST"])
def form_editor(key: str, name: str) -> Any:
    user = signed_in_user()
    files = modelling.working_files(user, key)
    if name not in files or not name.endswith(".json") or is_ui_schema(name):
        return Response("Not found", 404)
    ui_name = ui_schema_name(name)
    schema_text = request.form.get("schema", files[name].decode())
    ui_text = request.form.get("ui_schema", files[ui_name].decode() if ui_name in files else "{}")
    fields, schema, ui_schema = _parse_schemas(schema_text, ui_text)
    action = request.form.get("action") if request.method == "POST" else None
    posted_fields: dict[str, str] = {}
    applied = False
    if action in FIELD_ACTIONS and not fields:
        edits = form_fields.apply_edits(schema, request.form)
        if edits.problems:
            fields, posted_fields = edits.problems, request.form.to_dict()
        else:
            schema, schema_text, applied = edits.schema, json.dumps(edits.schema, indent=2) + "\n", True
    if request.method == "POST" and action in ("save", "fields-save") and not fields:
        changed = {name: json.dumps(schema, indent=2).encode()}
        if ui_schema or ui_name in files:
            changed[ui_name] = json.dumps(ui_schema, indent=2).encode()
        modelling.save_draft(user, key, changed)
        flash(f"Saved {name} to the draft.", "success")
        return redirect(url_for("models.form_editor", key=key, name=name))
    preview = ""
    if not fields:
        try:
            preview = str(render_form(schema, ui_schema, sample_for(schema), {}))
        except Exception as error:  # noqa: BLE001 - a valid schema the renderer cannot show is a problem to report
            fields = {"schema": [f"The preview cannot be rendered: {type(error).__name__}: {error}"]}
    return render_template(
        "models/form_editor.html",
        title=f"Edit the form {name}",
        key=key,
        name=name,
        ui_name=ui_name,
        schema_text=schema_text,
        ui_text=ui_text,
        preview=preview,
        field_list=form_fields.fields_of(schema),
        posted_fields=posted_fields,
        applied=applied,
        problems=fields,
        error_list=[{"text": m, "href": f"#{k.replace('_', '-')}"} for k, ms in fields.items() for m in ms],
    ), (422 if fields else 200)


def _json_object(text: str, what: str) -> dict[str, Any]:
    """The JSON object ``text`` holds, read before anything walks it recursively; ValueError saying why not."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError(f"the {what} is nested more than {MAX_DEPTH} levels deep") from None
    if not isinstance(value, dict):
        raise ValueError(f"the {what} must be a JSON object")
    too_deep = depth_problem(value)
    if too_deep is not None:
        raise ValueError(f"the {what} is {too_deep}")
    return value


def _form_problems(schema: dict[str, Any]) -> dict[str, list[str]]:
    """What deploying would refuse (patterns, then the schema, then references), said while the form is
    edited; patterns first, as the schema check compiles them with Python's re."""
    from jsonschema import Draft202012Validator

    problems = schema_pattern_problems(schema)
    if not problems:
        Draft202012Validator.check_schema(schema)
        problems = reference_problems(schema)
    return {"schema": [problem[:1].upper() + problem[1:] for problem in problems]} if problems else {}


def _parse_schemas(schema_text: str, ui_text: str) -> tuple[dict[str, list[str]], dict[str, Any], dict[str, Any]]:
    from jsonschema.exceptions import SchemaError

    fields: dict[str, list[str]] = {}
    schema: dict[str, Any] = {}
    ui_schema: dict[str, Any] = {}
    try:
        schema = _json_object(schema_text, "schema")
        fields.update(_form_problems(schema))
    except SchemaError as error:
        fields["schema"] = [f"Not a valid JSON Schema: {error.message}"]
    except ValueError as error:
        fields["schema"] = [f"Not valid JSON: {error}"]
    try:
        ui_schema = _json_object(ui_text or "{}", "UI schema")
    except ValueError as error:
        fields["ui_schema"] = [f"Not valid JSON: {error}"]
    return fields, schema, ui_schema
