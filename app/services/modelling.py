"""The process owner's use cases: drafts, checks and dry run before deploy, deploy, compare, migrate,
import and export in the SpiffArena process-model layout."""

from __future__ import annotations

import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from ..engine import DefinitionInvalid
from ..engine.compare import Comparison, compare
from ..engine.definitions import executable_process_ids, process_documentation
from ..engine.dryrun import DRY_RUN_START, DryRunReport, Progress, dry_run, timer_problems
from ..engine.migration import MigrationCheck, check_migration, migrate
from ..extensions import db
from ..form_model.files import is_ui_schema
from ..models import ProcessDefinition, ProcessDraft, ProcessInstance, Task, User
from ..models.instances import OPEN_STATUSES
from ..working_days import as_date
from .access import DEPLOYING_ROLES, require_role
from .audit import record_event
from .calls import deployed_lookup, group_lookup, with_called_processes
from .definitions import (
    DEFINITION_SUFFIXES,
    check_files,
    get_definition_version,
    get_latest_definition,
    latest_definition,
    list_latest_definitions,
    list_versions,
    main_bpmn_file,
    problems_as_fields,
    refuse_nul_in_files,
)
from .errors import Invalid, NotFound
from .groups import KnownGroups
from .progress import save, task_title
from .runtime import now, runtime, transactional
from .sample_data import sample_for

MAX_IMPORT_FILES = 200
METADATA = "process_model.json"


def require_owner(user: User) -> None:
    require_role(user, DEPLOYING_ROLES, "edit and deploy process models")


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionRow:
    definition: ProcessDefinition
    open_cases: int


def running_counts(key: str) -> dict[int, int]:
    """Open cases per version number of a process."""
    query = (
        select(ProcessDefinition.version, func.count(ProcessInstance.id))
        .join(ProcessInstance, ProcessInstance.definition_id == ProcessDefinition.id)
        .where(ProcessDefinition.key == key, ProcessInstance.status.in_(OPEN_STATUSES))
        .group_by(ProcessDefinition.version)
    )
    return {version: count for version, count in db.session.execute(query)}


def process_list(user: User) -> list[tuple[ProcessDefinition, dict[int, int]]]:
    require_owner(user)
    return [(d, running_counts(d.key)) for d in list_latest_definitions()]


def version_history(user: User, key: str) -> list[VersionRow]:
    require_owner(user)
    counts = running_counts(key)
    return [VersionRow(d, counts.get(d.version, 0)) for d in list_versions(key)]


def version_files(user: User, key: str, version: int) -> dict[str, bytes]:
    require_owner(user)
    return get_definition_version(key, version).files()


def version_file(user: User, key: str, version: int, name: str) -> bytes:
    files = version_files(user, key, version)
    if name not in files:
        raise NotFound(f"Version {version} of {key} has no file called {name}.")
    return files[name]


# --- drafts ------------------------------------------------------------------------------------


def get_draft(key: str) -> ProcessDraft | None:
    return db.session.get(ProcessDraft, key)


def working_files(user: User, key: str) -> dict[str, bytes]:
    """The draft's files, or the latest version's when there is no draft."""
    require_owner(user)
    draft = get_draft(key)
    if draft is not None:
        return {name: text.encode() for name, text in draft.files.items()}
    return get_latest_definition(key).files()


@transactional
def save_draft(user: User, key: str, changed: dict[str, bytes], removed: tuple[str, ...] = ()) -> ProcessDraft:
    """Replace (or add) whole files in the process's draft; started from the latest version."""
    require_owner(user)
    _check_names(changed)
    refuse_nul_in_files(changed)
    files = working_files(user, key)
    files.update(changed)
    for name in removed:
        files.pop(name, None)
    draft = get_draft(key) or ProcessDraft(key=key, base_version=get_latest_definition(key).version)
    draft.files = {name: _text(content, name) for name, content in files.items()}
    draft.updated_by, draft.updated_at = user.username, now()
    db.session.add(draft)
    return draft


@transactional
def discard_draft(user: User, key: str) -> None:
    require_owner(user)
    draft = get_draft(key)
    if draft is not None:
        db.session.delete(draft)


def _check_names(files: dict[str, bytes]) -> None:
    bad = [n for n in files if not n.endswith(DEFINITION_SUFFIXES) or "/" in n or "\\" in n or n.startswith(".")]
    if bad:
        raise Invalid("Only .bpmn, .dmn and .json files can be added.", {n: ["Unsupported file."] for n in bad})


def _text(content: bytes, name: str) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("Files must be UTF-8 text.", {name: ["This file is not UTF-8 text."]}) from None


# --- checks and the dry run --------------------------------------------------------------------


@dataclass
class CheckResult:
    problems: dict[str, list[str]]
    report: DryRunReport | None
    key: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.report is not None and self.report.ok

    def document(self) -> dict[str, Any]:
        """The result as JSON, as a dry-run job keeps it and the job page and API show it."""
        return {"key": self.key, "problems": self.problems, "report": summarise(self.report) if self.report else None}


def summarise(report: DryRunReport) -> dict[str, Any]:
    return {
        "states": report.states,
        "paths": len(report.paths),
        "seconds": round(report.seconds, 2),
        "truncated": report.truncated,
        "reached": report.reached,
        "unreached": report.unreached,
        "counts": report.counts(),
        "examples": [
            {"description": p.describe(), "steps": [str(s) for s in p.steps], "blocking": p.blocking}
            for p in report.example_paths()
        ],
    }


def check_and_dry_run(
    files: dict[str, bytes],
    progress: Progress | None = None,
    primary: str | None = None,
    groups: KnownGroups | None = None,
) -> CheckResult:
    """Every check, then (when they pass) the dry run; never raises for a bad model. Diagram code runs
    here: call it only in a dry-run job's child process (app/worker/dry_run_child.py), under its limits.
    ``primary`` names the process that runs, when the files declare more than one; ``groups`` are the
    groups lanes may name (the child reads them from the database before it runs this)."""
    try:
        model = check_files(files, primary, groups)
    except Invalid as invalid:
        return CheckResult(invalid.fields or {"_files": [invalid.message]}, None)
    data = sample_data_for(model)
    timers = timer_problems(model, data, DRY_RUN_START)
    if timers:
        return CheckResult(problems_as_fields(DefinitionInvalid(timers)), None, model.key)
    start = model.start_form()
    start_data = sample_for(start.schema, {}, as_date(DRY_RUN_START)) if start else {}
    report = dry_run(model, start_data, sample_for, progress=progress)
    problems: dict[str, list[str]] = {}
    for path in report.blocking:
        problems.setdefault(path.element_id or "_dry_run", []).append(f"Dry run: {path.describe()}")
    return CheckResult(problems, report, model.key)


def sample_data_for(model: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, form in sorted(model.forms.items()):
        if not is_ui_schema(name):
            data.update(sample_for(form, {}, as_date(DRY_RUN_START)))
    return data


# --- compare -----------------------------------------------------------------------------------


def files_of(definition: ProcessDefinition) -> dict[str, Any]:
    return {"bpmn": definition.bpmn, "dmn": definition.dmn, "forms": definition.forms}


def compare_versions(user: User, key: str, old: int, new: int) -> Comparison:
    require_owner(user)
    return compare(files_of(get_definition_version(key, old)), files_of(get_definition_version(key, new)))


def element_changes(key: str | None, files: dict[str, bytes]) -> str:
    """What changed inside the files since the latest version of their process, for the audit trail."""
    previous = latest_definition(key) if key else None
    split = _split(files)
    if previous is None or split is None:
        return ""
    try:
        comparison = compare(files_of(previous), split)
    except DefinitionInvalid:
        return ""
    changed = [c.element_id for c in comparison.elements][:20]
    return f"Elements: {comparison.summary()}" + (f" ({', '.join(changed)})" if changed else "")


def _split(files: dict[str, bytes]) -> dict[str, Any] | None:
    split: dict[str, Any] = {"bpmn": {}, "dmn": {}, "forms": {}}
    for name, content in files.items():
        group = "bpmn" if name.endswith(".bpmn") else "dmn" if name.endswith(".dmn") else "forms"
        try:
            split[group][name] = json.loads(content) if group == "forms" else content.decode()
        except ValueError:
            return None
    return split


def compare_draft(user: User, key: str) -> Comparison | None:
    """The draft's changes from the latest version; None while the draft cannot be read."""
    return compare_files(user, key, working_files(user, key))


def compare_files(user: User, key: str, files: dict[str, bytes]) -> Comparison | None:
    """What ``files`` change from the latest version of ``key``; None when they cannot be read (or the
    process has no version yet)."""
    require_owner(user)
    latest = latest_definition(key)
    split = _split(files)
    if latest is None or split is None:
        return None
    try:
        return compare(files_of(latest), split)
    except DefinitionInvalid:
        return None


def has_versions(key: str) -> bool:
    return latest_definition(key) is not None


# --- migration ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MigrationRow:
    instance: ProcessInstance
    check: MigrationCheck


def open_instances(key: str, below: int) -> list[ProcessInstance]:
    query = (
        select(ProcessInstance)
        .join(ProcessInstance.definition)
        .where(
            ProcessInstance.process_key == key,
            ProcessInstance.status.in_(OPEN_STATUSES),
            ProcessDefinition.version < below,
        )
        .order_by(ProcessInstance.id)
    )
    return list(db.session.scalars(query))


def migration_preview(user: User, key: str, version: int) -> list[MigrationRow]:
    require_owner(user)
    target = runtime().model_for(get_definition_version(key, version))
    return [MigrationRow(row, check_migration(row.state, target)) for row in open_instances(key, version)]


@transactional
def migrate_instances(
    user: User, key: str, version: int, instance_ids: list[int] | None = None
) -> tuple[list[int], dict[int, str]]:
    """Move the chosen (or all eligible) open cases to ``version``; returns (moved, refused with why)."""
    require_owner(user)
    definition = get_definition_version(key, version)
    target = runtime().model_for(definition)
    moved, refused = [], {}
    for row in open_instances(key, version):
        if instance_ids is not None and row.id not in instance_ids:
            continue
        check = check_migration(row.state, target)
        if not check.eligible:
            refused[row.id] = "; ".join(check.reasons)
            continue
        old_version = row.definition.version
        instance = migrate(runtime().engine, row.state, target)
        row.definition_id, row.definition = definition.id, definition
        save(row, instance, user.username)
        for human in instance.ready_human_tasks():
            task = db.session.get(Task, human.id)
            if task is not None and task.state == "ready":
                task.name = task_title(human)
        record_event(
            row,
            user.username,
            "migrated",
            f"Moved from version {old_version} to version {version}.",
            from_version=old_version,
            to_version=version,
        )
        moved.append(row.id)
    if instance_ids is not None:
        for missing in set(instance_ids) - set(moved) - set(refused):
            refused[missing] = "the case is not open on an older version of this process"
    return moved, refused


# --- import and export (SpiffArena process-model folder) ---------------------------------------


def export_zip(user: User, key: str, version: int) -> bytes:
    """A version as a SpiffArena process-model folder: a process_model.json with SpiffArena's keys only
    (it builds its own file list from the folder), and forms named as its editor pairs them."""
    require_owner(user)
    definition = get_definition_version(key, version)
    files = spiffarena_form_names(definition.files())
    primary = main_bpmn_file(definition.bpmn, definition.key)
    description = process_documentation(files[primary], definition.key) if primary else ""
    metadata: dict[str, Any] = {
        "display_name": definition.name,
        "description": description or definition.name,
        "primary_file_name": primary,
        "primary_process_id": definition.key,
        "fault_or_suspend_on_exception": "fault",
        "exception_notification_addresses": [],
        "metadata_extraction_paths": None,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            content = files[name]
            if name.endswith(".json"):
                content = json.dumps(json.loads(content), indent=2).encode()
            archive.writestr(f"{key}/{name}", content)
        archive.writestr(f"{key}/{METADATA}", json.dumps(metadata, indent=2))
        notes = service_only_functions(files)
        if notes:
            archive.writestr(f"{key}/{FUNCTIONS_NOTE}", notes)
    return buffer.getvalue()


FUNCTIONS_NOTE = "README-sfo-functions.md"
# The functions diagram code may call here that SpiffArena lacks, with what to write there instead.
SERVICE_ONLY_FUNCTIONS = {
    "today": "today's date in London as ISO text: `datetime.now().date().isoformat()` (SpiffArena's clock)",
    "now": "the date-time now as ISO text: `datetime.now().isoformat()`",
    "add_working_days": "a date plus working days (England and Wales bank holidays skipped): no equivalent; "
    "compute the deadline in a script task and store it, so timers read a variable",
    "working_days_between": "working days between two dates: no equivalent",
    "is_working_day": "whether a date is a working day: no equivalent",
    "due_reminder_at": "when a deadline's reminder fires: no equivalent; store the moment in a variable",
    "overdue_at": "when a deadline is overdue: no equivalent; store the moment in a variable",
    "add_months": "a date plus months: `(datetime.fromisoformat(day) + timedelta(days=30 * months))` approximately",
    "notify": "a notice to a person or group: a message end event or a service task of SpiffArena's connectors",
}


def service_only_functions(files: dict[str, bytes]) -> str:
    """A note listing the functions the model's diagrams call that only this service has (with a portable
    equivalent where there is one); "" when it calls none."""
    text = "\n".join(c.decode("utf-8", "replace") for n, c in sorted(files.items()) if n.endswith((".bpmn", ".dmn")))
    used = [name for name in SERVICE_ONLY_FUNCTIONS if re.search(rf"\b{name}\(", text)]
    if not used:
        return ""
    lines = [
        "# Functions only the SFO review service has",
        "",
        "This model's scripts, conditions or timers call these functions, which SpiffArena does not offer.",
        "",
    ]
    lines += [f"- `{name}()`: {SERVICE_ONLY_FUNCTIONS[name]}" for name in used]
    return "\n".join(lines) + "\n"


# Our forms are x.schema.json and x.uischema.json; SpiffArena's form editor pairs x-schema.json with
# x-uischema.json. Both are read on import; the export writes SpiffArena's.
_SPIFFARENA_FORM_SUFFIXES = ((".uischema.json", "-uischema.json"), (".schema.json", "-schema.json"))


def spiffarena_form_names(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files with forms renamed to SpiffArena's convention and the diagrams' references to them
    changed to match (a name is only renamed when the new name is free)."""
    renamed: dict[str, str] = {}
    for name in files:
        for ours, theirs in _SPIFFARENA_FORM_SUFFIXES:
            if name.endswith(ours):
                new = name[: -len(ours)] + theirs
                if new not in files:
                    renamed[name] = new
                break
    result: dict[str, bytes] = {}
    for name, content in files.items():
        if name.endswith(".bpmn"):
            for old, new in renamed.items():
                content = content.replace(f'"{old}"'.encode(), f'"{new}"'.encode())
        result[renamed.get(name, name)] = content
    return result


def read_zip(content: bytes, limit: int) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The metadata and model files of a process-model folder zip (files may sit in one folder)."""
    models = read_models_zip(content, limit)
    if len(models) > 1:
        raise Invalid(
            "The archive holds more than one process model.",
            {"archive": ["Import a process group zip through the page that adds a process model."]},
        )
    return models[0]


def read_models_zip(content: bytes, limit: int) -> list[tuple[dict[str, Any], dict[str, bytes]]]:
    """Each process-model folder of a zip (one folder, or a process group: folders of folders), as its
    metadata and model files; a folder is a model when it holds a process_model.json."""
    archive = _open_zip(content)
    entries = [i for i in archive.infolist() if not i.is_dir() and "__MACOSX" not in i.filename]
    if len(entries) > MAX_IMPORT_FILES or sum(i.file_size for i in entries) > limit:
        raise Invalid(
            "The archive is too large.", {"archive": [f"At most {MAX_IMPORT_FILES} files and {limit} bytes unpacked."]}
        )
    backslashed = [i.filename for i in entries if "\\" in i.filename]
    if backslashed:
        # Windows tools write "folder\\file"; elsewhere it names a file outside the folder. Ask for a clean zip.
        raise Invalid(
            "The archive has file names with backslashes.",
            {name: ["A backslash in a file name: make the zip again with / between folders."] for name in backslashed},
        )
    folders: dict[str, tuple[dict[str, Any] | None, dict[str, bytes]]] = {}
    model_folders = {i.filename.rpartition("/")[0] for i in entries if i.filename.rpartition("/")[2] == METADATA}
    for info in entries:
        folder, _, name = info.filename.rpartition("/")
        if len(model_folders) <= 1:
            folder = ""  # one model: its files may sit in any folder of the archive
        metadata, files = folders.setdefault(folder, (None, {}))
        if name == METADATA:
            folders[folder] = (metadata_of(_read_entry(archive, info)), files)
        elif name.endswith(DEFINITION_SUFFIXES):
            if name in files:
                raise Invalid("The archive holds a file twice.", {name: ["This file name appears twice."]})
            files[name] = _read_entry(archive, info)
    models = [(m, _listed(m, f)) for _, (m, f) in sorted(folders.items()) if m is not None]
    if not models:
        raise Invalid(
            "The archive has no process_model.json.", {"archive": ["A process model folder has a process_model.json."]}
        )
    return models


def _listed(metadata: dict[str, Any], files: dict[str, bytes]) -> dict[str, bytes]:
    listed = metadata.get("files")
    if isinstance(listed, list) and listed and all(isinstance(n, str) for n in listed):
        # an export of this service before it wrote SpiffArena's layout listed its files by name;
        # SpiffArena itself writes an empty list (or none) and reads the folder
        return {n: c for n, c in files.items() if n in listed}
    return files


def _open_zip(content: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise Invalid(
            "The file is not a zip archive.", {"archive": ["Choose a .zip of a process model folder."]}
        ) from None


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """An entry's content; a damaged entry (bad CRC, corrupt compressed data, unknown method) is refused."""
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, ValueError, EOFError, OSError):
        raise Invalid(
            "The archive is damaged.", {info.filename: ["This file cannot be unpacked: make the zip again."]}
        ) from None


def metadata_of(data: bytes) -> dict[str, Any]:
    """A process_model.json, checked as far as this service reads it."""
    try:
        metadata = json.loads(data)
    except ValueError:
        raise Invalid("process_model.json is not valid JSON.", {METADATA: ["Not valid JSON."]}) from None
    if not isinstance(metadata, dict):
        raise Invalid("process_model.json is not a JSON object.", {METADATA: ["It must hold a JSON object {...}."]})
    process_id = metadata.get("primary_process_id")
    if process_id is not None and not isinstance(process_id, str):
        raise Invalid("process_model.json is not as expected.", {METADATA: ["primary_process_id must be text."]})
    return metadata


def import_zip(user: User, content: bytes, limit: int) -> list[Any]:
    """Queue the import of a process-model folder, or of every model of a process group, each as a new
    process: a deploy job, checked and dry-run like any deploy. A call activity to a process of another
    model of the group is resolved within the group. Every model is checked for a clash before any job
    is queued. Returns the jobs."""
    from .dry_runs import queue_job

    require_owner(user)
    models = read_models_zip(content, limit)
    group = {pid: files for _, files in models for pid in _executable_processes(files)}
    lookup = group_lookup(group, deployed_lookup)
    plans = []
    for metadata, files in models:
        process_id = primary_process_of(metadata, files) or next(iter(_executable_processes(files)), None)
        if process_id and db.session.scalar(
            select(ProcessDefinition.id).where(ProcessDefinition.key == process_id).limit(1)
        ):
            raise Invalid(
                f"A process called {process_id} exists already.",
                {"archive": [f"{process_id} exists: open it and upload its files to make a new version."]},
            )
        plans.append((process_id, with_called_processes(files, lookup)))
    return [queue_job(user, "deploy", files, process_id) for process_id, files in plans]


def _executable_processes(files: dict[str, bytes]) -> list[str]:
    return [p for name in sorted(files) if name.endswith(".bpmn") for p in executable_process_ids(files[name])]


def primary_process_of(metadata: dict[str, Any], files: dict[str, bytes]) -> str | None:
    """The process an imported folder runs: its ``primary_process_id``, which must be an executable
    process of its files. (SpiffArena runs that process whichever file declares it: its
    ``primary_file_name`` may name another file.)"""
    process_id = metadata.get("primary_process_id")
    if not process_id:
        return None
    if process_id not in _executable_processes(files):
        raise Invalid(
            f"process_model.json names a primary process {process_id} that the .bpmn files do not declare.",
            {METADATA: [f"primary_process_id {process_id} is not an executable process of the .bpmn files."]},
        )
    return str(process_id)
