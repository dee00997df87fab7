"""Withdrawing and restoring access: disable and enable accounts, reset and change passwords, end
sessions, list and revoke API tokens. Every change is audited (audit_event with no case)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import ApiToken, User
from .audit import record_event
from .errors import Conflict, Invalid, NotFound
from .runtime import now, transactional
from .users import MIN_PASSWORD_LENGTH, get_user

# One-time passwords: 12 random words' worth of entropy is overkill for a password that must be changed
# at the next sign-in, but it costs the administrator nothing to copy.
ONE_TIME_PASSWORD_BYTES = 12


def existing_user(username: str) -> User:
    user = get_user(username)
    if user is None:
        raise NotFound(f"There is no user called {username}.")
    return user


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.username)))


def list_tokens(username: str) -> list[ApiToken]:
    user = existing_user(username)
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def _audit(actor: str, kind: str, summary: str, **detail: Any) -> None:
    record_event(None, actor, kind, summary, **detail)


def end_sessions(user: User) -> None:
    """Every session cookie issued to the user so far stops working (it carries the old generation)."""
    user.session_generation = (user.session_generation or 0) + 1


@transactional
def sign_out_everywhere(user: User) -> None:
    end_sessions(user)


@transactional
def set_active(username: str, active: bool, actor: str) -> User:
    user = existing_user(username)
    if not active and username == actor:
        raise Conflict("You cannot disable your own account.")
    if not active:
        user.sso_removed_at = None  # an administrator's decision: single sign-on does not undo it
    if user.active == active:
        return user
    user.active = active
    if not active:
        end_sessions(user)
    verb = "enabled" if active else "disabled"
    _audit(actor, f"user-{verb}", f"{actor} {verb} the account {username}.", username=username)
    return user


@transactional
def reset_password(username: str, actor: str) -> str:
    """A one-time password, shown once to the administrator; the user must replace it at sign-in."""
    user = existing_user(username)
    if user.sso_subject:
        raise Conflict(f"{username} signs in with single sign-on and has no password here.")
    password = secrets.token_urlsafe(ONE_TIME_PASSWORD_BYTES)
    user.password_hash = _hash(password)
    user.must_change_password = True
    end_sessions(user)
    _audit(actor, "user-password-reset", f"{actor} reset the password of {username}.", username=username)
    return password


@transactional
def change_password(user: User, current: str, new: str, confirmation: str) -> None:
    fields: dict[str, list[str]] = {}
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        fields["current_password"] = ["Enter your current password correctly"]
    if len(new) < MIN_PASSWORD_LENGTH:
        fields["new_password"] = [f"Enter a new password of at least {MIN_PASSWORD_LENGTH} characters"]
    elif new == current:
        fields["new_password"] = ["Enter a new password that differs from the current one"]
    if new != confirmation:
        fields["confirm_password"] = ["Enter the same new password twice"]
    if fields:
        raise Invalid("The password was not changed.", fields)
    user.password_hash = _hash(new)
    user.must_change_password = False
    end_sessions(user)
    _audit(user.username, "user-password-changed", f"{user.username} changed their password.", username=user.username)


def _hash(password: str) -> str:
    return generate_password_hash(password, current_app.config["SFO_PASSWORD_HASH_METHOD"])


@transactional
def revoke_tokens(username: str, actor: str, token_id: int | None = None) -> int:
    """Revoke one token of the user (by id) or, without an id, every token still usable; return how many."""
    user = existing_user(username)
    query = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if token_id is not None:
        query = query.where(ApiToken.id == token_id)
    rows = list(db.session.scalars(query))
    if token_id is not None and not rows:
        raise NotFound(f"{username} has no unrevoked token with id {token_id}.")
    for row in rows:
        row.revoked_at, row.revoked_by = now(), actor
    if rows:
        ids = [row.id for row in rows]
        _audit(
            actor,
            "token-revoked",
            f"{actor} revoked {len(ids)} API token(s) of {username}.",
            username=username,
            token_ids=ids,
        )
    return len(rows)


def token_state(token: ApiToken) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and now() >= token.expires_at:
        return "expired"
    return "active"
