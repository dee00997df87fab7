"""Recommendations after the review: a case's recommendations with where their actions stand, the addressee's
record of its action, and the inspection list of a provider's open recommendations. The same service
functions as the pages, with the same rules."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from ..services import instances, tracking
from ..services.runtime import london_today
from ..services.tracking import Tracked
from .auth import current_user
from .operations import operation
from .schemas import (
    InspectionQuerySchema,
    InspectionSchema,
    NoQuerySchema,
    TrackedListSchema,
    TrackedSchema,
    TrackingSchema,
)

bp = Blueprint("recommendations", __name__, url_prefix="/process-instances")
inspection = Blueprint("inspection", __name__, url_prefix="/inspection")


@bp.get("/<id:instance_id>/recommendations")
@operation(
    "A case's recommendations (once the report is sent), each with where its action stands",
    query=NoQuerySchema,
    response=TrackedListSchema,
    errors=(403, 404),
)
def list_recommendations(instance_id: int, query: dict[str, Any]) -> dict[str, Any]:
    user = current_user()
    row = instances.get_instance(user, instance_id)
    return {"items": tracking.recommendations_of_case(user, row, london_today())}


@bp.get("/<id:instance_id>/recommendations/<id:number>")
@operation(
    "One recommendation of a case, with where its action stands",
    query=NoQuerySchema,
    response=TrackedSchema,
    errors=(403, 404),
)
def get_recommendation(instance_id: int, number: int, query: dict[str, Any]) -> Tracked:
    user = current_user()
    row = instances.get_instance(user, instance_id)
    return tracking.recommendation_of_case(user, row, number, london_today())


@bp.put("/<id:instance_id>/recommendations/<id:number>/tracking")
@operation(
    "Record where a recommendation's action stands (its addressee; the SFO team and managers for the others)",
    query=NoQuerySchema,
    body=TrackingSchema,
    response=TrackedSchema,
    errors=(403, 404),
    description="A provider user records only recommendations addressed to the probation provider (403 for "
    "others). Evidence is required when the action is done or not done, and the date it was done when done "
    "(today or earlier). Refused answers get 422 with a message per field and change nothing. Open and closed "
    "cases alike.",
)
def track(instance_id: int, number: int, query: dict[str, Any], body: dict[str, Any]) -> Tracked:
    user = current_user()
    row = instances.get_instance(user, instance_id)
    done_on = body["done_on"].isoformat() if body["done_on"] else ""
    tracking.track(user, row, number, body["status"], body["evidence"], done_on)
    return tracking.recommendation_of_case(user, row, number, london_today())


@inspection.get("")
@operation(
    "Every open recommendation from reviews of a provider's cases, with the evidence recorded (inspection)",
    query=InspectionQuerySchema,
    response=InspectionSchema,
    errors=(403, 404),
    description="Managers and admins name any provider; a provider user only its own organisation (404 for "
    "another). Ordered by target date.",
)
def open_recommendations(query: dict[str, Any]) -> dict[str, Any]:
    rows = tracking.inspection(current_user(), query["provider"], london_today())
    return {"provider": query["provider"], "items": rows}
