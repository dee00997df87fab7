"""Messages from other systems (e.g. a court outcome), correlated to the case by business key, and the case
changes that work like them: adding another agency's review, and a manager reopening publication."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from ..services import messages
from .auth import current_user
from .operations import operation
from .presenters import Presented, present_instance
from .schemas import InstanceSchema, MessageSchema, OtherReviewSchema, ReopenPublicationSchema

bp = Blueprint("messages", __name__, url_prefix="/messages")
cases = Blueprint("case_changes", __name__, url_prefix="/process-instances")


@bp.post("")
@operation(
    "Deliver a message to the case that takes it",
    body=MessageSchema,
    response=InstanceSchema,
    errors=(403, 404, 409),
    idempotent=True,
    description=(
        "404 when no case with that business key takes the message; 409 when more than one does, or when the "
        "case does not take it now (a court-outcome before the case is found eligible, for a suspended case or "
        "one in error: send it again once it runs; or for a closed case, except a conviction of a qualifying SFO "
        "offence for a case closed unpublished, which reopens its publication); 422 when the payload has "
        "unknown fields or values (nothing is changed)."
    ),
)
def deliver(body: dict[str, Any]) -> Presented:
    user = current_user()
    row = messages.deliver_message(user, body["name"], body["business_key"], body["data"])
    return present_instance(user, row)


@cases.post("/<id:instance_id>/other-reviews")
@operation(
    "Add another agency's review commissioned after scoping (the allocated reviewer or the SFO team)",
    body=OtherReviewSchema,
    response=InstanceSchema,
    status=201,
    errors=(403, 404, 409),
    description="Accepted from the end of scoping until the report is approved (409 otherwise). The review gets "
    "its own liaison task, due 10 working days later, and joins other_reviews.",
)
def add_other_review(instance_id: int, body: dict[str, Any]) -> tuple[Presented, int]:
    user = current_user()
    row = messages.add_other_review(user, instance_id, body["agency"], body["review_type"])
    return present_instance(user, row), 201


@cases.post("/<id:instance_id>/reopen-publication")
@operation(
    "Record a conviction of a qualifying SFO offence for a case closed unpublished: its publication reopens (managers)",
    body=ReopenPublicationSchema,
    response=InstanceSchema,
    errors=(403, 404, 409),
)
def reopen_publication(instance_id: int, body: dict[str, Any]) -> Presented:
    user = current_user()
    return present_instance(user, messages.reopen_publication(user, instance_id, body["outcome_date"], body["reason"]))
