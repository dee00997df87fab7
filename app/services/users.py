"""Users, groups and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import ApiToken, User, UserGroup
from ..models.users import LANE_GROUPS, ROLES
from .errors import Conflict, Invalid, NotFound
from .runtime import now, transactional

MIN_PASSWORD_LENGTH = 10


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def get_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def user_in_group(username: str, group: str) -> bool:
    user = get_user(username)
    return bool(user and user.active and user.in_group(group))


def users_in_group(group: str, organisation: str | None = None) -> list[User]:
    query = select(User).outerjoin(UserGroup).where((User.role == group) | (UserGroup.name == group))
    if organisation is not None:
        query = query.where(User.organisation == organisation)
    return list(db.session.scalars(query.where(User.active.is_(True)).distinct()))


@transactional
def create_user(
    username: str,
    role: str,
    password: str | None,
    *,
    groups: tuple[str, ...] = (),
    organisation: str | None = None,
    display_name: str = "",
    email: str | None = None,
) -> User:
    fields: dict[str, list[str]] = {}
    if not username or len(username) > 80 or not username.replace("-", "").replace(".", "").replace("_", "").isalnum():
        fields["username"] = ["Use letters, numbers, dots, dashes or underscores (up to 80)."]
    if role not in ROLES:
        fields["role"] = [f"Choose one of: {', '.join(ROLES)}."]
    unknown = [g for g in groups if g not in ROLES and g not in LANE_GROUPS]
    if unknown:
        fields["groups"] = [f"Unknown group: {', '.join(unknown)}."]
    if role == "provider" and not organisation:
        fields["organisation"] = ["A provider user needs an organisation (--org)."]
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        fields["password"] = [f"Use at least {MIN_PASSWORD_LENGTH} characters."]
    if fields:
        raise Invalid("The user could not be created.", fields)
    if get_user(username) is not None:
        raise Conflict(f"A user called {username} already exists.")
    user = User(
        username=username,
        role=role,
        organisation=organisation,
        display_name=display_name,
        email=email,
        password_hash=generate_password_hash(password, current_app.config["SFO_PASSWORD_HASH_METHOD"]) if password else None,
        created_at=now(),
        groups=[UserGroup(name=g) for g in sorted(set(groups) - {role})],
    )
    db.session.add(user)
    return user


@transactional
def create_token(username: str) -> str:
    user = get_user(username)
    if user is None:
        raise NotFound(f"There is no user called {username}.")
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_token_digest(token), created_at=now()))
    return token


def user_for_token(token: str) -> User | None:
    row = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _token_digest(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or not row.user.active:
        return None
    return row.user


def user_for_password(username: str, password: str) -> User | None:
    user = get_user(username)
    if user is None or not user.active or not user.password_hash:
        # Spend the same effort either way so timing does not reveal which usernames exist.
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


_DUMMY_HASH = generate_password_hash("not a real password")
