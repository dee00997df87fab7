"""Groups as data: the groups diagram lanes stand for, the other names a lane may carry for them, and
their members. Process owners and admins manage them (pages, API, ``sfo groups``); every check of a
model reads them from here, so a lane names a group the service knows, not one of a fixed list.

A user's role counts as a group of the same name (``User.group_names``); membership of any other group
is a user_group row. Access to cases stays with the role (services/access.py): a provider user sees
only their organisation's cases whatever groups they are in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select

from ..engine.definitions import declared_lanes, lane_key, lane_resolver
from ..extensions import db
from ..models import Group, GroupLaneName, User, UserGroup
from ..models.users import GROUP_TITLES
from .access import DEPLOYING_ROLES, require_role
from .errors import Conflict, Invalid, NotFound
from .runtime import now, transactional

GROUP_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
MAX_TITLE = 120
MAX_LANE_NAME = 200


@dataclass(frozen=True)
class KnownGroups:
    """What a model's lanes are checked against: group ids with their titles, and further lane names."""

    titles: dict[str, str]
    lane_names: dict[str, str] = field(default_factory=dict)

    def resolver(self) -> dict[str, str]:
        return lane_resolver(self.titles, self.lane_names)

    def unknown(self, lanes: list[str]) -> list[str]:
        names = self.resolver()
        return [lane for lane in lanes if lane_key(lane) not in names]

    def as_json(self) -> dict[str, Any]:
        return {"titles": self.titles, "lane_names": self.lane_names}


SEEDED = KnownGroups(dict(GROUP_TITLES))


def require_group_manager(user: User) -> None:
    require_role(user, DEPLOYING_ROLES, "manage groups")


def known_groups() -> KnownGroups:
    titles = {g.id: g.title for g in db.session.scalars(select(Group).order_by(Group.id))}
    names = {n.name: n.group_id for n in db.session.scalars(select(GroupLaneName))}
    return KnownGroups(titles, names)


def read_known_groups(connection: Any) -> KnownGroups:
    """``known_groups`` over a plain connection (a dry-run job's child has no app context)."""
    groups, names = Group.__table__, GroupLaneName.__table__
    titles = {row.id: row.title for row in connection.execute(select(groups.c.id, groups.c.title))}
    lane_names = {row.name: row.group_id for row in connection.execute(select(names.c.name, names.c.group_id))}
    return KnownGroups(titles, lane_names)


def unknown_lanes(files: dict[str, bytes]) -> list[str]:
    """The lane names of the files' executable processes that name no group here."""
    return known_groups().unknown(declared_lanes(files))


def seed_groups() -> None:
    """Add any of the six SFO groups that is missing (the migration seeds them; tests empty tables)."""
    present = set(db.session.scalars(select(Group.id)))
    for group_id, title in GROUP_TITLES.items():
        if group_id not in present:
            db.session.add(Group(id=group_id, title=title, created_by="system", created_at=now()))
    db.session.flush()


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupView:
    group: Group
    members: list[User]
    lane_names: list[str]


def list_groups(user: User) -> list[GroupView]:
    require_group_manager(user)
    return all_groups()


def all_groups() -> list[GroupView]:
    return [_view(group) for group in db.session.scalars(select(Group).order_by(Group.id))]


def get_group(user: User, group_id: str) -> GroupView:
    require_group_manager(user)
    return _view(_existing(group_id))


def _existing(group_id: str) -> Group:
    group = db.session.get(Group, group_id)
    if group is None:
        raise NotFound(f"There is no group called {group_id}.")
    return group


def _view(group: Group) -> GroupView:
    members = db.session.scalars(
        select(User)
        .outerjoin(UserGroup)
        .where((User.role == group.id) | (UserGroup.name == group.id))
        .distinct()
        .order_by(User.username)
    )
    names = db.session.scalars(
        select(GroupLaneName.name).where(GroupLaneName.group_id == group.id).order_by(GroupLaneName.name)
    )
    return GroupView(group, list(members), list(names))


# --- changing ----------------------------------------------------------------------------------


def group_id_for(lane: str) -> str:
    """A group id made from a lane name: "Finance Team" gives finance-team."""
    return "-".join(re.findall(r"[a-z0-9]+", lane.casefold()))[:40].strip("-")


def create_group(user: User, group_id: str, title: str) -> Group:
    require_group_manager(user)
    return create_group_as(user.username, group_id, title)


@transactional
def create_group_as(actor: str, group_id: str, title: str) -> Group:
    """``create_group`` for a caller already trusted (the ``sfo`` command line)."""
    return _create(actor, group_id.strip(), title.strip())


def _create(actor: str, group_id: str, title: str) -> Group:
    fields: dict[str, list[str]] = {}
    if not GROUP_ID.fullmatch(group_id) or len(group_id) > 40:
        fields["group_id"] = ["Use lower-case letters and numbers, with single dashes between them (up to 40)."]
    if not title or len(title) > MAX_TITLE:
        fields["title"] = [f"Enter a title of up to {MAX_TITLE} characters."]
    if fields:
        raise Invalid("The group could not be created.", fields)
    if db.session.get(Group, group_id) is not None:
        raise Conflict(f"A group called {group_id} exists already.")
    taken = known_groups().resolver().get(lane_key(title))
    if taken is not None:
        raise Invalid("The group could not be created.", {"title": [f"Lanes called {title} already mean {taken}."]})
    group = Group(id=group_id, title=title, created_by=actor, created_at=now())
    db.session.add(group)
    db.session.flush()
    return group


def map_lane(user: User, lane: str, group_id: str) -> None:
    """Let lanes called ``lane`` stand for the group ``group_id``."""
    require_group_manager(user)
    map_lane_as(lane, group_id)


@transactional
def map_lane_as(lane: str, group_id: str) -> None:
    _map(lane, group_id)


def _map(lane: str, group_id: str) -> None:
    _existing(group_id)
    name = lane_key(lane)
    if not name or len(name) > MAX_LANE_NAME:
        raise Invalid("The lane name could not be mapped.", {"lane": [f"Enter a lane name of up to {MAX_LANE_NAME}."]})
    current = known_groups().resolver().get(name)
    if current is not None and current != group_id:
        raise Conflict(f"Lanes called {lane} already mean the group {current}.")
    if current is None:
        db.session.add(GroupLaneName(name=name, group_id=group_id))
        db.session.flush()


@transactional
def unmap_lane(user: User, lane: str) -> None:
    require_group_manager(user)
    db.session.execute(delete(GroupLaneName).where(GroupLaneName.name == lane_key(lane)))


def settle_lanes(user: User, choices: dict[str, str]) -> list[str]:
    """For each unknown lane, ``choices`` says "new" (create a group named after it) or a group id to
    map it to. Every choice is checked before anything changes; returns what was done, as sentences."""
    require_group_manager(user)
    return settle_lanes_as(user.username, choices)


@transactional
def settle_lanes_as(actor: str, choices: dict[str, str]) -> list[str]:
    done = []
    problems: dict[str, list[str]] = {}
    ids = set(known_groups().titles)
    for lane, choice in choices.items():
        if choice != "new" and choice not in ids:
            problems[lane] = ["Choose a group, or create a new one."]
        elif choice == "new" and not group_id_for(lane):
            problems[lane] = ["This lane name has no letters or numbers to name a group by: map it to a group."]
    if problems:
        raise Invalid("Choose what each lane stands for.", problems)
    for lane, choice in choices.items():
        if choice == "new":
            group = _create(actor, _free_id(group_id_for(lane)), lane.strip()[:MAX_TITLE])
            done.append(f"Created the group {group.id} for lanes called {lane}.")
        else:
            _map(lane, choice)
            done.append(f"Lanes called {lane} now stand for the group {choice}.")
    return done


def _free_id(wanted: str) -> str:
    candidate, number = wanted, 2
    while db.session.get(Group, candidate) is not None:
        suffix = f"-{number}"
        candidate, number = wanted[: 40 - len(suffix)] + suffix, number + 1
    return candidate


def create_groups_for(actor: str, files: dict[str, bytes]) -> list[str]:
    """Create a group for every lane of the files that names none (the API's and CLI's option; the
    caller has checked who may)."""
    unknown = unknown_lanes(files)
    return settle_lanes_as(actor, {lane: "new" for lane in unknown}) if unknown else []


def refuse_unknown_lanes(files: dict[str, bytes]) -> None:
    """Refuse files whose lanes name groups that do not exist, naming them (before any job is queued)."""
    unknown = unknown_lanes(files)
    if unknown:
        names = ", ".join(unknown)
        raise Invalid(
            f"The model has lanes that name no group: {names}.",
            {
                "lanes": [
                    f"Create or map these groups first, or deploy with the option to create them: {names}.",
                ]
            },
        )


def add_member(user: User, group_id: str, username: str) -> None:
    require_group_manager(user)
    add_member_as(group_id, username)


@transactional
def add_member_as(group_id: str, username: str) -> None:
    _existing(group_id)
    member = db.session.scalar(select(User).where(User.username == username.strip()))
    if member is None:
        raise Invalid("The member could not be added.", {"username": [f"There is no user called {username}."]})
    if member.in_group(group_id):
        return
    member.groups.append(UserGroup(name=group_id))
    db.session.flush()


def remove_member(user: User, group_id: str, username: str) -> None:
    require_group_manager(user)
    remove_member_as(group_id, username)


@transactional
def remove_member_as(group_id: str, username: str) -> None:
    _existing(group_id)
    member = db.session.scalar(select(User).where(User.username == username))
    if member is None:
        raise NotFound(f"There is no user called {username}.")
    if member.role == group_id:
        raise Conflict(f"{username} is in {group_id} by their role; change their role to take them out.")
    member.groups = [g for g in member.groups if g.name != group_id]
    db.session.flush()
