"""Deploying process definitions as immutable versions, and reading them back."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from ..engine import DefinitionInvalid, ProcessModel, parse_process_model
from ..engine.definitions import main_bpmn_file as main_bpmn_file  # one rule for pages, API and export
from ..extensions import db
from ..models import AuditEvent, ProcessDefinition, User
from .access import may_start, reads_definitions
from .case_contract import missing_variables
from .errors import Forbidden, Invalid, NotFound
from .groups import KnownGroups, known_groups
from .runtime import now, runtime, transactional

DEFINITION_SUFFIXES = (".bpmn", ".dmn", ".json")


@dataclass(frozen=True)
class DeployResult:
    definition: ProcessDefinition
    created: bool
    summary: str


def checksum_of(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    return digest.hexdigest()


def read_library(*folders: str | Path) -> dict[str, bytes]:
    """The .bpmn, .dmn and form files of the given folders, by file name."""
    files: dict[str, bytes] = {}
    for folder in folders:
        for path in sorted(Path(folder).iterdir()):
            if path.is_file() and path.suffix in DEFINITION_SUFFIXES:
                files[path.name] = path.read_bytes()
    return files


def problems_as_fields(invalid: DefinitionInvalid) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for problem in invalid.problems:
        key = "/".join(part for part in (problem.file, problem.element_id) if part) or "_files"
        fields.setdefault(key, []).append(problem.message)
    return fields


def check_files(files: dict[str, bytes], primary: str | None = None, groups: KnownGroups | None = None) -> ProcessModel:
    """Parse and check uploaded files; raise Invalid listing every problem. ``primary`` names the
    process that runs, when the files declare more than one; lanes must name ``groups`` (by default
    the groups of the database)."""
    bad_names = [n for n in files if not n.endswith(DEFINITION_SUFFIXES) or "/" in n or n.startswith(".")]
    if bad_names:
        raise Invalid(
            "Only .bpmn, .dmn and .json files can be deployed.", {n: ["Unsupported file."] for n in bad_names}
        )
    undecodable = [n for n, c in files.items() if not _is_utf8(c)]
    if undecodable:
        raise Invalid("Files must be UTF-8 text.", {n: ["This file is not UTF-8 text."] for n in undecodable})
    refuse_nul_in_files(files)
    try:
        groups = groups or known_groups()
        model = parse_process_model(files, groups.titles, primary, groups.lane_names)
    except DefinitionInvalid as invalid:
        raise Invalid(
            f"The process definition has {len(invalid.problems)} problem(s).", problems_as_fields(invalid)
        ) from None
    missing = missing_variables(model)
    if missing:
        raise Invalid(
            f"The SFO process no longer sets {len(missing)} case variable(s) the service reads.",
            {
                name: [f"No form field or script sets '{name}' any more; the service reads it for {use}."]
                for name, use in missing.items()
            },
        )
    return model


def refuse_nul_in_files(files: dict[str, bytes]) -> None:
    """PostgreSQL stores the NUL character in neither text nor JSON, raw or (in a form) as ``\\u0000``."""
    holding = [n for n, c in files.items() if b"\x00" in c or (n.endswith(".json") and b"\\u0000" in c)]
    if holding:
        fields = {name: ["Remove the NUL character from this file."] for name in holding}
        raise Invalid("A file holds the NUL character.", fields)


def _is_utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def latest_definition(key: str) -> ProcessDefinition | None:
    return db.session.scalar(
        select(ProcessDefinition)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    )


def latest_with_files(files: dict[str, bytes]) -> ProcessDefinition | None:
    """The latest version of a process when it holds exactly these files (compared as stored), else None."""
    try:
        checksum = checksum_of(_canonical_files(files))
    except ValueError:  # a form that is not JSON: not a deployed version
        return None
    found = db.session.scalar(select(ProcessDefinition).where(ProcessDefinition.checksum == checksum).limit(1))
    if found is None:
        return None
    latest = latest_definition(found.key)
    return latest if latest is not None and latest.checksum == checksum else None


def main_bpmn(definition: ProcessDefinition) -> str | None:
    """The XML of the version's main BPMN file (the one a viewer draws), by ``main_bpmn_file``."""
    files = definition.bpmn or {}
    name = main_bpmn_file(files, definition.key)
    return files[name] if name else None


def get_latest_definition(key: str) -> ProcessDefinition:
    definition = latest_definition(key)
    if definition is None:
        raise NotFound(f"There is no process called {key}.")
    return definition


def get_definition_version(key: str, version: int) -> ProcessDefinition:
    definition = db.session.scalar(
        select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.version == version)
    )
    if definition is None:
        raise NotFound(f"Process {key} has no version {version}.")
    return definition


def list_latest_definitions() -> list[ProcessDefinition]:
    newest = (
        select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
        .group_by(ProcessDefinition.key)
        .subquery()
    )
    query = select(ProcessDefinition).join(
        newest, (ProcessDefinition.key == newest.c.key) & (ProcessDefinition.version == newest.c.version)
    )
    return list(db.session.scalars(query.order_by(ProcessDefinition.key)))


def list_readable_definitions(user: User) -> list[ProcessDefinition]:
    """Every process for those who read definitions; for anyone else, the processes they may start."""
    latest = list_latest_definitions()
    if reads_definitions(user):
        return latest
    return [definition for definition in latest if may_start(user, model_of(definition))]


def get_startable_definition(user: User, key: str) -> ProcessDefinition:
    """The latest version, for a reader of definitions or someone who may start the process."""
    definition = get_latest_definition(key)
    if not reads_definitions(user) and not may_start(user, model_of(definition)):
        raise Forbidden("You may read only the processes you can start.")
    return definition


def list_versions(key: str) -> list[ProcessDefinition]:
    versions = list(
        db.session.scalars(
            select(ProcessDefinition).where(ProcessDefinition.key == key).order_by(ProcessDefinition.version.desc())
        )
    )
    if not versions:
        raise NotFound(f"There is no process called {key}.")
    return versions


def model_of(definition: ProcessDefinition) -> ProcessModel:
    return runtime().model_for(definition)


def element_names(definition: ProcessDefinition, bpmn_ids: Iterable[str]) -> dict[str, str]:
    """The name each diagram element has in the definition (its id when it has none)."""
    model = model_of(definition)
    names = {}
    for bpmn_id in bpmn_ids:
        spec = model.element(bpmn_id)
        names[bpmn_id] = str(getattr(spec, "bpmn_name", None) or bpmn_id)
    return names


def _summarise_change(previous: ProcessDefinition | None, files: dict[str, bytes]) -> str:
    if previous is None:
        return f"First version ({len(files)} files)."
    before = previous.files()
    added = sorted(set(files) - set(before))
    removed = sorted(set(before) - set(files))
    changed = sorted(n for n in set(files) & set(before) if _normalised(files[n], n) != _normalised(before[n], n))
    parts = [
        f"{label}: {', '.join(names)}"
        for label, names in (("added", added), ("removed", removed), ("changed", changed))
        if names
    ]
    return "; ".join(parts) + "." if parts else "No file changed."


def _normalised(content: bytes, name: str) -> bytes:
    if name.endswith(".json"):
        return json.dumps(json.loads(content), sort_keys=True).encode()
    return content


@transactional
def deploy_files(
    files: dict[str, bytes], deployed_by: str, change_details: str = "", primary: str | None = None
) -> DeployResult:
    """Deploy the files as version N+1 of their process, unless they equal the latest version;
    ``change_details`` (what changed inside the files) is added to the change summary. The checks only:
    the pages, the API and the CLI deploy through a dry-run job (services/dry_runs.py), which runs the
    dry run first and then calls ``add_version``."""
    return add_version(files, deployed_by, change_details, primary)


def add_version(
    files: dict[str, bytes], deployed_by: str, change_details: str = "", primary: str | None = None
) -> DeployResult:
    """``deploy_files`` inside the caller's transaction."""
    model = check_files(files, primary)
    files = _canonical_files(files)
    checksum = checksum_of(files)
    previous = latest_definition(model.key)
    if previous is not None and previous.checksum == checksum:
        return DeployResult(previous, False, f"{model.key} is unchanged (version {previous.version}).")
    summary = " ".join(part for part in (_summarise_change(previous, files), change_details) if part)
    definition = ProcessDefinition(
        key=model.key,
        version=(previous.version + 1) if previous else 1,
        name=model.name,
        bpmn={n: files[n].decode() for n in files if n.endswith(".bpmn")},
        dmn={n: files[n].decode() for n in files if n.endswith(".dmn")},
        forms={n: json.loads(files[n]) for n in files if n.endswith(".json")},
        checksum=checksum,
        change_summary=summary,
        deployed_by=deployed_by,
        deployed_at=now(),
    )
    db.session.add(definition)
    db.session.flush()
    db.session.add(
        AuditEvent(
            instance_id=None,
            occurred_at=now(),
            actor=deployed_by,
            kind="definition-deployed",
            summary=f"Deployed {model.key} version {definition.version}. {summary}",
            detail={"key": model.key, "version": definition.version, "checksum": checksum},
        )
    )
    return DeployResult(definition, True, f"Deployed {model.key} version {definition.version}. {summary}")


def _canonical_files(files: dict[str, bytes]) -> dict[str, bytes]:
    """Forms are stored as parsed JSON, so compare and checksum them in one canonical spelling."""
    return {n: (_normalised(c, n) if n.endswith(".json") else c) for n, c in files.items()}
