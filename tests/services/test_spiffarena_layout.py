"""Models move both ways with SpiffArena: the export writes a process-model folder SpiffArena reads, and
the import reads SpiffArena's folders (both form namings, primary_process_id honoured)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from app.services import modelling
from app.services.definitions import latest_definition
from app.services.errors import Invalid
from tests.conftest import DATA, make_user, model_files

LIMIT = 10_000_000
SPIFFARENA = DATA / "spiffarena"
# What SpiffArena writes to (and reads from) a process_model.json; its loader passes every key to its
# ProcessModelInfo dataclass, so any other key, or a `files` list of names, breaks its model list.
SPIFFARENA_KEYS = {
    "display_name",
    "description",
    "primary_file_name",
    "primary_process_id",
    "fault_or_suspend_on_exception",
    "exception_notification_addresses",
    "metadata_extraction_paths",
}


def folder_zip(folder: Path, metadata: dict | None = None) -> bytes:  # type: ignore[type-arg]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            content = path.read_bytes()
            if path.name == "process_model.json" and metadata is not None:
                content = json.dumps({**json.loads(content), **metadata}).encode()
            archive.writestr(f"{folder.name}/{path.name}", content)
    return buffer.getvalue()


def unzipped(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        return {info.filename: zipped.read(info) for info in zipped.infolist()}


@pytest.fixture
def owner(app):  # type: ignore[no-untyped-def]
    return make_user("process-owner")


def test_export_writes_only_spiffarena_keys_and_the_process_description(owner, sfo_definition):
    entries = unzipped(modelling.export_zip(owner, "sfo_review", 1))
    metadata = json.loads(entries["sfo_review/process_model.json"])
    assert set(metadata) <= SPIFFARENA_KEYS
    assert "files" not in metadata
    assert metadata["primary_process_id"] == "sfo_review" and metadata["primary_file_name"] == "sfo_review.bpmn"
    assert metadata["description"].startswith("Serious Further Offence review.")
    assert "First version" not in metadata["description"]  # not our change summary


def test_export_names_forms_as_spiffarena_pairs_them_and_the_diagram_follows(owner, sfo_definition):
    entries = unzipped(modelling.export_zip(owner, "sfo_review", 1))
    names = {name.split("/", 1)[1] for name in entries}
    assert "notification-schema.json" in names and "notification-uischema.json" in names
    assert not [n for n in names if n.endswith((".schema.json", ".uischema.json"))]
    bpmn = entries["sfo_review/sfo_review.bpmn"].decode()
    assert 'value="notification-schema.json"' in bpmn and 'value="notification-uischema.json"' in bpmn
    assert ".schema.json" not in bpmn and ".uischema.json" not in bpmn


def test_round_trip_export_import_gives_the_same_dry_run(owner, sfo_definition):
    original = modelling.check_and_dry_run(sfo_definition.files(), primary="sfo_review")
    metadata, files = modelling.read_zip(modelling.export_zip(owner, "sfo_review", 1), LIMIT)
    imported = modelling.check_and_dry_run(files, primary=modelling.primary_process_of(metadata, files))
    assert original.ok and imported.ok
    before, after = original.document()["report"], imported.document()["report"]
    for key in ("states", "paths", "reached", "unreached", "counts"):
        assert before[key] == after[key], key


def test_import_honours_primary_process_id(owner, deploy_checked, dry_runs):
    archive = folder_zip(SPIFFARENA / "two_processes")
    [job] = modelling.import_zip(owner, archive, LIMIT)
    assert job.process_key == "Process_main"
    dry_runs()
    definition = latest_definition("Process_main")
    assert definition is not None and definition.name == "Ask for a colour"
    assert latest_definition("Process_helper") is None


def test_import_refuses_a_primary_process_the_files_do_not_declare(owner):
    archive = folder_zip(SPIFFARENA / "two_processes", {"primary_process_id": "Process_missing"})
    with pytest.raises(Invalid) as refused:
        modelling.import_zip(owner, archive, LIMIT)
    assert "Process_missing" in refused.value.message and "process_model.json" in refused.value.fields


def test_import_reads_spiffarena_form_names_and_its_empty_file_list(owner):
    metadata, files = modelling.read_zip(folder_zip(SPIFFARENA / "two_processes"), LIMIT)
    assert metadata["files"] == []
    assert set(files) == {"two_processes.bpmn", "colour-schema.json", "colour-uischema.json"}
    result = modelling.check_and_dry_run(files, primary="Process_main")
    assert result.ok, result.problems
    assert result.key == "Process_main"


def test_an_older_export_listing_its_files_by_name_still_imports_only_those(owner):
    archive = folder_zip(SPIFFARENA / "two_processes", {"files": ["two_processes.bpmn", "colour-schema.json"]})
    _, files = modelling.read_zip(archive, LIMIT)
    assert set(files) == {"two_processes.bpmn", "colour-schema.json"}


def test_the_export_lists_the_functions_only_this_service_has(owner, sfo_definition):
    entries = unzipped(modelling.export_zip(owner, "sfo_review", 1))
    note = entries["sfo_review/README-sfo-functions.md"].decode()
    for name in ("today", "add_working_days", "due_reminder_at", "overdue_at", "notify"):
        assert f"`{name}()`" in note
    assert "store it, so timers read a variable" in note
    _, files = modelling.read_zip(modelling.export_zip(owner, "sfo_review", 1), LIMIT)
    assert "README-sfo-functions.md" not in files  # a note, not a model file: the import leaves it


def test_a_model_calling_none_of_them_exports_no_note(owner):
    from app.services.definitions import deploy_files

    deploy_files(modelling.spiffarena_form_names(model_files(SPIFFARENA / "two_processes")), "system")
    entries = unzipped(modelling.export_zip(owner, "Process_helper", 1))
    assert not [name for name in entries if name.endswith(".md")]


def test_only_the_processes_that_run_are_held_to_the_flow_checks(app):
    files = model_files(SPIFFARENA / "two_processes")
    stray = '<bpmn:task id="helper_stray" name="Never reached" />\n  </bpmn:process>'
    files["two_processes.bpmn"] = files["two_processes.bpmn"].decode().replace("</bpmn:process>", stray, 1).encode()
    assert modelling.check_and_dry_run(files, primary="Process_main").ok  # the helper does not run
    refused = modelling.check_and_dry_run(files, primary="Process_helper")
    assert "no path from a start event reaches this element" in str(refused.problems["two_processes.bpmn/helper_stray"])


def test_the_primary_process_may_sit_in_another_file_than_primary_file_name(owner):
    files = model_files(SPIFFARENA / "two_processes")
    files["other.bpmn"] = files["two_processes.bpmn"].replace(b"Process_main", b"Process_other")
    metadata = {"primary_file_name": "two_processes.bpmn", "primary_process_id": "Process_other"}
    assert modelling.primary_process_of(metadata, files) == "Process_other"
