"""The migration that gives cases their providers (``case_provider``) backfills every case from before it
with its notifying provider, so providers keep seeing their cases after the upgrade."""

from __future__ import annotations

from tests.test_schema_commands import _execute, _sfo, empty_postgresql, fresh_database  # noqa: F401

BEFORE_CASE_PROVIDERS = "d5e1a7c3b920"


def test_the_upgrade_gives_each_case_its_notifying_provider(fresh_database):  # noqa: F811
    url = fresh_database
    assert _sfo(url, "init").returncode == 0
    done = _sfo(url, "db", "downgrade", BEFORE_CASE_PROVIDERS)
    assert done.returncode == 0, done.stderr[-2000:]
    [[(definition,)]] = _execute(url, "SELECT id FROM process_definition ORDER BY id LIMIT 1")
    for number, provider in ((1, "'north-probation'"), (2, "NULL")):
        _execute(
            url,
            "INSERT INTO process_instance (definition_id, process_key, business_key, status, provider_org, state,"
            " data, lock_version, created_by, created_at, updated_at) VALUES"
            f" ({definition}, 'small', 'SFO-OLD-{number}', 'waiting', {provider}, '', '{{}}', 1, 'seed',"
            " '2027-01-04 09:00:00', '2027-01-04 09:00:00')",
        )

    assert _sfo(url, "init").returncode == 0

    [rows] = _execute(
        url,
        "SELECT i.business_key, c.organisation, c.is_primary FROM case_provider c"
        " JOIN process_instance i ON i.id = c.instance_id ORDER BY i.business_key",
    )
    assert [(key, org, bool(primary)) for key, org, primary in rows] == [("SFO-OLD-1", "north-probation", True)]
