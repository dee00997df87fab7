"""``sfo groups list|create|map-lane|add-member|remove-member``: the groups lanes stand for, from the shell.

Changes are made with the actor ``cli`` (whoever can run the command can read the database anyway).
"""

from __future__ import annotations

from typing import Any

import click

from .services.errors import ServiceError

ACTOR = "cli"


@click.group("groups", help="The groups diagram lanes stand for, their other lane names and their members.")
def groups_group() -> None:
    pass


def _run(action: Any) -> Any:
    from .cli import _app, _fail

    with _app().app_context():
        try:
            return action()
        except ServiceError as error:
            _fail(error)


@groups_group.command("list", help="Every group: id, title, members and the other lane names it answers to.")
def list_command() -> None:
    from .services.groups import all_groups

    def lines() -> list[str]:
        found = []
        for view in all_groups():
            members = ", ".join(u.username for u in view.members) or "no members"
            lanes = f"; lanes also called: {', '.join(view.lane_names)}" if view.lane_names else ""
            found.append(f"{view.group.id}\t{view.group.title}\t{members}{lanes}")
        return found

    for line in _run(lines):
        click.echo(line)


@groups_group.command("create", help="Create a group GROUP_ID (lower-case letters, numbers and dashes).")
@click.argument("group_id")
@click.option("--title", required=True, help="The name lanes may carry for it, e.g. 'Finance team'.")
def create_command(group_id: str, title: str) -> None:
    from .services.groups import create_group_as

    _run(lambda: create_group_as(ACTOR, group_id, title))
    click.echo(f"Created the group {group_id} ({title}).")


@groups_group.command("map-lane", help="Let lanes called LANE stand for the group GROUP_ID.")
@click.argument("lane")
@click.argument("group_id")
def map_lane_command(lane: str, group_id: str) -> None:
    from .services.groups import map_lane_as

    _run(lambda: map_lane_as(lane, group_id))
    click.echo(f"Lanes called {lane} now stand for the group {group_id}.")


@groups_group.command("add-member", help="Put USERNAME in the group GROUP_ID.")
@click.argument("group_id")
@click.argument("username")
def add_member_command(group_id: str, username: str) -> None:
    from .services.groups import add_member_as

    _run(lambda: add_member_as(group_id, username))
    click.echo(f"{username} is in the group {group_id}.")


@groups_group.command("remove-member", help="Take USERNAME out of the group GROUP_ID.")
@click.argument("group_id")
@click.argument("username")
def remove_member_command(group_id: str, username: str) -> None:
    from .services.groups import remove_member_as

    _run(lambda: remove_member_as(group_id, username))
    click.echo(f"{username} is no longer in the group {group_id}.")
