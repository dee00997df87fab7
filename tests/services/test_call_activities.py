"""Call activities to a process of another model: resolved within a process group imported as one zip,
or against the deployed processes (the latest version, or a pinned one), and kept with the caller's
version so a later version of the called process changes none of its cases."""

from __future__ import annotations

import io
import zipfile

import pytest

from app.services import instances, modelling
from app.services.definitions import deploy_files, latest_definition
from app.services.dry_runs import fresh_job
from app.services.errors import Invalid
from tests.conftest import DATA, make_user, model_files

GROUP = DATA / "spiffarena" / "group"
CALLER = model_files(GROUP / "caller")
GREETING = model_files(GROUP / "greeting")
LIMIT = 10_000_000


def _greeting(version: int) -> dict[str, bytes]:
    return {n: c.replace(b"version 1", f"version {version}".encode()) for n, c in GREETING.items()}


def _pinned(version: int) -> dict[str, bytes]:
    pin = (
        '<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="calledVersion" '
        f'value="{version}" /></spiffworkflow:properties></bpmn:extensionElements>'
    )
    bpmn = (
        CALLER["caller.bpmn"]
        .decode()
        .replace('calledElement="Process_greeting">', f'calledElement="Process_greeting">{pin}')
    )
    return {"caller.bpmn": bpmn.encode()}


def _greeting_of(files: dict[str, bytes], reference: str) -> str:
    deploy_files(files, "system")
    row = instances.start_case(make_user("sfo-team"), "Process_caller", reference, {})
    assert row.status == "completed", (row.status, row.error_message)
    return str(row.data["greeting"])


@pytest.fixture
def owner(app):  # type: ignore[no-untyped-def]
    return make_user("process-owner")


def test_a_call_to_a_process_no_model_declares_is_refused_at_the_checks(owner, deploy_checked):
    job = deploy_checked(owner, CALLER)
    assert job.status == "failed"
    assert "Process_greeting" in str(job.problems)


def test_a_call_resolves_against_the_latest_deployed_version(owner, deploy_checked):
    deploy_files(GREETING, "system")
    deploy_files(_greeting(2), "system")
    job = deploy_checked(owner, CALLER)
    assert job.status == "passed", job.problems
    definition = latest_definition("Process_caller")
    assert definition is not None and "version 2" in definition.bpmn["greeting.bpmn"]
    row = instances.start_case(make_user("sfo-team"), "Process_caller", "CALL-1", {})
    assert row.data["greeting"] == "hello, version 2"


def test_a_pinned_version_is_called_and_a_later_version_changes_no_deployed_caller(owner):
    deploy_files(GREETING, "system")
    deploy_files(_greeting(2), "system")
    from app.services.calls import deployed_lookup, with_called_processes

    pinned = with_called_processes(_pinned(1), deployed_lookup)
    assert _greeting_of(pinned, "CALL-2") == "hello, version 1"
    deploy_files(_greeting(3), "system")
    row = instances.start_case(make_user("sfo-team"), "Process_caller", "CALL-3", {})
    assert row.data["greeting"] == "hello, version 1"


def test_a_pin_to_a_version_that_does_not_exist_is_refused(owner):
    deploy_files(GREETING, "system")
    with pytest.raises(Invalid, match="version 7 of Process_greeting"):
        from app.services.dry_runs import queue_job

        queue_job(owner, "deploy", _pinned(7))


def test_a_process_group_zip_imports_every_model_and_resolves_calls_within_it(owner, dry_runs):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(GROUP.rglob("*")):
            if path.is_file():
                archive.writestr(f"group/{path.relative_to(GROUP)}", path.read_bytes())
    jobs = modelling.import_zip(owner, buffer.getvalue(), LIMIT)
    assert sorted(job.process_key for job in jobs) == ["Process_caller", "Process_greeting"]
    job_ids = [job.id for job in jobs]
    dry_runs()
    assert [fresh_job(job_id).status for job_id in job_ids] == ["passed", "passed"]
    row = instances.start_case(make_user("sfo-team"), "Process_caller", "CALL-4", {})
    assert row.data["greeting"] == "hello, version 1"


def test_a_single_model_zip_still_refuses_a_second_model(owner):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(GROUP.rglob("*")):
            if path.is_file():
                archive.writestr(f"group/{path.relative_to(GROUP)}", path.read_bytes())
    with pytest.raises(Invalid, match="more than one process model"):
        modelling.read_zip(buffer.getvalue(), LIMIT)
