"""Process definitions: the deployed versions, their start forms and diagrams, and deploying new ones."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import Blueprint, Response, current_app, request, send_file, url_for
from werkzeug.exceptions import NotFound

from ..models import DryRunJob
from ..services import definitions, dry_runs, groups
from ..services.access import DEPLOYING_ROLES, check_reads_definitions, require_role
from ..services.definitions import main_bpmn_file
from ..services.errors import Invalid
from .auth import current_user
from .operations import MULTIPART, operation
from .presenters import Presented
from .schemas import (
    BpmnQuerySchema,
    DefinitionDetailSchema,
    DefinitionListSchema,
    DeployedSchema,
    DryRunJobSchema,
    UploadSchema,
)

bp = Blueprint("definitions", __name__, url_prefix="/process-definitions")


@bp.get("")
@operation(
    "The latest version of each process the caller may read or start",
    response=DefinitionListSchema,
    description="Process owners, managers and admins see every process; others see those they may start.",
)
def list_definitions() -> dict[str, Any]:
    return {"items": definitions.list_readable_definitions(current_user())}


@bp.get("/<key>")
@operation(
    "The latest version of a process, with its start form",
    response=DefinitionDetailSchema,
    errors=(403, 404),
    description="For process owners, managers, admins, and whoever may start the process.",
)
def get_definition(key: str) -> Presented:
    definition = definitions.get_startable_definition(current_user(), key)
    return Presented(definition, start_form=definitions.model_of(definition).start_form())


@bp.get("/<key>/versions")
@operation(
    "Every deployed version of a process, newest first (process owners, managers, admins)",
    response=DefinitionListSchema,
    errors=(403, 404),
)
def list_versions(key: str) -> dict[str, Any]:
    check_reads_definitions(current_user())
    return {"items": definitions.list_versions(key)}


@bp.get("/<key>/versions/<id:version>/bpmn")
@operation(
    "Download a version's BPMN diagram (process owners, managers, admins)",
    query=BpmnQuerySchema,
    response_type="application/xml",
    errors=(403, 404),
)
def download_bpmn(key: str, version: int, query: dict[str, Any]) -> Response:
    check_reads_definitions(current_user())
    definition = definitions.get_definition_version(key, version)
    name = query.get("file") or main_bpmn_file(definition.bpmn, definition.key)
    if name not in definition.bpmn:
        raise NotFound(f"Version {version} of {key} has no file called {name}.")
    xml = BytesIO(definition.bpmn[name].encode())
    return send_file(xml, mimetype="application/xml", as_attachment=True, download_name=name)


@bp.post("")
@operation(
    "Check, dry-run and deploy .bpmn, .dmn and form .json files as a new version",
    body=UploadSchema,
    body_type=MULTIPART,
    response=DeployedSchema,
    status=201,
    other_statuses=(200,),
    other_responses=((202, DryRunJobSchema),),
    errors=(403, 413),
    description="Runs the same checks and dry run as the web deploy, in a dry-run job run by a worker. "
    "The request waits for the job (up to SFO_API_DEPLOY_WAIT_SECONDS, one waiting request per server "
    "process): 201 with the new version; 200 with the latest version when nothing changed; 422 listing "
    "every problem found, in which case nothing is deployed. When the job has not ended by then, or the "
    "request says `Prefer: respond-async`, 202 with the job and its URL in `Location`: "
    "`GET /dry-runs/{id}` follows it to the same outcome. Lanes must name groups (`GET /groups`): "
    "lanes that name none are refused with 422 naming them, unless `create_groups` is true.",
)
def deploy(body: dict[str, Any]) -> tuple[Any, int, dict[str, str]] | tuple[Presented, int]:
    user = current_user()
    require_role(user, DEPLOYING_ROLES, "deploy process definitions")
    files = uploaded_files(body["files"])
    if body["create_groups"]:
        groups.create_groups_for(user.username, files)
    else:
        groups.refuse_unknown_lanes(files)
    job = dry_runs.queue_job(user, "deploy", files)
    if not _respond_async():
        job = dry_runs.wait_for_job(job.id, current_app.config["SFO_API_DEPLOY_WAIT_SECONDS"])
    if not job.finished:
        return job, 202, {"Location": url_for("api.dry_runs.get_dry_run", job_id=job.id)}
    return deployed(job)


def deployed(job: DryRunJob) -> tuple[Presented, int]:
    """The outcome of a finished deploy job as the deploy answers it: the version, or every problem."""
    if not job.passed or job.definition is None:
        raise Invalid(job.outcome or "The process model was not deployed.", job.problems)
    created = bool((job.result or {}).get("created"))
    return Presented(job.definition, created=created, summary=job.outcome), 201 if created else 200


def _respond_async() -> bool:
    return "respond-async" in request.headers.get("Prefer", "").lower()


def uploaded_files(parts: list[Any]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for part in parts:
        name = part.filename or ""
        if not name:
            raise Invalid("Every file needs a name.", {"files": ["A file part has no file name."]})
        if name in files:
            raise Invalid("A file was sent twice.", {name: ["This file name was sent more than once."]})
        files[name] = part.read()
        if name.endswith(".json") and b"\\u0000" in files[name]:  # PostgreSQL cannot store NUL in JSON
            raise Invalid("A form holds the NUL character.", {name: ["Remove the \\u0000 character from this file."]})
    return files
