"""The ``sfo`` command line: init, run, worker, check, users, groups, deploy, demo."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click
from flask import Flask

from . import create_app
from .cli_accounts import register_account_commands
from .cli_groups import groups_group
from .extensions import attach_migrations
from .services.errors import ServiceError


def _app() -> Flask:
    """The app passed in as the click context object (tests, embedding), else one built from the environment."""
    context = click.get_current_context(silent=True)
    given = context.find_object(Flask) if context is not None else None
    return given if given is not None else create_app()


def _fail(error: ServiceError) -> None:
    click.echo(f"Error: {error.message}", err=True)
    for field, messages in error.fields.items():
        for message in messages:
            click.echo(f"  {field}: {message}", err=True)
    sys.exit(1)


@click.group(help="SFO review workflow service.")
def cli() -> None:
    pass


def init_database(app: Flask) -> list[str]:
    """Upgrade the schema and deploy the process library if it changed; return what was done."""
    from flask_migrate import upgrade

    from .services.schema import init_lock
    from .worker.dry_runs import deploy_library

    attach_migrations(app)
    with app.app_context(), init_lock():  # two inits at once (e.g. two containers starting) take turns
        upgrade()
        return ["Database schema is up to date.", *_deployed_lines(deploy_library(app, _progress_printer()))]


@cli.command("init", help="Create or upgrade the database and deploy bpmn/ and forms/ if they changed.")
def init_command() -> None:
    try:
        for line in init_database(_app()):
            click.echo(line)
    except ServiceError as error:
        _fail(error)


@cli.group("db", help="Schema migrations beyond what init does.")
def db_group() -> None:
    pass


@db_group.command("downgrade", help="Go back to an earlier schema REVISION (Alembic id, or -1 for one step).")
@click.argument("revision")
@click.option(
    "--force",
    is_flag=True,
    help="Go ahead even if published reports, themes or recommendation records would be deleted.",
)
def db_downgrade(revision: str, force: bool) -> None:
    from alembic import command
    from alembic.util import CommandError

    from .services.schema import init_lock

    app = _app()
    with app.app_context(), init_lock():
        config = attach_migrations(app).migrate.get_config(x_arg=["force=1"] if force else None)
        try:
            command.downgrade(config, revision)
        except (CommandError, RuntimeError) as refused:  # an unknown revision, or a migration keeping records
            click.echo(f"Error: {refused}", err=True)
            sys.exit(1)
    click.echo(f"Database schema is now at {revision}.")


@cli.command("run", help="Serve the web app and API with an embedded worker (one machine).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
def run_command(host: str, port: int, threads: int) -> None:
    from .server import serve

    serve(host, port, threads)


@cli.command("worker", help="Fire due timers and deliver notifications.")
@click.option("--once", is_flag=True, help="Process what is due now, then exit.")
def worker_command(once: bool) -> None:
    from .worker import run_dry_runs_once, run_forever, run_once

    app = _app()
    if once:
        fired, sent = run_once(app)
        click.echo(f"Timers fired on {fired} case(s); {sent} notification(s) sent.")
        checked = run_dry_runs_once(app)
        if checked:
            click.echo(f"Dry runs finished: {checked}.")
        return
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    run_forever(app, stop)


@cli.command("check", help="Report open cases that wait for nothing, or whose engine state, tasks and audit disagree.")
def check_command() -> None:
    from .services.consistency import check_open_cases

    with _app().app_context():
        problems = list(check_open_cases())
    for problem in problems:
        click.echo(f"{problem.business_key} (case {problem.instance_id}): {problem.problem}")
    if problems:
        click.echo(f"{len({p.instance_id for p in problems})} case(s) need attention.", err=True)
        sys.exit(1)
    click.echo("Every open case waits for a person, a timer or a message, and its records agree.")


@cli.command(
    "retention", help="Apply the records-retention policy (SFO_RETENTION_YEARS, SFO_RETENTION_ACTION) to closed cases."
)
@click.option("--dry-run", "mode", flag_value="dry-run", help="List what the policy would do; change nothing.")
@click.option("--apply", "mode", flag_value="apply", help="Reduce or delete the cases the policy covers (audited).")
def retention_command(mode: str | None) -> None:
    from .services.retention import apply_policy, due_cases, policy_from_config

    if mode is None:
        click.echo("Error: say --dry-run to see what the policy would do, or --apply to do it.", err=True)
        sys.exit(2)
    with _app().app_context():
        try:
            policy = policy_from_config()
        except ServiceError as error:
            _fail(error)
        decisions = due_cases(policy) if mode == "dry-run" else apply_policy(policy)
    verb = {"reduce": "would be reduced", "delete": "would be deleted"} if mode == "dry-run" else {}
    done = {"reduce": "reduced", "delete": "deleted"}
    for d in decisions:
        note = " (published report: reduced, never deleted)" if d.published and policy.action == "delete" else ""
        action = verb.get(d.action) or done[d.action]
        click.echo(f"{d.reference} (case {d.instance_id}, {d.status} {d.closed_at:%Y-%m-%d}): {action}{note}")
    reduced = sum(d.action == "reduce" for d in decisions)
    summary = f"{reduced} reduced to anonymised statistics, {len(decisions) - reduced} deleted"
    prefix = "Dry run, nothing changed: " if mode == "dry-run" else "Applied: "
    click.echo(f"{prefix}{summary} (closed cases older than {policy.years} years; open cases are never touched).")


@cli.group("users", help="Manage users and API tokens.")
def users_group() -> None:
    pass


@users_group.command("create", help="Create a user; the password is read from standard input.")
@click.argument("username")
@click.option(
    "--role",
    required=True,
    help="provider, sfo-team, reviewer, quality-assurer, publication, manager, process-owner or admin",
)
@click.option("--group", "groups", multiple=True, help="An extra group (repeatable).")
@click.option("--org", "organisation", help="The organisation of a provider user.")
@click.option("--name", "display_name", default="", help="Full name shown in the service.")
@click.option("--email", help="Address for notifications.")
def users_create(
    username: str, role: str, groups: tuple[str, ...], organisation: str | None, display_name: str, email: str | None
) -> None:
    from .services.users import create_user

    password = _read_password()
    with _app().app_context():
        try:
            create_user(
                username,
                role,
                password,
                groups=groups,
                organisation=organisation,
                display_name=display_name,
                email=email,
            )
        except ServiceError as error:
            _fail(error)
    click.echo(f"Created {role} user {username}.")


def _read_password() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\n")


@users_group.command("token", help="Print a new API token for the user.")
@click.argument("username")
def users_token(username: str) -> None:
    from .services.users import issue_token

    with _app().app_context():
        try:
            token, row = issue_token(username)
        except ServiceError as error:
            _fail(error)
        click.echo(token)
        click.echo(f"Expires {row.expires_at:%Y-%m-%d %H:%M} UTC.", err=True)  # stdout stays just the token


register_account_commands(users_group)
cli.add_command(groups_group)


@cli.command(
    "deploy",
    help="Check, dry-run and deploy BPMN, DMN and form files (or folders of them, such as a SpiffArena "
    "process-model folder) as a new version.",
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--create-groups", is_flag=True, help="Create a group for every lane that names none.")
def deploy_command(paths: tuple[Path, ...], create_groups: bool) -> None:
    from .services.definitions import DEFINITION_SUFFIXES
    from .services.groups import create_groups_for, refuse_unknown_lanes
    from .services.modelling import METADATA, metadata_of, primary_process_of
    from .worker.dry_runs import deploy_here

    files: dict[str, bytes] = {}
    metadata: dict[str, Any] = {}
    for path in paths:
        candidates = sorted(path.iterdir()) if path.is_dir() else [path]
        for candidate in candidates:
            if candidate.is_file() and candidate.name == METADATA:
                metadata = {"content": candidate.read_bytes()}
            elif candidate.is_file() and candidate.suffix in DEFINITION_SUFFIXES:
                files[candidate.name] = candidate.read_bytes()
    app = _app()
    lines: list[str] = []
    with app.app_context():
        try:
            primary = primary_process_of(metadata_of(metadata["content"]), files) if metadata else None
            if create_groups:
                lines.extend(create_groups_for("cli", files))
            else:
                refuse_unknown_lanes(files)
            lines.extend(_deployed_lines(deploy_here(app, files, "cli", _progress_printer(), primary)))
        except ServiceError as error:
            _fail(error)
    for line in lines:
        click.echo(line)


def _deployed_lines(job: Any) -> list[str]:
    """What a deploy job did, as lines to print; a job that deployed nothing fails the command."""
    from .services.errors import Invalid

    if isinstance(job, str):
        return [job]
    if not job.finished:
        raise Invalid(f"The same files are being deployed by dry-run job {job.id}, which has not ended yet.")
    if not job.passed:
        raise Invalid(job.outcome or "Nothing was deployed.", job.problems)
    return [job.outcome, _dry_run_line(job.report)]


def _dry_run_line(report: dict[str, Any]) -> str:
    return (
        f"Dry run: explored {report['states']} states along {report['paths']} paths in {report['seconds']:.1f} s; "
        f"end events reached: {', '.join(report['reached']) or 'none'}; "
        f"not reached: {', '.join(report['unreached']) or 'none'}."
    )


def _progress_printer() -> Any:
    """Progress on standard error, for a person watching a terminal (scripts read standard output)."""
    if not sys.stderr.isatty():
        return None
    return lambda states, paths: click.echo(f"  dry run: {states} states, {paths} paths so far", err=True)


@cli.command("demo", help="Load demo users and demo cases at different stages (safe to run again).")
def demo_command() -> None:
    from .demo import load_demo

    with _app().app_context():
        try:
            for line in load_demo():
                click.echo(line)
        except ServiceError as error:
            _fail(error)


def main(argv: Any = None) -> None:
    cli(args=argv, prog_name="sfo")
