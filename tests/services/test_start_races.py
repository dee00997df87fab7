"""Two cases started at the same moment under one reference, in two processes (PostgreSQL).

A reference names one case whatever its process (pages, messages and people name a case by it alone), so the
second start must be refused as it is when the first has finished. The first start is held after it found
the reference free and before its case is written; the second then runs until it finishes or waits for a
lock the first has, and only then is the first let go: the database decides, not the threads' timing.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ProcessInstance
from app.services import instances
from app.services.definitions import deploy_files, read_library
from app.services.errors import Conflict
from app.services.users import get_user
from tests.conftest import DATA, make_user
from tests.services.races import first_held_at

pytestmark = pytest.mark.usefixtures("postgresql")


def _second_process(folder) -> str:  # type: ignore[no-untyped-def]
    """The small process again, under another key."""
    for source in (p for p in DATA.iterdir() if p.is_file()):
        (folder / source.name).write_bytes(source.read_bytes())
    bpmn = folder / "small.bpmn"
    bpmn.write_text(bpmn.read_text().replace('<bpmn:process id="small"', '<bpmn:process id="small_two"'))
    return deploy_files(read_library(folder), "system").definition.key


def test_one_reference_started_in_two_processes_at_once_names_one_case(app, small_definition, tmp_path, monkeypatch):
    other_key = _second_process(tmp_path)
    assert other_key != small_definition.key
    provider = make_user("provider").username

    def start(key: str) -> int:
        user = get_user(provider)
        return instances.start_case(user, key, "SFO-SAME", {"provider_org": user.organisation}).id

    # the first start is held once it found the reference free, before its case is written
    results = first_held_at(
        app,
        monkeypatch,
        instances,
        "_definition_for_new_case",
        lambda: start(small_definition.key),
        lambda: start(other_key),
    )

    cases = db.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == "SFO-SAME")).all()
    assert len(cases) == 1, [(c.id, c.process_key) for c in cases]
    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    [refused] = [value for kind, value in results if kind == "error"]
    assert isinstance(refused, Conflict) and "cannot be used for a new case" in refused.message, refused
