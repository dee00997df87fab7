"""Call activities that call a process of another model: resolved when the caller is checked or
deployed, and the called process's files kept with the caller's version.

A call activity names the process it calls by its id (``calledElement``). When the caller's files do not
declare it, the files of that process come from elsewhere: the other models of the process group being
imported with it, else its latest deployed version, or the version a ``calledVersion`` property on the
call activity pins. They are added to the caller's files before the checks, so the dry run follows
the called process, and a deployed version runs the called process as it was when it was deployed: a
later version of the called process changes no case of the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..engine import DefinitionInvalid
from ..engine.definitions import BPMN_NS, parse_xml
from .errors import Invalid

CALLED_VERSION = "calledVersion"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
# (process id, pinned version or None) -> the files of the model that declares the process, or None
Lookup = Callable[[str, int | None], dict[str, bytes] | None]


def declared_processes(files: dict[str, bytes]) -> set[str]:
    found: set[str] = set()
    for root in _roots(files):
        found.update(p.get("id") for p in root.iter(f"{{{BPMN_NS}}}process") if p.get("id"))
    return found


def called_processes(files: dict[str, bytes]) -> dict[str, int | None]:
    """The processes the files' call activities call, with the version each pins (None: the latest)."""
    calls: dict[str, int | None] = {}
    for root in _roots(files):
        for activity in root.iter(f"{{{BPMN_NS}}}callActivity"):
            called = activity.get("calledElement")
            if called:
                calls[called] = _pinned(activity) or calls.get(called)
    return calls


def _pinned(activity: Any) -> int | None:
    for prop in activity.iter(f"{{{SPIFF_NS}}}property"):
        if prop.get("name") == CALLED_VERSION:
            value = (prop.get("value") or "").strip()
            return int(value) if value.isdigit() and int(value) > 0 else None
    return None


def _roots(files: dict[str, bytes]) -> list[Any]:
    roots = []
    for name in sorted(n for n in files if n.endswith(".bpmn")):
        try:
            roots.append(parse_xml(files[name], name))
        except DefinitionInvalid:
            continue  # the checks report it
    return roots


def with_called_processes(files: dict[str, bytes], lookup: Lookup) -> dict[str, bytes]:
    """The files with the files of every process their call activities call but do not declare (and of
    the processes those call, in turn). A call nothing resolves is left for the checks to report."""
    result = dict(files)
    tried: set[str] = set()
    while True:
        missing = {p: v for p, v in called_processes(result).items() if p not in declared_processes(result)}
        missing = {p: v for p, v in missing.items() if p not in tried}
        if not missing:
            return result
        for process_id, version in sorted(missing.items()):
            tried.add(process_id)
            found = lookup(process_id, version)
            if found is None:
                continue
            clashes = [n for n, c in found.items() if n in result and result[n] != c]
            if clashes:
                names = ", ".join(sorted(clashes))
                raise Invalid(
                    f"The process {process_id} that a call activity calls has files named like this model's.",
                    {
                        name: [f"Both this model and {process_id} have a different file called {name}."]
                        for name in clashes
                    }
                    | {"_files": [f"Rename {names} in one of the two models."]},
                )
            result.update(found)


def deployed_lookup(process_id: str, version: int | None) -> dict[str, bytes] | None:
    """The files of a deployed version of process ``process_id`` (the latest, or ``version``)."""
    from .definitions import get_definition_version, latest_definition
    from .errors import NotFound

    if version is None:
        definition = latest_definition(process_id)
        return definition.files() if definition is not None else None
    try:
        return get_definition_version(process_id, version).files()
    except NotFound:
        raise Invalid(
            f"A call activity pins version {version} of {process_id}, which does not exist.",
            {"_files": [f"Deploy {process_id} version {version} first, or change calledVersion."]},
        ) from None


def group_lookup(group: dict[str, dict[str, bytes]], fallback: Lookup) -> Lookup:
    """Look in the models of a process group being imported first (by their primary process), then
    ``fallback``."""

    def lookup(process_id: str, version: int | None) -> dict[str, bytes] | None:
        if version is None and process_id in group:
            return group[process_id]
        return fallback(process_id, version)

    return lookup
