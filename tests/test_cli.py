"""The ``sfo`` command line, run in-process against the test database (the test app is the click object)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app import worker
from app.cli import cli
from app.extensions import db
from app.models import DryRunJob, ProcessDefinition, User
from app.services import instances
from app.services.users import user_for_password, user_for_token
from tests.api import variants
from tests.conftest import DATA, make_user

PASSWORD = "a long enough password"


def sfo(app, *args: str, input: str | None = None):
    db.session.commit()  # the command works in its own session; leave nothing open in ours
    result = CliRunner().invoke(cli, list(args), obj=app, input=input)
    db.session.expire_all()
    return result


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_users_create_reads_the_password_from_stdin(app):
    result = sfo(
        app,
        "users",
        "create",
        "pat",
        "--role",
        "provider",
        "--org",
        "north-probation",
        "--group",
        "sfo-team",
        "--email",
        "pat@north.example",
        input=PASSWORD + "\n",
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == "Created provider user pat.\n"
    user = user_for_password("pat", PASSWORD)
    assert user is not None
    assert (user.role, user.organisation, user.email, user.group_names) == (
        "provider",
        "north-probation",
        "pat@north.example",
        {"provider", "sfo-team"},
    )


@pytest.mark.parametrize(
    ("arguments", "password", "message"),
    [
        (["--role", "wizard"], PASSWORD, "role: Choose one of: provider, sfo-team"),
        (["--role", "reviewer"], "short", "password: Use at least 10 characters."),
        (["--role", "provider"], PASSWORD, "organisation: A provider user needs an organisation (--org)."),
        (["--role", "reviewer", "--group", "wizards"], PASSWORD, "groups: Unknown group: wizards."),
    ],
)
def test_users_create_rejects_bad_input_and_creates_nothing(app, arguments, password, message):
    result = sfo(app, "users", "create", "sam", *arguments, input=password + "\n")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: The user could not be created.\n")
    assert message in result.stderr
    assert _count(User) == 0


def test_users_create_refuses_an_existing_username(app):
    make_user("reviewer", username="sam")
    result = sfo(app, "users", "create", "sam", "--role", "reviewer", input=PASSWORD + "\n")

    assert result.exit_code == 1
    assert "A user called sam already exists." in result.stderr
    assert _count(User) == 1


def test_users_token_prints_a_token_that_authenticates(app):
    make_user("manager", username="morgan")

    result = sfo(app, "users", "token", "morgan")

    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert user_for_token(token).username == "morgan"
    assert sfo(app, "users", "token", "morgan").stdout.strip() != token
    missing = sfo(app, "users", "token", "nobody")
    assert (missing.exit_code, missing.stderr) == (1, "Error: There is no user called nobody.\n")


def test_deploy_a_folder_then_again_unchanged(app):
    first = sfo(app, "deploy", str(DATA))
    assert first.exit_code == 0, first.output
    deployed, dry_run = first.stdout.splitlines()
    assert deployed.startswith("Deployed small version 1.")
    assert (
        dry_run.startswith("Dry run: explored ")
        and "end events reached: Done, Not an SFO; not reached: none." in dry_run
    )

    again = sfo(app, "deploy", str(DATA))
    assert again.exit_code == 0
    assert again.stdout.splitlines()[0] == "small is unchanged (version 1)."
    assert _count(ProcessDefinition) == 1
    jobs = db.session.scalars(select(DryRunJob).order_by(DryRunJob.id)).all()
    assert [(j.purpose, j.status, j.requested_by) for j in jobs] == [("deploy", "passed", "cli")] * 2
    assert all(j.child_pid not in (None, os.getpid()) for j in jobs)  # each ran in a child process


def test_deploy_runs_the_dry_run_and_refuses_a_model_that_never_ends(app, tmp_path):
    """Issue 14: sfo deploy skipped the dry run that the web deploy enforces."""
    (tmp_path / "stuck.bpmn").write_text(variants.dead_end())
    for name, content in variants.FORMS.items():
        (tmp_path / name).write_bytes(content)

    result = sfo(app, "deploy", str(tmp_path))

    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("Error: The process model has 3 problem(s); nothing was deployed.\n")
    assert "Dry run: Never ends" in result.stderr
    assert _count(ProcessDefinition) == 0


def test_deploy_of_a_bad_diagram_lists_the_problems_and_deploys_nothing(app, tmp_path):
    for source in (p for p in DATA.iterdir() if p.is_file()):
        (tmp_path / source.name).write_bytes(source.read_bytes())
    bpmn = tmp_path / "small.bpmn"
    text = bpmn.read_text()
    text = text.replace("triage_due = add_working_days(today(), 2)", "import os\ntriage_due = os.getcwd()")
    text = text.replace('value="triage.schema.json"', 'value="missing.schema.json"')
    bpmn.write_text(text)

    result = sfo(app, "deploy", str(tmp_path))

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: The process model has 2 problem(s); nothing was deployed.\n")
    assert "set_due: " in result.stderr and "imports are not allowed" in result.stderr
    assert "missing.schema.json" in result.stderr
    assert _count(ProcessDefinition) == 0


def test_worker_once_prints_what_it_did(app, small_definition, clock):
    provider = make_user("provider")
    instances.start_case(provider, small_definition.key, "SFO-1", {"provider_org": provider.organisation})
    clock.set(dt.datetime(2027, 3, 2, 9, tzinfo=dt.UTC))  # the triage reminder is due

    result = sfo(app, "worker", "--once")

    assert result.exit_code == 0, result.output
    assert result.stdout == "Timers fired on 1 case(s); 2 notification(s) sent.\n"
    assert sfo(app, "worker", "--once").stdout == "Timers fired on 0 case(s); 0 notification(s) sent.\n"


def test_worker_once_runs_the_queued_dry_runs(app, small_definition):
    from app.services.dry_runs import queue_job

    job = queue_job(make_user("process-owner"), "check", variants.files(variants.renamed("Queued")), "small")

    result = sfo(app, "worker", "--once")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "Dry runs finished: 1."
    assert db.session.get(DryRunJob, job.id).status == "passed"


def test_worker_stops_on_sigterm(app, monkeypatch):
    seen = []

    def run_forever(app, stop: threading.Event) -> None:
        seen.append(stop.is_set())
        signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None)  # as if the process manager sent SIGTERM
        seen.append(stop.is_set())

    monkeypatch.setattr(worker, "run_forever", run_forever)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        result = sfo(app, "worker")
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)

    assert result.exit_code == 0, result.output
    assert seen == [False, True]


def test_init_twice_is_safe(app, monkeypatch):
    monkeypatch.setitem(app.config, "SFO_BPMN_DIR", str(DATA))
    monkeypatch.setitem(app.config, "SFO_FORMS_DIR", str(DATA))

    first = sfo(app, "init")
    assert first.exit_code == 0, first.output
    schema, deployed, dry_run = first.stdout.splitlines()
    assert (schema, deployed.startswith("Deployed small version 1.")) == ("Database schema is up to date.", True)
    assert dry_run.startswith("Dry run: explored ")  # the library goes through the same checks and dry run

    second = sfo(app, "init")
    assert second.exit_code == 0, second.output
    assert second.stdout.splitlines() == ["Database schema is up to date.", "small is unchanged (version 1)."]
    assert _count(ProcessDefinition) == 1
    assert _count(DryRunJob) == 1  # an unchanged library is not dry-run again


def test_check_exits_non_zero_and_names_each_case_that_waits_for_nothing(app, monkeypatch):
    from app.services import progress
    from tests.services.test_consistency import _stalled_by_design

    assert sfo(app, "check").exit_code == 0
    monkeypatch.setattr(progress, "_stall_of", lambda row, instance: None)
    _stalled_by_design(app)
    monkeypatch.undo()

    result = sfo(app, "check")
    assert result.exit_code == 1
    assert result.stdout.startswith("STALL-1 (case ")
    assert "nothing to wait for" in result.stdout
    assert result.stderr == "1 case(s) need attention.\n"


def test_users_token_prints_only_the_token_and_its_expiry_on_stderr(app, clock):
    make_user("sfo-team", username="casey")
    result = sfo(app, "users", "token", "casey")
    assert result.exit_code == 0
    assert len(result.stdout.strip().splitlines()) == 1
    expected = clock.now() + dt.timedelta(days=90)
    assert f"Expires {expected:%Y-%m-%d}" in result.stderr


def test_users_tokens_lists_without_secrets_and_revoke_one_or_all(app, clock):
    make_user("sfo-team", username="casey")
    first = sfo(app, "users", "token", "casey").stdout.strip()
    second = sfo(app, "users", "token", "casey").stdout.strip()
    third = sfo(app, "users", "token", "casey").stdout.strip()
    listing = sfo(app, "users", "tokens", "casey")
    assert listing.exit_code == 0 and first not in listing.stdout and second not in listing.stdout
    ids = [line.split()[0] for line in listing.stdout.splitlines()[1:]]
    assert len(ids) == 3 and all(line.endswith("active") for line in listing.stdout.splitlines()[1:])
    assert sfo(app, "users", "revoke", "casey", "--token", ids[0]).stdout == "Revoked 1 token(s) of casey.\n"
    assert user_for_token(first) is None and user_for_token(second).username == "casey"
    assert "revoked by cli" in sfo(app, "users", "tokens", "casey").stdout
    assert sfo(app, "users", "revoke", "casey", "--all").stdout == "Revoked 2 token(s) of casey.\n"
    assert user_for_token(third) is None
    assert sfo(app, "users", "revoke", "casey").exit_code == 2  # neither --token nor --all
    assert sfo(app, "users", "revoke", "casey", "--token", ids[0], "--all").exit_code == 2
    assert sfo(app, "users", "revoke", "casey", "--token", ids[0]).exit_code == 1  # already revoked
    assert sfo(app, "users", "revoke", "casey", "--token", "99999999999").exit_code == 2


def test_users_tokens_shows_expired_tokens(app, clock):
    make_user("sfo-team", username="casey")
    token = sfo(app, "users", "token", "casey").stdout.strip()
    clock.advance(days=91)
    assert user_for_token(token) is None
    assert sfo(app, "users", "tokens", "casey").stdout.splitlines()[1].endswith("expired")


def test_users_disable_enable_and_reset_password(app):
    make_user("sfo-team", username="casey")
    token = sfo(app, "users", "token", "casey").stdout.strip()
    assert sfo(app, "users", "disable", "casey").stdout == "Disabled casey.\n"
    assert user_for_token(token) is None and user_for_password("casey", "correct horse battery") is None
    assert sfo(app, "users", "enable", "casey").stdout == "Enabled casey.\n"
    assert user_for_token(token).username == "casey"
    result = sfo(app, "users", "reset-password", "casey")
    one_time = result.stdout.strip()
    assert result.exit_code == 0 and len(one_time) >= 12 and "must choose a new password" in result.stderr
    user = user_for_password("casey", one_time)
    assert user is not None and user.must_change_password
    for command in ("disable", "enable", "reset-password", "tokens"):
        missing = sfo(app, "users", command, "nobody")
        assert missing.exit_code == 1 and "There is no user called nobody" in missing.stderr
