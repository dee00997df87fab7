"""``sfo groups`` and ``sfo deploy`` of a SpiffArena folder whose lanes name groups that do not exist."""

from __future__ import annotations

from app.services.definitions import latest_definition
from app.services.groups import known_groups
from tests.conftest import DATA, make_user
from tests.test_cli import sfo

FINANCE = DATA / "spiffarena" / "finance_lanes"


def test_groups_are_created_mapped_and_given_members_from_the_shell(app):
    member = make_user("sfo-team")
    created = sfo(app, "groups", "create", "finance-team", "--title", "Finance team")
    assert created.exit_code == 0, created.output
    assert sfo(app, "groups", "map-lane", "Accounts", "finance-team").exit_code == 0
    assert sfo(app, "groups", "add-member", "finance-team", member.username).exit_code == 0
    listed = sfo(app, "groups", "list").stdout
    line = next(row for row in listed.splitlines() if row.startswith("finance-team\t"))
    assert member.username in line and "accounts" in line
    assert len(listed.splitlines()) == 7  # the six SFO groups and this one
    removed = sfo(app, "groups", "remove-member", "finance-team", member.username)
    assert removed.exit_code == 0
    after = sfo(app, "groups", "list").stdout.splitlines()
    assert next(row for row in after if row.startswith("finance-team\t")).endswith(
        "no members; lanes also called: accounts"
    )


def test_bad_group_commands_say_why_and_change_nothing(app):
    bad = sfo(app, "groups", "create", "Not An Id", "--title", "X")
    assert bad.exit_code == 1 and "group_id" in bad.stderr
    unknown = sfo(app, "groups", "add-member", "no-such-group", "someone")
    assert unknown.exit_code == 1 and "no group called no-such-group" in unknown.stderr
    assert len(known_groups().titles) == 6


def test_deploy_names_the_lanes_that_name_no_group_and_deploys_nothing(app):
    result = sfo(app, "deploy", str(FINANCE))
    assert result.exit_code == 1
    assert "lanes that name no group: Finance Team" in result.stderr
    assert latest_definition("Process_finance") is None


def test_deploy_with_create_groups_creates_them_and_deploys_the_primary_process(app):
    result = sfo(app, "deploy", "--create-groups", str(FINANCE))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Created the group finance-team for lanes called Finance Team."
    assert lines[1].startswith("Deployed Process_finance version 1.")
    assert known_groups().titles["finance-team"] == "Finance Team"
