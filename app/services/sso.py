"""Staff accounts from the organisation's identity provider (OpenID Connect): what the claims of a
signed-in person give them here.

``SFO_OIDC_GROUP_MAP`` maps the provider's groups (the values of the ``SFO_OIDC_GROUPS_CLAIM`` claim)
to a role and, for provider staff, an organisation: ``{"sfo-managers": "manager", "north-pp":
{"role": "provider", "organisation": "north-probation"}}``. The first entry of the map that the
person's groups match gives their role; the roles of the other matching entries become extra groups.

At every sign-in the account follows the claims: the first sign-in creates it (no password), later ones
update the name, email address, role, groups and organisation. A person whose groups no longer match
any entry is refused, their account is disabled (which ends every session and API token), and a later
sign-in with a matching group enables it again, unless an administrator disabled it in between.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import User, UserGroup
from ..models.users import ROLES
from .accounts import end_sessions
from .audit import record_event
from .runtime import now, transactional
from .users import get_user

ACTOR = "single-sign-on"
_NOT_USERNAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Access:
    role: str
    groups: tuple[str, ...]
    organisation: str | None


@dataclass(frozen=True)
class Outcome:
    user: User | None
    refusal: str = ""  # why the person may not sign in, for them to read


def configured() -> bool:
    config = current_app.config
    return bool(config["SFO_OIDC_ISSUER"] and config["SFO_OIDC_CLIENT_ID"])


def group_map(raw: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """The map as (group, role, organisation) in its order; a RuntimeError names a wrong entry."""
    entries = []
    for group, target in raw.items():
        entry = {"role": target} if isinstance(target, str) else target
        if not isinstance(entry, dict) or entry.get("role") not in ROLES:
            raise RuntimeError(f"SFO_OIDC_GROUP_MAP: {group!r} must map to one of {', '.join(ROLES)}")
        organisation = entry.get("organisation") or None
        if entry["role"] == "provider" and not organisation:
            raise RuntimeError(f"SFO_OIDC_GROUP_MAP: {group!r} gives the provider role and needs an organisation")
        entries.append((str(group), str(entry["role"]), str(organisation) if organisation else None))
    return entries


def check_configuration() -> None:
    """Refuse to start with a map that cannot be followed (called when the app is created)."""
    group_map(current_app.config["SFO_OIDC_GROUP_MAP"])


def _claimed_groups(claims: dict[str, Any]) -> set[str]:
    value = claims.get(current_app.config["SFO_OIDC_GROUPS_CLAIM"])
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {str(v) for v in value}
    return set()


def access_for(claims: dict[str, Any]) -> Access | None | str:
    """What the claims give: an Access, None (no mapped group), or why they contradict each other."""
    groups = _claimed_groups(claims)
    matched = [
        (role, organisation)
        for group, role, organisation in group_map(current_app.config["SFO_OIDC_GROUP_MAP"])
        if group in groups
    ]
    if not matched:
        return None
    organisations = {organisation for _, organisation in matched if organisation}
    if len(organisations) > 1:
        return "Your groups at your organisation give you more than one provider organisation here."
    role = matched[0][0]
    extra = tuple(sorted({r for r, _ in matched[1:]} - {role}))
    return Access(role, extra, organisations.pop() if organisations else None)


@transactional
def sign_in_with_claims(issuer: str, claims: dict[str, Any]) -> Outcome:
    """The account for verified ID token (and userinfo) claims, created or brought in line with them."""
    subject = str(claims["sub"])
    user = db.session.scalar(select(User).where(User.sso_issuer == issuer, User.sso_subject == subject))
    access = access_for(claims)
    if isinstance(access, str):
        return Outcome(None, access)
    if access is None:
        if user is not None and user.active:
            _remove_access(user)
        return Outcome(None, "Your account does not give you access to this service. Ask your manager to add you.")
    if user is None:
        user = _create(issuer, subject, claims, access)
    elif not user.active and user.sso_removed_at is None:
        return Outcome(None, "Your account here has been disabled. Ask an administrator to enable it.")
    elif not user.active:
        user.active, user.sso_removed_at = True, None
        record_event(
            None, ACTOR, "user-enabled", f"{user.username} is back in a group with access.", username=user.username
        )
    _follow_claims(user, claims, access)
    return Outcome(user)


def _remove_access(user: User) -> None:
    user.active, user.sso_removed_at = False, now()
    end_sessions(user)
    record_event(
        None,
        ACTOR,
        "user-disabled",
        f"{user.username} is no longer in a group with access: account disabled and its sessions ended.",
        username=user.username,
    )


def _create(issuer: str, subject: str, claims: dict[str, Any], access: Access) -> User:
    user = User(
        username=_free_username(claims, subject),
        role=access.role,
        organisation=access.organisation,
        display_name="",
        password_hash=None,
        created_at=now(),
        sso_issuer=issuer,
        sso_subject=subject,
    )
    db.session.add(user)
    record_event(None, ACTOR, "user-created", f"{user.username} signed in for the first time.", username=user.username)
    return user


def _free_username(claims: dict[str, Any], subject: str) -> str:
    """A username from the claims that no account has yet: a local account is never taken over."""
    email = str(claims.get("email") or "")
    for candidate in (str(claims.get("preferred_username") or ""), email.partition("@")[0]):
        base = _NOT_USERNAME.sub("-", candidate).strip("-.")[:70]
        if base:
            break
    else:
        base = "sso-" + hashlib.sha256(subject.encode()).hexdigest()[:12]
    name, number = base, 1
    while get_user(name) is not None:
        number += 1
        name = f"{base}-{number}"
    return name


def _follow_claims(user: User, claims: dict[str, Any], access: Access) -> None:
    before = (user.role, tuple(sorted(g.name for g in user.groups)), user.organisation)
    after = (access.role, access.groups, access.organisation)
    user.display_name = str(claims.get("name") or "")[:200]
    email = claims.get("email")
    user.email = str(email)[:254] if email and claims.get("email_verified") is not False else None
    user.role, user.organisation = access.role, access.organisation
    for group in [g for g in user.groups if g.name not in access.groups]:
        user.groups.remove(group)
    held = {g.name for g in user.groups}
    user.groups.extend(UserGroup(name=g) for g in access.groups if g not in held)
    if before != after and user.id is not None:
        record_event(
            None,
            ACTOR,
            "user-roles-changed",
            f"{user.username}'s role follows their groups: {access.role}"
            + (f" (also {', '.join(access.groups)})" if access.groups else "")
            + (f", organisation {access.organisation}" if access.organisation else "")
            + ".",
            username=user.username,
        )
