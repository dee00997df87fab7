"""Moving a running instance's saved state onto another version of its process.

A saved state names the task spec of every task in it. It restores against another version's spec
when every one of those names exists there; the tasks the case is waiting at must exist too, or the
case would silently lose them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.util.task import TaskState

from .definitions import ProcessModel
from .runtime import Engine, Instance

ACTIVE = int(TaskState.READY | TaskState.WAITING | TaskState.STARTED)


@dataclass(frozen=True)
class MigrationCheck:
    eligible: bool
    reasons: tuple[str, ...]
    active: tuple[str, ...]


def _task_dicts(state: dict[str, Any]) -> list[dict[str, Any]]:
    tasks = list(state.get("tasks", {}).values())
    for sub in (state.get("subprocesses") or {}).values():
        tasks.extend(sub.get("tasks", {}).values())
    return tasks


def _spec_names(model: ProcessModel) -> set[str]:
    return {s.name for s in model.all_task_specs()}


def check_migration(state_json: str, target: ProcessModel) -> MigrationCheck:
    state = json.loads(state_json)
    names = _spec_names(target)
    tasks = _task_dicts(state)
    active = sorted({t["task_spec"] for t in tasks if int(t.get("state", 0)) & ACTIVE})
    missing_active = [n for n in active if n not in names]
    missing = sorted({t["task_spec"] for t in tasks} - names - set(missing_active))
    reasons = [f"the case waits at '{n}', which the new version does not have" for n in missing_active]
    reasons += [f"its history holds '{n}', which the new version does not have" for n in missing]
    return MigrationCheck(not reasons, tuple(reasons), tuple(active))


def migrate(engine: Engine, state_json: str, target: ProcessModel) -> Instance:
    """The instance restored against ``target``; raises ValueError when it cannot be."""
    check = check_migration(state_json, target)
    if not check.eligible:
        raise ValueError("; ".join(check.reasons))
    instance = engine.load(target, state_json)
    instance.workflow.refresh_timers()
    return instance
