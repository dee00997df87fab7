"""The migration that gives cases their reference tails works them out for every case from before it, so the
anonymisation check still reads the cases whose reference a report may hold."""

from __future__ import annotations

from app.services.anonymisation import reference_tails
from tests.test_schema_commands import _execute, _sfo, empty_postgresql, fresh_database  # noqa: F401

BEFORE_REFERENCE_TAILS = "b7e2c4d9a160"


def test_the_upgrade_works_out_each_case_s_reference_tails(fresh_database):  # noqa: F811
    url = fresh_database
    assert _sfo(url, "init").returncode == 0
    done = _sfo(url, "db", "downgrade", BEFORE_REFERENCE_TAILS)
    assert done.returncode == 0, done.stderr[-2000:]
    [[(definition,)]] = _execute(url, "SELECT id FROM process_definition ORDER BY id LIMIT 1")
    references = ("SFO-2027-0042", "nps n 2O26 OO77", "AB")  # the last has no key: it can match no text
    for reference in references:
        _execute(
            url,
            "INSERT INTO process_instance (definition_id, process_key, business_key, status, state, data,"
            f" lock_version, created_by, created_at, updated_at) VALUES ({definition}, 'small', '{reference}',"
            " 'waiting', '', '{}', 1, 'seed', '2027-01-04 09:00:00', '2027-01-04 09:00:00')",
        )

    assert _sfo(url, "init").returncode == 0

    [rows] = _execute(
        url, "SELECT business_key, reference_tail, reference_tail_unpadded FROM process_instance ORDER BY id"
    )
    assert [tuple(row) for row in rows] == [(reference, *reference_tails(reference)) for reference in references]
    assert reference_tails("SFO-2027-0042") == ("0042", "2742") and reference_tails("AB") == ("", "")
