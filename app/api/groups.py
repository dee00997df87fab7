"""Groups: the groups diagram lanes stand for, the other lane names they answer to, and their members
(process owners and admins)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from ..services import groups
from ..services.groups import GroupView
from .auth import current_user
from .operations import operation
from .schemas import GroupCreateSchema, GroupListSchema, GroupSchema, LaneNameSchema, MemberSchema

bp = Blueprint("groups", __name__, url_prefix="/groups")


def _presented(view: GroupView) -> dict[str, Any]:
    return {
        "id": view.group.id,
        "title": view.group.title,
        "members": [u.username for u in view.members],
        "lane_names": view.lane_names,
    }


@bp.get("")
@operation(
    "Every group, with its members and the other lane names it answers to", response=GroupListSchema, errors=(403,)
)
def list_groups() -> dict[str, Any]:
    return {"items": [_presented(view) for view in groups.list_groups(current_user())]}


@bp.post("")
@operation(
    "Create a group lanes may name, by its id or its title",
    body=GroupCreateSchema,
    response=GroupSchema,
    status=201,
    errors=(403, 409),
)
def create_group(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    user = current_user()
    group = groups.create_group(user, body["id"], body["title"])
    return _presented(groups.get_group(user, group.id)), 201


@bp.get("/<group_id>")
@operation("A group, with its members and the other lane names it answers to", response=GroupSchema, errors=(403, 404))
def get_group(group_id: str) -> dict[str, Any]:
    return _presented(groups.get_group(current_user(), group_id))


@bp.post("/<group_id>/lane-names")
@operation(
    "Let lanes called `lane` stand for this group (a lane of an imported model)",
    body=LaneNameSchema,
    response=GroupSchema,
    errors=(403, 404, 409),
)
def map_lane(group_id: str, body: dict[str, Any]) -> dict[str, Any]:
    user = current_user()
    groups.map_lane(user, body["lane"], group_id)
    return _presented(groups.get_group(user, group_id))


@bp.post("/<group_id>/members")
@operation("Put a user in the group", body=MemberSchema, response=GroupSchema, errors=(403, 404))
def add_member(group_id: str, body: dict[str, Any]) -> dict[str, Any]:
    user = current_user()
    groups.add_member(user, group_id, body["username"])
    return _presented(groups.get_group(user, group_id))


@bp.delete("/<group_id>/members/<username>")
@operation(
    "Take a user out of the group (not of the group their role puts them in)",
    response=GroupSchema,
    errors=(403, 404, 409),
)
def remove_member(group_id: str, username: str) -> dict[str, Any]:
    user = current_user()
    groups.remove_member(user, group_id, username)
    return _presented(groups.get_group(user, group_id))
