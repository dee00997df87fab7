"""Running a dry run: an engine instance on its own frozen clock, walked depth first from snapshots
(``Engine.dump``/``Engine.load``). States are hashed on what can still matter (the active elements and
the values that conditions downstream of them read), so converging branches are explored once; depth,
paths and states are capped. A path that merges into a state from which no explored path ends is a loop.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.util.task import TaskState

from ..definitions import ProcessModel
from ..runtime import Engine, Instance, ProcessError
from .flow import FlowAnalysis
from .moves import Explorer, Move, Progress, Sampler
from .report import DryRunReport, Limits, PathResult, Step

DRY_RUN_START = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC)  # a Monday, away from bank holidays
DEFAULT_LIMITS = Limits()


class _DryRunClock:
    def __init__(self, start: dt.datetime):
        self._now = start

    def now(self) -> dt.datetime:
        return self._now

    def set(self, moment: dt.datetime) -> None:
        self._now = moment


@dataclass
class _Pending:
    state: str | None
    now: dt.datetime
    steps: tuple[Step, ...]
    move: Move
    parent: Any


def dry_run(
    model: ProcessModel,
    start_data: dict[str, Any],
    sample: Sampler,
    limits: Limits = DEFAULT_LIMITS,
    start: dt.datetime = DRY_RUN_START,
    progress: Progress | None = None,
) -> DryRunReport:
    """Explore every path of ``model`` from a case started with ``start_data``; ``progress`` is told the
    states explored and paths ended after every new state."""
    began = time.perf_counter()
    clock = _DryRunClock(start)
    report = DryRunReport(end_events=_named_end_events(model))
    _explore(Explorer(model, sample, clock, limits, progress), start_data, report)
    report.seconds = time.perf_counter() - began
    return report


def _explore(explorer: Explorer, start_data: dict[str, Any], report: DryRunReport) -> None:
    """Depth first. Each path goes on with the last possible move (a loop goes round again, a chase timer
    fires again) in place; the other moves branch from a snapshot the first time they are seen."""
    model, clock, limits = explorer.model, explorer.clock, explorer.limits
    engine = Engine(clock)
    start = _Pending(None, clock.now(), (), Move(Step("start", "", "Start"), lambda i: i.run()), None)
    stack: list[_Pending] = [start]
    graph: dict[Any, set[Any]] = {}
    merged: list[tuple[PathResult, Any]] = []
    while stack:
        pending = stack.pop()
        clock.set(pending.now)
        if pending.state is None:
            instance = engine.new_instance(model, dict(start_data))
        else:
            instance = engine.load(model, pending.state)
        _follow(engine, explorer, instance, pending, stack, graph, merged, report, limits)
        if report.truncated:
            return
    ending = _can_end(graph)
    for path, key in merged:
        if key not in ending:
            path.result = "loop"
            path.element_id = path.steps[-1].element_id if path.steps else None


def _follow(
    engine: Engine,
    explorer: Explorer,
    instance: Instance,
    pending: _Pending,
    stack: list[_Pending],
    graph: dict[Any, set[Any]],
    merged: list[tuple[PathResult, Any]],
    report: DryRunReport,
    limits: Limits,
) -> None:
    steps, parent, move = pending.steps, pending.parent, pending.move
    while True:
        if move.step.kind != "start":
            steps = (*steps, move.step)
        try:
            move.apply(instance)
        except ProcessError as error:
            report.paths.append(PathResult(steps, "error", message=error.message, element_id=error.element_id))
            return
        instance.compact()
        active = instance.workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.ERROR)
        failed = [t for t in active if t.state == TaskState.ERROR]
        if failed:
            report.paths.append(
                PathResult(steps, "error", message="an element is in error", element_id=failed[0].task_spec.bpmn_id)
            )
            return
        if instance.is_completed:
            report.paths.append(PathResult(steps, "end", end_event=instance.outcome() or "(unnamed end event)"))
            graph.setdefault(parent, set()).add("END")
            return
        data = instance.data()
        key = _state_key(instance, active, explorer.flow, data)
        graph.setdefault(parent, set()).add(key)
        if key in graph:
            path = PathResult(steps, "merged")
            report.paths.append(path)
            merged.append((path, key))
            return
        graph[key] = set()
        report.states += 1
        if explorer.progress is not None:
            explorer.progress(report.states, len(report.paths))
        if report.states > limits.max_states or len(report.paths) >= limits.max_paths:
            report.truncated = True
            return
        if len(steps) >= limits.max_depth:
            report.paths.append(PathResult(steps, "cut-off"))
            graph[key].add("END")  # unknown: do not call it a loop
            return
        moves = explorer.moves(active, data)
        if not moves:
            report.paths.append(
                PathResult(steps, "dead-end", element_id=active[0].task_spec.bpmn_id if active else None)
            )
            return
        move, others = moves[-1], moves[:-1]
        branches = [m for m in others if explorer.claim(m.step)]
        if len(branches) < len(others):
            graph[key].add("END")  # a move seen elsewhere is not followed again: assume it can end
        if branches:
            state = engine.dump(instance)
            stack.extend(_Pending(state, explorer.clock.now(), steps, m, key) for m in reversed(branches))
        parent = key


def _can_end(graph: dict[Any, set[Any]]) -> set[Any]:
    """States from which some explored path reaches an end event."""
    incoming: dict[Any, set[Any]] = {}
    for source, targets in graph.items():
        for target in targets:
            incoming.setdefault(target, set()).add(source)
    ending, todo = set(), ["END"]
    while todo:
        current = todo.pop()
        if current in ending:
            continue
        ending.add(current)
        todo.extend(incoming.get(current, ()))
    return ending


def _state_key(instance: Instance, active: list[Any], flow: FlowAnalysis, data: dict[str, Any]) -> tuple[Any, ...]:
    """What can still matter about a state: its active elements and the live steering values (the case
    data, data objects included, as the service sees it)."""
    names = sorted(f"{t.task_spec._wf_spec.name}/{t.task_spec.name}:{t.state}" for t in active)
    live: set[str] = set().union(*(flow.live_after(t.task_spec) | flow.reads_of(t.task_spec) for t in active))
    today = instance.workflow.script_engine.environment.globals["today"]()
    values = sorted((name, repr(flow.abstract(name, data.get(name), dt.date.fromisoformat(today)))) for name in live)
    return (tuple(names), tuple(values))


def _named_end_events(model: ProcessModel) -> list[str]:
    return sorted(
        {s.bpmn_name for s in model.spec.task_specs.values() if type(s).__name__ == "EndEvent" and s.bpmn_name}
    )
