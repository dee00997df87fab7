"""Keeping an instance's state the size of what is live: finished rounds of loops are dropped.

SpiffWorkflow keeps every task it ever ran in one tree, so each round of a rework or chase loop
added several kilobytes to a case's state for good (and a tree deep enough stalls the engine). The
finished part of the tree is history, and the history lives in the audit trail. Compaction keeps:

- the tree's root (the ``Start`` task), and
- the whole subtree under the lowest common ancestor of every unfinished task (and of every task of a
  parallel join that is waiting, whose earlier arrivals it counts),

and drops the rest, which is all finished. A join, a boundary event or a multi-instance loop only ever
looks at tasks inside that subtree; the engine's data is copied whole into each task, so nothing
dropped is needed to carry data forward. Which elements ran, and which flows were followed, is kept
in a small ``History`` so the monitoring diagram still shows the path the case took.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.control import _EndJoin
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.util.task import TaskState

MIN_DROPPED = 25  # below this, a compaction saves less than it costs


@dataclass
class History:
    """Elements that finished, and flows followed, in the parts of the tree that were dropped."""

    completed: set[str] = field(default_factory=set)
    path: set[tuple[str, str]] = field(default_factory=set)

    def to_dict(self) -> dict[str, Any]:
        return {"completed": sorted(self.completed), "path": sorted([list(p) for p in self.path])}

    @classmethod
    def from_dict(cls, dct: dict[str, Any] | None) -> History:
        dct = dct or {}
        return cls(set(dct.get("completed", [])), {(s, t) for s, t in dct.get("path", [])})

    def remember(self, tasks: Iterable[Any]) -> None:
        for task in tasks:
            bpmn_id = bpmn_id_of(task)
            if bpmn_id is None or task.state != TaskState.COMPLETED:
                continue
            self.completed.add(bpmn_id)
            source = reached_from(task)
            if source is not None:
                self.path.add((source, bpmn_id))


def bpmn_id_of(task: Any) -> str | None:
    bpmn_id = getattr(task.task_spec, "bpmn_id", None)
    return str(bpmn_id) if bpmn_id else None


def reached_from(task: Any) -> str | None:
    """The diagram element the token came from (skipping the engine's own hidden tasks)."""
    parent = task.parent
    while parent is not None and bpmn_id_of(parent) is None:
        parent = parent.parent
    return bpmn_id_of(parent) if parent is not None else None


def compact(workflow: Any, history: History) -> int:
    """Drop the finished part of the top workflow and of each running sub-process; return how many
    tasks were dropped."""
    dropped = _compact_one(workflow, history)
    for subprocess in list(workflow.subprocesses.values()):
        if not subprocess.completed:
            dropped += _compact_one(subprocess, history)
    dropped += _drop_finished_subprocesses(workflow, history)
    _forget_subprocesses_of_dropped_tasks(workflow)
    return dropped


def _drop_finished_subprocesses(workflow: Any, history: History) -> int:
    """A sub-process whose task has finished has handed its data back: the rest is history."""
    dropped = 0
    for task_id, subprocess in list(workflow.subprocesses.items()):
        owner = workflow.tasks.get(task_id) or next(
            (sp.tasks[task_id] for sp in workflow.subprocesses.values() if task_id in sp.tasks), None
        )
        if subprocess.completed and owner is not None and owner.has_state(TaskState.FINISHED_MASK):
            history.remember(subprocess.tasks.values())
            for task in subprocess.tasks.values():
                workflow.event_manager.remove_task(task)
            dropped += len(subprocess.tasks)
            del workflow.subprocesses[task_id]
    return dropped


def _compact_one(workflow: Any, history: History) -> int:
    if len(workflow.tasks) <= MIN_DROPPED:  # too few to drop enough: skip walking the tree
        return 0
    unfinished = [t for t in workflow.tasks.values() if not t.has_state(TaskState.FINISHED_MASK)]
    # The process's end join waits, from wherever a listener's run ended, for the whole case: it is kept with
    # the short path to it, but does not hold the rest of the tree in place.
    end_joins = [t for t in unfinished if isinstance(t.task_spec, _EndJoin)]
    frontier = [t for t in unfinished if t not in end_joins]
    if not frontier:
        return 0
    root = workflow.task_tree
    keep = _lowest_common_ancestor([*frontier, *_arrivals_counted_by_waiting_joins(workflow, frontier)])
    if keep is root or keep.parent is root and not end_joins:
        return 0
    outside = _outside(root, keep)
    if len(outside) < MIN_DROPPED:  # (the paths to end joins, kept too, only make fewer to drop)
        return 0
    to_end_joins = {t.id for join in end_joins for t in _path_from_root(join)}
    dropped = [t for t in outside if t.id not in to_end_joins]
    if len(dropped) < MIN_DROPPED:
        return 0
    history.remember(dropped)
    for task in dropped:
        workflow.top_workflow.event_manager.remove_task(task)
        del workflow.tasks[task.id]
    gone = {task.id for task in dropped}
    _relink_under_root(workflow, gone)
    if workflow.last_task is not None and workflow.last_task.id in gone:
        workflow.last_task = keep
    return len(dropped)


def _outside(root: Any, keep: Any) -> list[Any]:
    """The tasks that are neither the root, nor ``keep``, nor below it: the tasks on the way down to it
    and everything that branches off that way. Walking these alone costs what a compaction may drop, not
    the size of the live part, which every step would otherwise walk only to find too little to drop."""
    way = _path_from_root(keep)
    outside = way[1:-1]
    for task, next_task in zip(way, way[1:], strict=False):
        for child in task.children:
            if child is not next_task:
                outside.extend(_subtree(child))
    return outside


def _relink_under_root(workflow: Any, gone: set[Any]) -> None:
    """A kept task whose parent was dropped hangs from the root, in the order the tasks were made."""
    root = workflow.task_tree
    orphans = [t for t in workflow.tasks.values() if t is not root and t._parent in gone]
    for task in orphans:
        task._parent = root.id
    for task in workflow.tasks.values():
        task._children = [child for child in task._children if child not in gone]
    root._children += [t.id for t in orphans if t.id not in root._children]


def _arrivals_counted_by_waiting_joins(workflow: Any, unfinished: list[Any]) -> list[Any]:
    """A waiting parallel join counts the branches that already reached it by their (finished) tasks."""
    joins = {t.task_spec.name for t in unfinished if isinstance(t.task_spec, UnstructuredJoin)}
    return [t for t in workflow.tasks.values() if t.task_spec.name in joins]


def _lowest_common_ancestor(tasks: list[Any]) -> Any:
    """The deepest task that all of ``tasks`` descend from (or are). The first task's path from the root is
    the candidate; each other task walks up until it meets that path, or a task an earlier walk went
    through (which meets the path where that walk did). So no task of the tree is walked through twice:
    the unfinished tasks include the predicted rest of the process, long chains one above the other."""
    common = _path_from_root(tasks[0])
    meets = {id(task): depth for depth, task in enumerate(common)}  # a task -> the depth where it meets the path
    length = len(common)  # the common ancestors are common[:length]
    for task in tasks[1:]:
        walked = []
        while (depth := meets.get(id(task))) is None:
            walked.append(id(task))
            task = task.parent
        meets.update(dict.fromkeys(walked, depth))
        length = min(length, depth + 1)
        if length == 1:  # the root: there is nothing higher
            break
    return common[length - 1]


def _path_from_root(task: Any) -> list[Any]:
    path = []
    while task is not None:
        path.append(task)
        task = task.parent
    return path[::-1]


def _subtree(task: Any) -> Iterator[Any]:
    stack = [task]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)


def _forget_subprocesses_of_dropped_tasks(workflow: Any) -> None:
    """A sub-process belongs to the task that started it: when that task is dropped, so is its state."""
    live = set(workflow.tasks) | {t for sp in workflow.subprocesses.values() for t in sp.tasks}
    changed = True
    while changed:
        orphans = [task_id for task_id in workflow.subprocesses if task_id not in live]
        for task_id in orphans:
            live -= set(workflow.subprocesses.pop(task_id).tasks)
        changed = bool(orphans)
