"""Messages from other systems (e.g. a court outcome), correlated to the waiting case by business key."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from ..services import instances
from .auth import current_user
from .operations import operation
from .presenters import Presented, present_instance
from .schemas import InstanceSchema, MessageSchema

bp = Blueprint("messages", __name__, url_prefix="/messages")


@bp.post("")
@operation(
    "Deliver a message to the case waiting for it",
    body=MessageSchema,
    response=InstanceSchema,
    errors=(403, 404, 409),
    idempotent=True,
    description="404 when no case with that business key waits for the message; 409 when more than one does.",
)
def deliver(body: dict[str, Any]) -> Presented:
    user = current_user()
    row = instances.deliver_message(user, body["name"], body["business_key"], body["data"])
    return present_instance(user, row)
