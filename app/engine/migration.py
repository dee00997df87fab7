"""Moving a running instance's saved state onto another version of its process.

A saved state names the task spec of every task in it, per process: the top-level process, and each
sub-process (a stage) that has run, under the name of its sub-process spec. It restores against another
version when every one of those names exists there in the same process; the tasks the case is waiting at
must exist too, or the case would silently lose them, and be of the same kind (a task waited at once is
not moved onto a version that repeats it for each item, as the provider response is for each provider). A
version that moved elements into or out of a sub-process (the restructured SFO diagram, for instance)
therefore takes no cases from the versions before it: those finish on their own version. A data object the
target declares and the state does not hold is given its starting value, as a case started there has it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.util.task import TaskState

from .definitions import ProcessModel
from .runtime import Engine, Instance

ACTIVE = int(TaskState.READY | TaskState.WAITING | TaskState.STARTED)


@dataclass(frozen=True)
class MigrationCheck:
    eligible: bool
    reasons: tuple[str, ...]
    active: tuple[str, ...]


@dataclass(frozen=True)
class _Part:
    """The tasks of one process in a saved state, and the spec that process must have in the target."""

    process: str
    tasks: list[dict[str, Any]]


def _parts(state: dict[str, Any], top: str) -> list[_Part]:
    parts = [_Part(top, list(state.get("tasks", {}).values()))]
    for sub in (state.get("subprocesses") or {}).values():
        parts.append(_Part(str(sub.get("spec")), list(sub.get("tasks", {}).values())))
    return parts


def _process_specs(model: ProcessModel) -> dict[str, Any]:
    return {model.spec.name: model.spec, **model.subprocess_specs}


def check_migration(state_json: str, target: ProcessModel) -> MigrationCheck:
    state = json.loads(state_json)
    processes = _process_specs(target)
    where: dict[str, str] = {}
    for name, process in processes.items():
        for spec_name in process.task_specs:
            where.setdefault(spec_name, name)
    active: set[str] = set()
    waiting: list[str] = []
    history: dict[str, list[str]] = {}
    for part in _parts(state, target.spec.name):
        spec = processes.get(part.process)
        names = set(spec.task_specs) if spec is not None else set()
        for task in part.tasks:
            name = task["task_spec"]
            is_active = bool(int(task.get("state", 0)) & ACTIVE)
            if is_active:
                active.add(name)
            if name in names:
                if is_active and _became_multi_instance(spec, name, part):
                    waiting.append(
                        f"the case waits at '{name}' as one task, which the new version repeats for each item"
                    )
                continue
            place = _place(part.process, spec is not None, where.get(name), target.spec.name)
            if is_active:
                waiting.append(f"the case waits at '{name}', {place}")
            elif name not in history.setdefault(place, []):
                history[place].append(name)
    reasons = sorted(set(waiting)) + [_history_reason(names, place) for place, names in sorted(history.items())]
    if reasons:
        reasons.append("cases move only between versions whose structure matches; this one finishes on its version")
    return MigrationCheck(not reasons, tuple(reasons), tuple(sorted(active)))


def _became_multi_instance(spec: Any, name: str, part: _Part) -> bool:
    """A task the case waits at as a single task that the new version makes multi-instance (one for each
    provider, say): restored, the case would wait at a multi-instance task with no instances, and lose it."""
    target = spec.task_specs[name]
    child = getattr(target, "task_spec", None) if isinstance(target, LoopTask) else None
    if child is None:
        return False
    child_name = getattr(child, "name", child)
    return not any(task["task_spec"] == child_name for task in part.tasks)


def _place(process: str, exists: bool, elsewhere: str | None, top: str) -> str:
    if not exists:
        return f"in the part '{process}', which the new version does not have"
    if elsewhere is None:
        return "which the new version does not have"
    return "which the new version has " + ("at the top level" if elsewhere == top else f"inside '{elsewhere}'")


def _history_reason(names: list[str], place: str) -> str:
    shown = ", ".join(f"'{n}'" for n in sorted(names)[:5])
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    return f"its saved state holds {shown}{more}, {place}"


def migrate(engine: Engine, state_json: str, target: ProcessModel) -> Instance:
    """The instance restored against ``target``; raises ValueError when it cannot be."""
    check = check_migration(state_json, target)
    if not check.eligible:
        raise ValueError("; ".join(check.reasons))
    instance = engine.load(target, state_json)
    _declare_data_objects(instance)
    # Timers are given their times, by the engine's clock, but none is fired here: a timer fired and not run
    # leaves the waiting timers, so the case's next timer would no longer show it and the worker never run it.
    instance.arm_timers()
    return instance


def _declare_data_objects(instance: Instance) -> None:
    """Give the data objects the target version declares, and the state does not hold, their starting value
    (none), as a case started on that version has them: reading one that is missing fails the step."""
    workflows = [instance.workflow, *instance.workflow.subprocesses.values()]
    for workflow in workflows:
        declared = workflow.spec.data_objects
        if declared:
            held = workflow.data.setdefault("data_objects", {})
            for name in declared:
                held.setdefault(name, None)
