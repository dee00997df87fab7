"""Administrators' pages for accounts (/admin/users): list users, disable and enable them, reset a
password (a one-time password shown once), list and revoke API tokens. Each change asks for
confirmation first and is audited by the service it calls."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ..services import accounts
from .auth import signed_in_user

admin = Blueprint("admin", __name__, url_prefix="/admin")


@dataclass(frozen=True)
class Action:
    title: str
    warning: str
    button: str
    done: str


ACTIONS = {
    "disable": Action(
        "Disable the account of {u}",
        "{u} will be signed out everywhere, and their API tokens will stop working until the account is enabled again.",
        "Disable account",
        "The account {u} is disabled.",
    ),
    "enable": Action(
        "Enable the account of {u}",
        "{u} will be able to sign in again, and their API tokens that have "
        "not expired or been revoked will work again.",
        "Enable account",
        "The account {u} is enabled.",
    ),
    "reset-password": Action(
        "Reset the password of {u}",
        "Their current password stops working and they are signed "
        "out everywhere. You will see a one-time password once, to give to {u}; they must choose "
        "a new password when they sign in with it.",
        "Reset password",
        "",
    ),
    "revoke-tokens": Action(
        "Revoke every API token of {u}",
        "Every system using one of these tokens will be refused until it is given a new token.",
        "Revoke all tokens",
        "Revoked {n} token(s) of {u}.",
    ),
}


@admin.get("/users")
def user_list() -> str:
    return render_template("admin/users.html", title="User accounts", users=accounts.list_users())


@admin.get("/users/<username>")
def user(username: str) -> str:
    row = accounts.existing_user(username)
    tokens = accounts.list_tokens(username)
    return render_template(
        "admin/user.html", title=f"Account {row.username}", row=row, tokens=tokens, state_of=accounts.token_state
    )


@admin.get("/users/<username>/<action>")
def confirm(username: str, action: str) -> str:
    row = accounts.existing_user(username)
    chosen = _action(action)
    return render_template(
        "admin/confirm.html",
        title=chosen.title.format(u=row.username),
        row=row,
        chosen=chosen,
        warning=chosen.warning.format(u=row.username),
        post_url=url_for("admin.act", username=row.username, action=action),
    )


@admin.post("/users/<username>/<action>")
def act(username: str, action: str) -> Response | str:
    actor = signed_in_user().username
    _action(action)
    if action == "reset-password":
        password = accounts.reset_password(username, actor)
        return render_template(
            "admin/one_time_password.html", title="One-time password", username=username, password=password
        )
    if action in ("disable", "enable"):
        accounts.set_active(username, action == "enable", actor)
        count = 0
    else:
        count = accounts.revoke_tokens(username, actor)
    flash(ACTIONS[action].done.format(u=username, n=count), "success")
    return redirect(url_for("admin.user", username=username))


@admin.get("/users/<username>/tokens/<id:token_id>/revoke")
def confirm_revoke_token(username: str, token_id: int) -> str:
    row = accounts.existing_user(username)
    chosen = Action(
        f"Revoke API token {token_id} of {row.username}",
        "A system using this token will be refused until it is given a new token.",
        "Revoke token",
        "",
    )
    return render_template(
        "admin/confirm.html",
        title=chosen.title,
        row=row,
        chosen=chosen,
        warning=chosen.warning,
        post_url=url_for("admin.revoke_token", username=row.username, token_id=token_id),
    )


@admin.post("/users/<username>/tokens/<id:token_id>/revoke")
def revoke_token(username: str, token_id: int) -> Response:
    accounts.revoke_tokens(username, signed_in_user().username, token_id)
    flash(f"Revoked API token {token_id} of {username}.", "success")
    return redirect(url_for("admin.user", username=username))


def _action(name: str) -> Action:
    chosen = ACTIONS.get(name)
    if chosen is None:
        from werkzeug.exceptions import NotFound

        raise NotFound()
    return chosen
