"""Dry-run jobs: following a deploy that was still running when its request answered 202."""

from __future__ import annotations

from flask import Blueprint

from ..models import DryRunJob
from ..services import dry_runs
from .auth import current_user
from .operations import operation
from .schemas import DryRunJobSchema

bp = Blueprint("dry_runs", __name__, url_prefix="/dry-runs")


@bp.get("/<id:job_id>")
@operation(
    "A dry-run job: its progress, and its outcome once it ended (process owners and admins)",
    response=DryRunJobSchema,
    errors=(403, 404),
    description="`status` is queued, running, passed, failed, error or timed_out. A failed deploy lists "
    "every problem in `problems` and deployed nothing; a passed one names the version in `definition`.",
)
def get_dry_run(job_id: int) -> DryRunJob:
    return dry_runs.get_job(current_user(), job_id)
