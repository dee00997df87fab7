"""Dry run: drive a process model headless through every path it can reach, before it is deployed.

No database and no Flask: an engine instance on its own frozen clock. At each wait state the run
branches over what can happen next:

- the newest ready user task is completed with answers generated from its form, once for each
  combination of the choices that steer the flow (enum, boolean and date fields that a gateway
  condition downstream reads);
- each waiting message is delivered, with a payload holding the fields the scripts read from it,
  once for each value that the conditions downstream compare them with;
- the earliest waiting timer fires (the clock moves to it).

Branches are explored from snapshots (``Engine.dump``/``Engine.load``). The exploration is bounded:
states are hashed on what can still matter (the active elements and the values that conditions
downstream of them read), so converging branches are explored once; depth, paths and states are capped.
Every path ends in an end event, an error, a dead end (nothing can happen any more), a loop with no way
out, or a merge into a state explored already. Errors, dead ends and loops block deployment.
"""

from __future__ import annotations

import ast
import datetime as dt
import functools
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState

from ..form_model.files import is_ui_schema
from . import runtime as runtime_module
from .budget import Budget, ScriptTooCostly
from .definitions import ProcessModel, task_properties
from .listeners import accepts, listeners_of
from .runtime import STAGES, Engine, Instance, ProcessError, _definitions_of, _stage_of
from .sandbox import CALLABLE_NAMES, check_cycle, timer_value

Sampler = Callable[[dict[str, Any], dict[str, Any], dt.date], dict[str, Any]]
Progress = Callable[[int, int], None]  # (states explored, paths ended) so far
BLOCKING = ("error", "dead-end", "loop")
MAX_VARIANTS = 12
DRY_RUN_START = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC)  # a Monday, away from bank holidays
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Step:
    kind: str  # start, task, message, timer
    element_id: str
    label: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.label} ({self.detail})" if self.detail else self.label


@dataclass
class PathResult:
    steps: tuple[Step, ...]
    result: str  # end, error, dead-end, loop, merged, cut-off
    end_event: str | None = None
    message: str = ""
    element_id: str | None = None

    @property
    def blocking(self) -> bool:
        return self.result in BLOCKING

    def describe(self) -> str:
        if self.result == "end":
            return f"Reaches the end event '{self.end_event}'."
        return {
            "error": f"Fails at {self.element_id}: {self.message}",
            "dead-end": "Never ends: nothing is waiting for a person, a message or a timer.",
            "loop": "Never ends: it loops with no way out to an end event.",
            "merged": "Joins a path explored already.",
            "cut-off": "Not followed further: the maximum depth was reached.",
        }[self.result]


@dataclass
class DryRunReport:
    paths: list[PathResult] = field(default_factory=list)
    end_events: list[str] = field(default_factory=list)  # every named end event of the model
    states: int = 0
    seconds: float = 0.0
    truncated: bool = False

    @property
    def reached(self) -> list[str]:
        names = {p.end_event for p in self.paths if p.result == "end" and p.end_event}
        return sorted(names)

    @property
    def unreached(self) -> list[str]:
        return sorted(set(self.end_events) - set(self.reached))

    @property
    def blocking(self) -> list[PathResult]:
        return [p for p in self.paths if p.blocking]

    @property
    def ok(self) -> bool:
        return not self.blocking

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for path in self.paths:
            counts[path.result] = counts.get(path.result, 0) + 1
        return counts

    def example_paths(self) -> list[PathResult]:
        """One path per outcome (each end event, each problem): what a person reads first."""
        seen: set[tuple[str, str | None, str | None]] = set()
        examples = []
        for path in sorted(self.paths, key=lambda p: (not p.blocking, len(p.steps))):
            key = (path.result, path.end_event, path.element_id)
            if path.result not in ("merged", "cut-off") and key not in seen:
                seen.add(key)
                examples.append(path)
        return examples


@dataclass(frozen=True)
class Limits:
    max_depth: int = 200
    max_paths: int = 5000
    max_states: int = 3000


# --- what steers the flow --------------------------------------------------------------------------


def _names_read(source: str) -> set[str]:
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - CALLABLE_NAMES


def _literals_compared(source: str) -> dict[str, set[Any]]:
    """``name == "value"`` and similar comparisons: the values each name is compared with."""
    found: dict[str, set[Any]] = {}
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        return found
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            names = [o.id for o in operands if isinstance(o, ast.Name)]
            constants = [
                o.value for o in operands if isinstance(o, ast.Constant) and isinstance(o.value, (str, bool, int))
            ]
            for name in names:
                found.setdefault(name, set()).update(constants)
    return found


def _conditions_of(spec: Any) -> list[str]:
    return [
        c.args[0] for c, _ in getattr(spec, "cond_task_specs", []) or [] if c is not None and getattr(c, "args", None)
    ]


def spec_key(spec: Any) -> tuple[str, str]:
    """A task spec's key across the model: names repeat between processes ("Start", "End")."""
    return (spec._wf_spec.name, spec.name)


class FlowAnalysis:
    """Static facts about a model the exploration needs: which condition variables are still live
    downstream of each element, what values conditions compare them with, and what forms offer.

    "Downstream" crosses sub-process boundaries: into a sub-process an element reaches, and out of a
    sub-process's end to what follows the sub-process in its parent."""

    def __init__(self, model: ProcessModel):
        self.model = model
        self.processes = [model.spec, *model.subprocess_specs.values()]
        self.all_specs = [s for p in self.processes for s in p.task_specs.values()]
        self.specs = {s.name: s for s in self.all_specs}
        self.reads = {spec_key(s): set().union(*(_names_read(c) for c in _conditions_of(s))) for s in self.all_specs}
        self.literals: dict[str, set[Any]] = {}
        for spec in self.all_specs:
            for condition in _conditions_of(spec):
                for name, values in _literals_compared(condition).items():
                    self.literals.setdefault(name, set()).update(values)
        self.callers: dict[str, list[Any]] = {}  # sub-process spec name -> the tasks that run it
        for spec in self.all_specs:
            called = getattr(spec, "spec", None)
            if isinstance(called, str) and called in model.subprocess_specs:
                self.callers.setdefault(called, []).append(spec)
        self._inside: dict[str, frozenset[str]] = {}
        self._live: dict[tuple[str, str], frozenset[str]] = {}
        self.form_fields = self._form_fields()
        self.message_keys = self._message_keys()

    def reads_of(self, spec: Any) -> set[str]:
        return self.reads.get(spec_key(spec), set())

    def live_after(self, spec: Any) -> frozenset[str]:
        """Condition variables read anywhere downstream of an element (itself excluded)."""
        key = spec_key(spec)
        if key not in self._live:
            names: set[str] = set()
            seen: set[tuple[str, str]] = set()
            todo = list(self._next(spec))
            while todo:
                current = todo.pop()
                if spec_key(current) in seen:
                    continue
                seen.add(spec_key(current))
                names |= self.reads_of(current) | self._reads_inside(current)
                todo.extend(self._next(current))
            self._live[key] = frozenset(names)
        return self._live[key]

    def _next(self, spec: Any) -> list[Any]:
        """What follows an element; after a sub-process's end, what follows the sub-process."""
        outputs = [o for o in getattr(spec, "outputs", []) if o is not None]
        if outputs or spec._wf_spec is self.model.spec:
            return outputs
        return [o for caller in self.callers.get(spec._wf_spec.name, []) for o in caller.outputs]

    def _reads_inside(self, spec: Any) -> frozenset[str]:
        """Every condition variable read inside the sub-process an element runs (none for other elements)."""
        called = getattr(spec, "spec", None)
        if not isinstance(called, str) or called not in self.model.subprocess_specs:
            return frozenset()
        if called not in self._inside:
            self._inside[called] = frozenset()  # a sub-process that runs itself (never here) stops the recursion
            inner = self.model.subprocess_specs[called].task_specs.values()
            self._inside[called] = frozenset(set().union(*(self.reads_of(s) | self._reads_inside(s) for s in inner)))
        return self._inside[called]

    def abstract(self, name: str, value: Any, today: dt.date) -> Any:
        """A counter beyond every bound its conditions test is as good as any larger one: saturate it,
        so a loop that a person may repeat for ever (keep waiting, return again) is explored once.
        Dates matter by whether they have passed."""
        if isinstance(value, str) and _ISO_DATE.match(value):
            return "future date" if value[:10] > today.isoformat() else "past date"
        if isinstance(value, bool) or not isinstance(value, int):
            return value
        bounds = [v for v in self.literals.get(name, ()) if isinstance(v, int) and not isinstance(v, bool)]
        return min(value, max(bounds) + 1) if bounds else value

    def _form_fields(self) -> dict[str, dict[str, Any]]:
        fields: dict[str, dict[str, Any]] = {}
        for name, form in self.model.forms.items():
            if is_ui_schema(name):
                continue
            for key, schema in (form.get("properties") or {}).items():
                if isinstance(schema, dict):
                    fields.setdefault(key, schema)
        return fields

    def _message_keys(self) -> dict[str, set[str]]:
        """For each message variable, the keys scripts read from it (``var["key"]`` or ``var.get("key")``)."""
        keys: dict[str, set[str]] = {}
        for spec in self.all_specs:
            source = getattr(spec, "script", None)
            if not source:
                continue
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Subscript)
                    and isinstance(node.value, ast.Name)
                    and isinstance(node.slice, ast.Constant)
                ):
                    keys.setdefault(node.value.id, set()).add(str(node.slice.value))
                elif (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "get"
                    and isinstance(node.func.value, ast.Name)
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                ):
                    keys.setdefault(node.func.value.id, set()).add(str(node.args[0].value))
        return keys

    def options(self, name: str, schema: dict[str, Any] | None, today: dt.date) -> list[Any]:
        """The values worth trying for a steering field: its choices, both booleans, or two dates."""
        schema = schema or self.form_fields.get(name) or {}
        values: list[Any] = list(schema.get("enum") or [])
        values += [o["const"] for o in schema.get("oneOf") or [] if isinstance(o, dict) and "const" in o]
        kind = schema.get("type")
        if kind == "boolean" or (isinstance(kind, list) and "boolean" in kind):
            values += [True, False]
        elif schema.get("format") == "date":
            values += [today.isoformat(), (today + dt.timedelta(days=60)).isoformat()]
        elif not values:
            values += sorted(self.literals.get(name, set()), key=repr)
            if values and all(isinstance(v, str) for v in values):
                values.append("other")
        return list(dict.fromkeys(values))


# --- moves --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    step: Step
    apply: Callable[[Instance], Any]


def _variants(choices: dict[str, list[Any]]) -> list[dict[str, Any]]:
    names = sorted(n for n, values in choices.items() if values)
    combos = itertools.product(*(choices[n] for n in names))
    return [dict(zip(names, combo, strict=True)) for combo in itertools.islice(combos, MAX_VARIANTS)]


def _detail(choice: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {v!r}" for k, v in choice.items())


class Explorer:
    def __init__(
        self, model: ProcessModel, sample: Sampler, clock: Any, limits: Limits, progress: Progress | None = None
    ):
        self.model, self.sample, self.clock, self.limits = model, sample, clock, limits
        self.progress = progress
        self.flow = FlowAnalysis(model)
        self.outside_listeners = [item for item in listeners_of(model) if item.takes_outside_messages]
        self.fired: set[str] = set()
        self.claimed: set[tuple[str, str, str]] = set()

    def claim(self, step: Step) -> bool:
        """Whether a move is new (then it is followed): each choice at each element is tried once."""
        signature = (step.kind, step.element_id, step.detail)
        if signature in self.claimed:
            return False
        self.claimed.add(signature)
        return True

    def moves(self, active: list[Any], data: dict[str, Any]) -> list[Move]:
        """What can happen next. A listener's message can come at any time, but is never what keeps a case
        going: with nothing else possible the path is a dead end, and its moves come first (so they branch,
        each tried once per stage of the case, and never become the path followed in place)."""
        waiting = [t for t in active if t.state == TaskState.WAITING and isinstance(t.task_spec, CatchingEvent)]
        main = [*self._task_moves(active), *self._message_moves(waiting), *self._timer_moves(waiting)]
        return [*self._listener_moves(active, data), *main] if main else []

    def _listener_moves(self, active: list[Any], data: dict[str, Any]) -> list[Move]:
        stage = max((_stage_of(t.task_spec) or "" for t in active), key=_stage_rank, default="") or "the case"
        moves = []
        for listener in self.outside_listeners:
            step = Step("message", listener.start_id, f"Message '{listener.message}'", f"during {stage}")
            if (step.kind, step.element_id, step.detail) in self.claimed or not accepts(listener, data):
                continue  # tried already at this stage: no need to ask
            keys = sorted(self.flow.message_keys.get(getattr(listener.definition, "message_var", None) or "", set()))
            today = self.clock.now().date()
            payload = {k: self._sample_value(k, today) for k in keys}
            moves.append(Move(step, functools.partial(_deliver, name=listener.message, payload=payload)))
        return moves

    def _task_moves(self, active: list[Any]) -> list[Move]:
        ready = [t for t in active if t.state == TaskState.READY and t.task_spec.manual]
        if not ready:
            return []
        # Deal with the newest task first: side tasks (escalations) close before the main path goes on,
        # so branches that differ only by a side task meet again quickly.
        task = max(enumerate(ready), key=lambda pair: (pair[1].last_state_change, pair[0]))[1]
        spec = task.task_spec
        form = self.model.form_for(spec, task.data)
        today = self.clock.now().date()
        schema: dict[str, Any] = form.schema if form else {"type": "object", "properties": {}}
        live = self.flow.live_after(spec)
        steering = {
            k: self.flow.options(k, v, today)
            for k, v in (schema.get("properties") or {}).items()
            if k in live and isinstance(v, dict)
        }
        moves = []
        for choice in _variants(steering) or [{}]:
            data = self.sample(schema, choice, today)
            step = Step("task", spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, _detail(choice))
            moves.append(Move(step, functools.partial(_complete, task_id=str(task.id), data=data)))
        return moves

    def _message_moves(self, waiting: list[Any]) -> list[Move]:
        moves = []
        seen: set[str] = set()
        messages = [
            (t, d)
            for t in waiting
            for d in _definitions_of(t.task_spec.event_definition)
            if isinstance(d, MessageEventDefinition)
        ]
        for task, definition in messages:
            if definition.name in seen:
                continue
            seen.add(definition.name)
            for payload, choice in self._payloads(task, definition):
                step = Step("message", task.task_spec.bpmn_id, f"Message '{definition.name}'", _detail(choice))
                moves.append(Move(step, functools.partial(_deliver, name=definition.name, payload=payload)))
        return moves

    def _payloads(self, task: Any, definition: Any) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        today = self.clock.now().date()
        variable = getattr(definition, "message_var", None)
        keys = sorted(self.flow.message_keys.get(variable or "", set()))
        live = self.flow.live_after(task.task_spec)
        base = {k: self._sample_value(k, today) for k in keys}
        steering = {k: self.flow.options(k, None, today) for k in keys if k in live}
        return [({**base, **choice}, choice) for choice in _variants(steering) or [{}]]

    def _sample_value(self, name: str, today: dt.date) -> Any:
        schema = self.flow.form_fields.get(name)
        if schema is not None:
            return self.sample({"type": "object", "properties": {name: schema}}, {}, today).get(name)
        return today.isoformat() if name.endswith(("date", "_on")) else f"Example {name}"

    def _timer_moves(self, waiting: list[Any]) -> list[Move]:
        moments = {t: runtime_module._timer_moment(t) for t in waiting}
        moment = min((m for m in moments.values() if m is not None), default=None)
        if moment is None:
            return []
        timers = [t for t, m in moments.items() if m == moment]
        # A boundary timer opens a side path (a reminder, an escalation): follow it the first time it
        # can fire; a timer on the main path (a chase) is followed every time.
        if timers and all(isinstance(t.task_spec, BoundaryEvent) for t in timers):
            if all(t.task_spec.name in self.fired for t in timers):
                return []
            self.fired.update(t.task_spec.name for t in timers)
        names = ", ".join(sorted({t.task_spec.bpmn_name or t.task_spec.bpmn_id for t in timers}))
        element = timers[0].task_spec.bpmn_id if timers else ""
        step = Step("timer", element, f"Timer '{names}'", f"at {moment.isoformat()}")
        return [Move(step, functools.partial(self._fire, moment=moment))]

    def _fire(self, instance: Instance, moment: dt.datetime) -> None:
        self.clock.set(max(self.clock.now(), moment + dt.timedelta(seconds=1)))
        instance.run()


def _stage_rank(stage: str) -> int:
    return STAGES.index(stage) if stage in STAGES else -1


def _complete(instance: Instance, task_id: str, data: dict[str, Any]) -> None:
    instance.complete_task(task_id, data)


def _deliver(instance: Instance, name: str, payload: dict[str, Any]) -> None:
    if not instance.deliver_message(name, payload):
        raise ProcessError("unknown", f"nothing waits for the message '{name}'")


# --- the exploration ----------------------------------------------------------------------------


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
    limits: Limits = Limits(),
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


def message_definitions(model: ProcessModel) -> list[str]:
    """Names of the messages the model's catch events wait for."""
    names = set()
    for spec in model.all_task_specs():
        for definition in _definitions_of(getattr(spec, "event_definition", None)):
            if isinstance(definition, MessageEventDefinition):
                names.add(definition.name)
    return sorted(names)


__all__ = ["DryRunReport", "Limits", "PathResult", "Step", "dry_run", "task_properties"]


def _read_only_inputs(model: ProcessModel, today: dt.date) -> dict[str, Any]:
    """What scripts read besides form answers: data objects (empty at first) and message payloads (with the
    keys scripts read from them)."""
    inputs: dict[str, Any] = {
        name: None for process in (model.spec, *model.subprocess_specs.values()) for name in process.data_objects
    }
    for variable, keys in FlowAnalysis(model).message_keys.items():
        inputs.setdefault(variable, {key: today.isoformat() if key.endswith("date") else "Example" for key in keys})
    return inputs


def timer_problems(
    model: ProcessModel, data: dict[str, Any], now: dt.datetime, budget: Budget = runtime_module.DEFAULT_BUDGET
) -> list[Any]:
    """Evaluate every timer expression in the sandbox with sample data (and what the model's scripts
    compute from it); each must give an ISO date/datetime, duration or cycle of its kind. A script over
    its budget is reported as such (and the timers it would set up are not)."""
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
        CycleTimerEventDefinition,
        DurationTimerEventDefinition,
        TimerEventDefinition,
    )

    from .definitions import Problem
    from .runtime import RestrictedEnvironment
    from .sandbox import function_library

    environment = RestrictedEnvironment(
        function_library(lambda: now, lambda kind, target: None, model.settings), budget
    )
    scope = {**_read_only_inputs(model, now.date()), **data}
    scripts = {s.bpmn_id: s.script for s in model.all_task_specs() if getattr(s, "script", None)}
    too_costly = []
    for _ in range(2):  # a second round for scripts that read what a later one computes
        for bpmn_id, script in list(scripts.items()):
            trial = dict(scope)
            try:
                environment.execute(script, trial)
            except MemoryError:
                raise  # not a script the sample data cannot satisfy: the run has hit its memory limit
            except ScriptTooCostly as error:  # the same script would do the same in every case
                too_costly.append(Problem(f"script: {error}", None, bpmn_id))
                del scripts[bpmn_id]
                continue
            except Exception:  # noqa: BLE001, S112 - sample data cannot satisfy every script; the dry run runs them for real
                continue
            scope.update(trial)
    if too_costly:  # the timers it was to set up would only be reported as unset
        return too_costly
    problems = []
    for spec in model.all_task_specs():
        for definition in _definitions_of(getattr(spec, "event_definition", None)):
            if not isinstance(definition, TimerEventDefinition):
                continue
            try:
                value = timer_value(environment.evaluate(definition.expression, dict(scope)))
                if isinstance(definition, CycleTimerEventDefinition):
                    check_cycle(value)
                elif isinstance(definition, DurationTimerEventDefinition):
                    TimerEventDefinition.parse_iso_duration(str(value))
                elif not isinstance(TimerEventDefinition.parse_time_or_duration(str(value)), dt.datetime):
                    raise ValueError(f"{value!r} is a duration, not a date")
            except NameError as error:
                problems.append(
                    Problem(f"timer {definition.expression!r} reads a value nothing sets ({error})", None, spec.bpmn_id)
                )
            except Exception as error:  # noqa: BLE001 - any failure means the timer cannot be evaluated
                problems.append(
                    Problem(
                        f"timer {definition.expression!r} does not give an ISO date, duration or cycle "
                        f"({type(error).__name__}: {error})",
                        None,
                        spec.bpmn_id,
                    )
                )
    return problems
