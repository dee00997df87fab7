"""Groups area (/groups): the groups diagram lanes stand for, the other lane names they answer to and
their members; and, for a dry run refused for lanes that name no group, the choice to create or map
them and run it again. Process owners and admins only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..services import dry_runs, groups
from ..services.errors import Conflict, Invalid
from .auth import signed_in_user

groups_pages = Blueprint("groups", __name__, url_prefix="/groups")


def _errors(fields: dict[str, list[str]], message: str) -> list[dict[str, str]]:
    return [{"text": m, "href": f"#{name}"} for name, ms in (fields or {"_": [message]}).items() for m in ms]


@groups_pages.get("/")
def group_list() -> str:
    return _list_page({}, {})


def _list_page(values: dict[str, str], errors: dict[str, list[str]], status: int = 200) -> Any:
    page = render_template(
        "groups/list.html",
        title="Groups",
        views=groups.list_groups(signed_in_user()),
        values=values,
        errors=errors,
        error_list=_errors(errors, "") if errors else [],
    )
    return (page, status) if status != 200 else page


@groups_pages.post("/")
def create_group() -> Any:
    values = {"group_id": request.form.get("group_id", ""), "title": request.form.get("title", "")}
    try:
        group = groups.create_group(signed_in_user(), values["group_id"], values["title"])
    except Invalid as invalid:
        return _list_page(values, invalid.fields or {"group_id": [invalid.message]}, 400)
    except Conflict as conflict:
        return _list_page(values, {"group_id": [conflict.message]}, 409)
    flash(f"The group {group.id} was created.", "success")
    return redirect(url_for("groups.group", group_id=group.id), 303)


@groups_pages.get("/<group_id>")
def group(group_id: str) -> Any:
    return _group_page(group_id, {}, {})


def _group_page(group_id: str, values: dict[str, str], errors: dict[str, list[str]], status: int = 200) -> Any:
    view = groups.get_group(signed_in_user(), group_id)
    page = render_template(
        "groups/group.html",
        title=f"Group {view.group.title}",
        view=view,
        values=values,
        errors=errors,
        error_list=_errors(errors, "") if errors else [],
    )
    return (page, status) if status != 200 else page


@groups_pages.post("/<group_id>/members")
def add_member(group_id: str) -> Any:
    username = request.form.get("username", "")
    try:
        groups.add_member(signed_in_user(), group_id, username)
    except Invalid as invalid:
        return _group_page(group_id, {"username": username}, {"username": invalid.fields.get("username", [])}, 400)
    flash(f"{username} is in the group.", "success")
    return redirect(url_for("groups.group", group_id=group_id), 303)


@groups_pages.post("/<group_id>/members/<username>/remove")
def remove_member(group_id: str, username: str) -> Any:
    try:
        groups.remove_member(signed_in_user(), group_id, username)
    except Conflict as conflict:
        return _group_page(group_id, {}, {"members": [conflict.message]}, 409)
    flash(f"{username} is no longer in the group.", "success")
    return redirect(url_for("groups.group", group_id=group_id), 303)


@groups_pages.post("/<group_id>/lane-names")
def map_lane(group_id: str) -> Any:
    lane = request.form.get("lane", "")
    try:
        groups.map_lane(signed_in_user(), lane, group_id)
    except Invalid as invalid:
        return _group_page(group_id, {"lane": lane}, {"lane": invalid.fields.get("lane", [invalid.message])}, 400)
    except Conflict as conflict:
        return _group_page(group_id, {"lane": lane}, {"lane": [conflict.message]}, 409)
    flash(f"Lanes called {lane} now stand for this group.", "success")
    return redirect(url_for("groups.group", group_id=group_id), 303)


@groups_pages.post("/<group_id>/lane-names/<path:lane>/remove")
def unmap_lane(group_id: str, lane: str) -> Response:
    groups.unmap_lane(signed_in_user(), lane)
    flash(f"Lanes called {lane} no longer stand for this group.", "success")
    return redirect(url_for("groups.group", group_id=group_id), 303)


# --- a dry run refused for lanes that name no group ----------------------------------------------


@groups_pages.route("/lanes-of-dry-run/<id:job_id>", methods=["GET", "POST"])
def settle_lanes(job_id: int) -> Any:
    """For each lane of the job's files that names no group: create a group for it, or map it to one;
    then check (and deploy, for a deploy job) the same files again."""
    user = signed_in_user()
    job = dry_runs.get_job(user, job_id)
    files = {name: text.encode() for name, text in job.files.items()}
    unknown = groups.unknown_lanes(files)
    errors: dict[str, list[str]] = {}
    choices = {lane: request.form.get(f"lane-{index}", "") for index, lane in enumerate(unknown)}
    if request.method == "POST" and unknown:
        try:
            for line in groups.settle_lanes(user, choices):
                flash(line, "success")
        except Invalid as invalid:
            errors = {f"lane-{unknown.index(lane)}": messages for lane, messages in invalid.fields.items()}
        else:
            again = dry_runs.queue_job(user, job.purpose, files, job.process_key)
            return redirect(url_for("models.dry_run", job_id=again.id), 303)
    page = render_template(
        "groups/lanes.html",
        title="Lanes that name no group",
        job=job,
        unknown=list(enumerate(unknown)),
        choices=choices,
        views=groups.list_groups(user),
        errors=errors,
        error_list=_errors(errors, "") if errors else [],
    )
    return (page, 400) if errors else page
