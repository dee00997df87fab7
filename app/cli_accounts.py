"""``sfo users disable|enable|reset-password|tokens|revoke``: withdraw and restore access from the shell.

Actions are audited with the actor ``cli`` (whoever can run the command can read the database anyway).
"""

from __future__ import annotations

import click

from .services.errors import ServiceError

ACTOR = "cli"


def register_account_commands(users: click.Group) -> None:
    for command in (disable, enable, reset_password, tokens, revoke):
        users.add_command(command)


def _run(action):
    from .cli import _app, _fail

    with _app().app_context():
        try:
            return action()
        except ServiceError as error:
            _fail(error)


@click.command("disable", help="Disable an account: it cannot sign in, its sessions end, its tokens stop working.")
@click.argument("username")
def disable(username: str) -> None:
    from .services.accounts import set_active

    _run(lambda: set_active(username, False, ACTOR))
    click.echo(f"Disabled {username}.")


@click.command("enable", help="Enable a disabled account again.")
@click.argument("username")
def enable(username: str) -> None:
    from .services.accounts import set_active

    _run(lambda: set_active(username, True, ACTOR))
    click.echo(f"Enabled {username}.")


@click.command("reset-password", help="Set a one-time password (printed) that the user must change at sign-in.")
@click.argument("username")
def reset_password(username: str) -> None:
    from .services.accounts import reset_password as reset

    password = _run(lambda: reset(username, ACTOR))
    click.echo(password)
    click.echo(f"{username} must choose a new password when signing in with it; their sessions have ended.", err=True)


@click.command("tokens", help="List a user's API tokens (never the secrets): id, issued, expires, last used, status.")
@click.argument("username")
def tokens(username: str) -> None:
    from .services.accounts import list_tokens, token_state

    def describe() -> list[str]:
        lines = [f"{'id':>6}  {'issued':<16}  {'expires':<16}  {'last used':<16}  status"]
        for row in list_tokens(username):
            state = token_state(row) + (f" by {row.revoked_by}" if row.revoked_by else "")
            lines.append(
                f"{row.id:>6}  {_when(row.created_at)}  {_when(row.expires_at)}  {_when(row.last_used_at)}  {state}"
            )
        return lines

    for line in _run(describe):
        click.echo(line)


def _when(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment is not None else f"{'-':<16}"


@click.command("revoke", help="Revoke one API token of a user (--token ID) or all of them (--all).")
@click.argument("username")
@click.option("--token", "token_id", type=click.IntRange(1, 2**31 - 1), help="The id shown by `sfo users tokens`.")
@click.option("--all", "revoke_all", is_flag=True, help="Revoke every token of the user.")
def revoke(username: str, token_id: int | None, revoke_all: bool) -> None:
    from .services.accounts import revoke_tokens

    if token_id is not None and revoke_all:
        raise click.UsageError("Give either --token ID or --all, not both.")
    if token_id is None and not revoke_all:
        raise click.UsageError("Give --token ID (see `sfo users tokens`) or --all.")
    count = _run(lambda: revoke_tokens(username, ACTOR, token_id))
    click.echo(f"Revoked {count} token(s) of {username}.")
