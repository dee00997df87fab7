"""Users, groups and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import ApiToken, ProcessInstance, Task, User, UserGroup
from ..models.users import ROLES
from .errors import Conflict, Invalid, NotFound
from .groups import known_groups
from .runtime import now, transactional

MIN_PASSWORD_LENGTH = 10


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def get_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def user_in_group(username: str, group: str) -> bool:
    """Whether ``username`` is an active member of ``group`` who may be given its work (a form's person field)."""
    user = get_user(username)
    return bool(user and user.active and user.in_group(group) and takes_work_of(user, group))


def takes_work_of(user: User, group: str) -> bool:
    """A provider user sees only provider-lane tasks of its own organisation's cases, whatever other groups
    it is in: no other group's work may be given to it."""
    return group == "provider" or not user.is_provider


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
    known = known_groups().titles
    unknown = [g for g in groups if g not in ROLES and g not in known]
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
        password_hash=generate_password_hash(password, current_app.config["SFO_PASSWORD_HASH_METHOD"])
        if password
        else None,
        created_at=now(),
        groups=[UserGroup(name=g) for g in sorted(set(groups) - {role})],
    )
    db.session.add(user)
    return user


def token_lifetime() -> dt.timedelta:
    return dt.timedelta(days=current_app.config["SFO_TOKEN_DAYS"])


@transactional
def issue_token(username: str) -> tuple[str, ApiToken]:
    """A new API token (shown once, stored only as its hash) and its row, expiring after the configured lifetime."""
    user = get_user(username)
    if user is None:
        raise NotFound(f"There is no user called {username}.")
    if not user.active:
        raise Conflict(f"{username} is disabled: enable the account before issuing a token.")
    token = secrets.token_urlsafe(32)
    issued = now()
    row = ApiToken(
        user_id=user.id, token_hash=_token_digest(token), created_at=issued, expires_at=issued + token_lifetime()
    )
    db.session.add(row)
    return token, row


def create_token(username: str) -> str:
    return issue_token(username)[0]


@dataclass(frozen=True)
class TokenCheck:
    user: User | None
    problem: str = ""


# How often the last use of a token is written down: once per request would be a write per API call.
LAST_USED_PRECISION = dt.timedelta(minutes=15)


def check_token(token: str) -> TokenCheck:
    """Whose token this is, or why it is refused (unknown, revoked, expired, or its user disabled)."""
    # the token, its user and the user's groups in one statement: every API request starts here
    query = select(ApiToken).options(joinedload(ApiToken.user).joinedload(User.groups))
    row = db.session.scalars(query.where(ApiToken.token_hash == _token_digest(token))).unique().first()
    moment = now()
    if row is None:
        return TokenCheck(None, "The API token is not valid.")
    if row.revoked_at is not None:
        return TokenCheck(None, "The API token has been revoked. Ask an administrator for a new one.")
    if row.expires_at is not None and moment >= row.expires_at:
        expired = f"The API token expired on {row.expires_at:%Y-%m-%d}. Ask an administrator for a new one."
        return TokenCheck(None, expired)
    if not row.user.active:
        return TokenCheck(None, "The account of this API token is disabled.")
    if row.last_used_at is None or moment - row.last_used_at >= LAST_USED_PRECISION:
        _record_use(row, moment)
    return TokenCheck(row.user)


@transactional
def _record_use(row: ApiToken, moment: dt.datetime) -> None:
    row.last_used_at = moment


def user_for_token(token: str) -> User | None:
    return check_token(token).user


def user_for_password(username: str, password: str) -> User | None:
    user = get_user(username)
    if user is None or not user.active or not user.password_hash:
        # Spend the same effort either way so timing does not reveal which usernames exist.
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


_DUMMY_HASH = generate_password_hash("not a real password")


@dataclass(frozen=True)
class Workload:
    """One person of a group, with the cases they review that are still open and their next due date."""

    username: str
    label: str
    open_cases: int
    next_due: dt.date | None


def workloads(group: str) -> list[Workload]:
    """Everyone active in ``group``, least loaded first: their open cases (as the case's reviewer) and
    the earliest due date of the tasks they hold."""
    people = sorted((u for u in users_in_group(group) if takes_work_of(u, group)), key=lambda u: u.username)
    names = [u.username for u in people]
    cases = dict(
        db.session.execute(
            select(ProcessInstance.reviewer, func.count())
            .where(ProcessInstance.reviewer.in_(names), ProcessInstance.status.notin_(("completed", "cancelled")))
            .group_by(ProcessInstance.reviewer)
        ).all()
    )
    due = dict(
        db.session.execute(
            select(Task.assignee, func.min(Task.due_on))
            .where(Task.assignee.in_(names), Task.state == "ready")
            .group_by(Task.assignee)
        ).all()
    )
    found = [Workload(u.username, u.label, int(cases.get(u.username, 0)), due.get(u.username)) for u in people]
    return sorted(found, key=lambda w: (w.open_cases, w.next_due or dt.date.max, w.username))
