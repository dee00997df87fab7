"""A dry run's result remembered for the rest of the test session, for exactly the same inputs.

The full SFO library takes tens of seconds to check and dry-run, and many tests deploy or check it (or the
same small variant) only to get on to what they are about. ``check_and_dry_run`` is a function of its
inputs alone (the files, the primary process, the known groups) and of the process's limits on CPU and
memory, which decide whether a hostile script fails: the key holds all of them, so a remembered result is
the one the dry run would give again (only its "seconds" are those of the first run).

It applies in the test process and in the dry-run jobs' children: the fork server imports this module
after ``app.worker.dry_run_child`` (see tests/conftest.py), so every child forked from it remembers
through the same folder. Tests about the dry-run machinery itself (progress, limits, time-outs) are
marked ``real_dry_runs``; while one runs, the folder holds an ``off-`` file and every dry run is real.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import resource
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.services import modelling
from app.services.groups import KnownGroups, known_groups
from app.worker import dry_run_child

FOLDER = "SFO_TEST_DRY_RUN_MEMO"  # the environment variable that names the folder; unset: no memo
Check = Callable[..., modelling.CheckResult]


def folder() -> Path | None:
    name = os.environ.get(FOLDER)
    return Path(name) if name else None


def off_switch(memo: Path) -> Path:
    """While this file exists, this test process's dry runs (and its children's) are all real. One for
    each pytest-xdist worker, which share the folder: one worker's test about the machinery leaves the
    other's tests remembering."""
    return memo / f"off-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


def _key(files: dict[str, bytes], primary: str | None, groups: KnownGroups) -> str:
    known = (list(groups.titles.items()), list(groups.lane_names.items()))
    limits = (resource.getrlimit(resource.RLIMIT_CPU), resource.getrlimit(resource.RLIMIT_AS))
    inputs = (sorted(files.items()), primary, known, limits)
    return hashlib.sha256(pickle.dumps(inputs, protocol=5)).hexdigest()


def remembered(check: Check) -> Check:
    """``check`` (check_and_dry_run), answering from the folder when it has run on the same inputs."""

    def check_and_dry_run(
        files: dict[str, bytes], progress: Any = None, primary: str | None = None, groups: Any = None
    ) -> modelling.CheckResult:
        memo = folder()
        if memo is None or off_switch(memo).exists():
            return check(files, progress, primary, groups)
        if groups is None:  # the checks would read them from the database: part of the inputs
            groups = known_groups()
        path = memo / _key(files, primary, groups)
        try:
            return pickle.loads(path.read_bytes())
        except FileNotFoundError:
            pass
        result = check(files, progress, primary, groups)
        partial = path.with_name(f"{path.name}.{os.getpid()}")
        partial.write_bytes(pickle.dumps(result, protocol=5))
        partial.replace(path)  # whole or absent for a reader in another process
        return result

    check_and_dry_run.remembers = check  # type: ignore[attr-defined]
    return check_and_dry_run


# Imported by the fork server: its children remember.
if not hasattr(dry_run_child.check_and_dry_run, "remembers"):
    dry_run_child.check_and_dry_run = remembered(dry_run_child.check_and_dry_run)
