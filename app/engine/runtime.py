"""Running process instances: start, load, save, complete tasks, fire timers, deliver messages.

State is a plain dict without the process spec in it (the spec is kept once per deployed version
in ``ProcessModel``), so loading an instance does not rebuild its spec. The restricted script
environment is attached on every start and every load: SpiffWorkflow does not serialize it and would
otherwise fall back to plain ``eval``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

from RestrictedPython.PrintCollector import PrintCollector
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions import timer as timer_module
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask, MultiInstanceTask
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from .budget import Budget, BudgetExceeded, StepTooCostly, run_diagram_code, run_within_budget
from .compaction import History, compact
from .definitions import Form, ProcessModel, task_properties
from .listeners import listeners_of, on_side_path
from .sandbox import (
    base_globals,
    check_cycle,
    check_data,
    check_instance_count,
    compile_expression,
    compile_script,
    function_library,
    is_data_value,
    naive_or_in,
    timer_value,
)

HISTORY_KEY = "sfo_history"  # what compaction dropped, kept beside SpiffWorkflow's own keys


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class TaskNotReady(Exception):
    """The task does not exist in this instance or is not waiting for a person."""


class ProcessError(Exception):
    """Diagram code failed; the instance is left with the failing element in error.

    When ``state_usable`` is false the step was cut short inside the engine: the instance must be
    thrown away and the case kept as it was before the step (only its status records the error).
    """

    def __init__(self, element_id: str, message: str, *, state_usable: bool = True):
        super().__init__(f"{element_id}: {message}")
        self.element_id = element_id
        self.message = message
        self.state_usable = state_usable


@dataclass(frozen=True)
class Notification:
    kind: str
    task_bpmn_id: str


@dataclass(frozen=True)
class Printed:
    """What a script task printed: kept in the case's audit trail as that task's log."""

    task_bpmn_id: str
    task_name: str
    text: str


@dataclass(frozen=True)
class HumanTask:
    """A task waiting for a person, as the service needs to see it."""

    id: str
    bpmn_id: str
    name: str
    lane: str | None
    documentation: str
    properties: dict[str, str]
    data: dict[str, Any]
    form: Form | None

    @property
    def stage(self) -> str | None:
        return self.properties.get("stage")

    @property
    def due_date(self) -> str | None:
        variable = self.properties.get("dueDate")
        value = self.data.get(variable) if variable else None
        return str(value) if value else None


# --- the clock seen by SpiffWorkflow's timers ---------------------------------------------------

# SpiffWorkflow's timer module reads ``datetime.now()``. It is replaced once by a class that reads the
# clock of the engine running in this context, so each engine (the service's, a dry run's, a test's)
# keeps its own time, whatever thread or request runs beside it.
_timer_clock: ContextVar[Clock | None] = ContextVar("sfo_timer_clock", default=None)


class _ClockedDatetime(dt.datetime):
    """Stands in for ``datetime`` inside SpiffWorkflow's timer module so timers use the engine's clock."""

    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
        clock = _timer_clock.get()
        return naive_or_in(clock.now() if clock is not None else dt.datetime.now(dt.UTC), tz)


timer_module.datetime = _ClockedDatetime


@contextmanager
def _timers_read(clock: Clock) -> Iterator[None]:
    token = _timer_clock.set(clock)
    try:
        yield
    finally:
        _timer_clock.reset(token)


# --- the restricted script environment ----------------------------------------------------------


PRINTED_LIMIT = 4000  # characters of a script's printed output kept in the audit trail
DEFAULT_BUDGET = Budget(cpu_seconds=5.0, memory_bytes=256 * 1024 * 1024)


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    def __init__(self, library: dict[str, Any], budget: Budget = DEFAULT_BUDGET):
        super().__init__(library)
        self.guards = base_globals()
        self.budget = budget
        self.printed = ""  # what the last script printed (one environment per instance, one step at a time)

    def _scope(self, context: dict[str, Any], external: dict[str, Any] | None) -> dict[str, Any]:
        return {**self.guards, **self.globals, **(external or {}), **context}

    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> Any:
        code, scope = compile_expression(expression), self._scope(context, external_context)
        result = run_diagram_code(self.budget, lambda: eval(code, scope))  # noqa: S307
        if isinstance(result, dict | list | tuple):
            check_data({"result": result})
        return result

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        clashes = set(self.globals) & set(context)
        if clashes:
            raise ValueError(f"task data uses reserved names: {', '.join(sorted(clashes))}")
        code, scope = compile_script(script), self._scope(context, external_context)
        self.printed = ""
        run_diagram_code(self.budget, lambda: exec(code, scope))  # noqa: S102
        collector = scope.get("_print")
        self.printed = collector() if isinstance(collector, PrintCollector) else ""
        hidden = set(self.guards) | set(self.globals) | set(external_context or {})
        results = {k: v for k, v in scope.items() if is_data_value(k, v, hidden)}
        check_data(results)
        context.clear()
        context.update(results)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise ValueError("service tasks are not supported")


class _ScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine, checking the values that size the engine's own work and keeping
    what each script task prints."""

    environment: RestrictedEnvironment

    def __init__(self, environment: RestrictedEnvironment, printed: list[Printed]):
        super().__init__(environment=environment)
        self.printed = printed

    def execute(self, task: Any, script: str, external_context: dict[str, Any] | None = None) -> Any:
        result = super().execute(task, script, external_context)
        if self.environment.printed:
            spec = task.task_spec
            text = self.environment.printed[:PRINTED_LIMIT]
            self.printed.append(Printed(str(spec.bpmn_id), str(spec.bpmn_name or spec.bpmn_id), text))
        return result

    def evaluate(self, task: Any, expression: str, external_context: dict[str, Any] | None = None) -> Any:
        value = super().evaluate(task, expression, external_context)
        spec = task.task_spec
        if isinstance(spec, MultiInstanceTask) and expression == spec.cardinality:
            check_instance_count(value)
        for definition in _definitions_of(getattr(spec, "event_definition", None)):
            if isinstance(definition, TimerEventDefinition) and expression == definition.expression:
                value = timer_value(value)
            if isinstance(definition, CycleTimerEventDefinition) and expression == definition.expression:
                check_cycle(value)
        return value


# --- serialization without the spec -------------------------------------------------------------


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], model: ProcessModel | None = None) -> BpmnWorkflow:
        assert model is not None, "a process model is needed to restore an instance"
        workflow = self.target_class(model.spec, model.subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _SpeclessWorkflowConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


_serializer = _make_serializer()


# --- instances ----------------------------------------------------------------------------------


@dataclass
class Instance:
    """A running workflow with its model and the notifications its scripts asked for."""

    model: ProcessModel
    workflow: BpmnWorkflow
    clock: Clock
    budget: Budget
    notifications: list[Notification] = field(default_factory=list)
    history: History = field(default_factory=History)
    printed: list[Printed] = field(default_factory=list)

    # reading

    def ready_human_tasks(self) -> list[HumanTask]:
        tasks = self.workflow.get_tasks(state=TaskState.READY, manual=True)
        return [self._human_task(task) for task in tasks]

    def _human_task(self, task: Any) -> HumanTask:
        spec = task.task_spec
        return HumanTask(
            id=str(task.id),
            bpmn_id=spec.bpmn_id,
            name=spec.bpmn_name or spec.bpmn_id,
            lane=spec.lane,
            documentation=spec.documentation or "",
            properties=task_properties(spec),
            data=dict(task.data),
            form=self.model.form_for(spec),
        )

    def waiting_events(self) -> list[Any]:
        """Catch events this instance is waiting at (messages and timers, boundary ones included)."""
        return [t for t in self.workflow.get_tasks(state=TaskState.WAITING) if isinstance(t.task_spec, CatchingEvent)]

    def active_stages(self) -> list[str]:
        """The ``stage`` property of every task that is waiting for a person or an outside event."""
        tasks = self.workflow.get_tasks(state=TaskState.READY, manual=True)
        tasks += [
            t for t in self.workflow.get_tasks(state=TaskState.WAITING) if not isinstance(t.task_spec, BoundaryEvent)
        ]
        return [s for s in (_stage_of(t.task_spec) for t in tasks) if s]

    def waiting_message_names(self) -> list[str]:
        """Messages a catch event of this instance waits for (the waits that can move the case on)."""
        return [definition.name for _, definition in self._waiting_messages()]

    def accepted_message_names(self) -> list[str]:
        """Messages the instance takes now: those it waits for, and those that start one of its event
        sub-processes (listeners that hear a message at any time while the instance runs)."""
        return [definition.name for definition in self._accepted_messages()]

    def _accepted_messages(self) -> list[Any]:
        return [definition for _, definition in self._waiting_messages()] + self._listener_messages()

    def _listener_messages(self) -> list[Any]:
        return [] if self.is_completed else [item.definition for item in listeners_of(self.model)]

    def _waiting_messages(self) -> list[tuple[Any, Any]]:
        """(task, message definition) for every message the instance waits for, event gateways included."""
        return [
            (task, definition)
            for task in self.waiting_events()
            for definition in _definitions_of(task.task_spec.event_definition)
            if isinstance(definition, MessageEventDefinition)
        ]

    def next_timer_at(self) -> dt.datetime | None:
        moments = [m for m in (_timer_moment(t) for t in self.waiting_events()) if m is not None]
        return min(moments) if moments else None

    @property
    def is_completed(self) -> bool:
        return bool(self.workflow.is_completed())

    def is_stalled(self) -> bool:
        """Open, yet nothing can move it on: no task for a person, no timer, no message waited for.

        Listeners (event sub-processes) do not count: they hear a message at any time, but the case's
        main path does not wait for them.
        """
        if self.is_completed or self.errors():
            return False
        return not (self.ready_human_tasks() or self.waiting_message_names() or self.next_timer_at() is not None)

    def stall_point(self) -> str:
        """The diagram element the instance stopped after: the last element that finished."""
        finished = [
            t
            for t in self.workflow.get_tasks(state=TaskState.COMPLETED)
            if getattr(t.task_spec, "bpmn_id", None) and type(t.task_spec).__name__ not in ("EndEvent", "StartEvent")
        ]
        return str(max(finished, key=lambda t: t.last_state_change).task_spec.bpmn_id) if finished else "unknown"

    def outcome(self) -> str | None:
        """The name of the last named end event reached (unnamed ends close side paths)."""
        ends = [
            t
            for t in self.workflow.get_tasks(state=TaskState.COMPLETED)
            if type(t.task_spec).__name__ == "EndEvent" and t.task_spec.bpmn_name and t.workflow is self.workflow
        ]
        return max(ends, key=lambda t: t.last_state_change).task_spec.bpmn_name if ends else None

    def errors(self) -> list[tuple[str, str]]:
        return [
            (t.task_spec.bpmn_id, t.task_spec.bpmn_name or "") for t in self.workflow.get_tasks(state=TaskState.ERROR)
        ]

    def data(self) -> dict[str, Any]:
        """The case data as it stands: the process's data objects, the latest completed step's data and the
        open tasks' data. Side paths (listeners, reminder and escalation paths) hold the data of the moment
        they began: they only add values the main path does not have."""
        merged: dict[str, Any] = {k: v for k, v in self.workflow.data.get("data_objects", {}).items() if v is not None}
        open_tasks = self.workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.ERROR)
        last = self.workflow.last_task
        steps = ([last] if last is not None else []) + open_tasks
        for task in [t for t in steps if on_side_path(t)] + [t for t in steps if not on_side_path(t)]:
            merged.update(task.data)
        if self.is_completed:
            merged.update({k: v for k, v in self.workflow.data.items() if k != "data_objects"})
        return merged

    # acting

    def complete_task(self, task_id: str, data: dict[str, Any]) -> HumanTask:
        task = self._ready_human_task(task_id)
        done = self._human_task(task)
        task.set_data(**data)
        self._run(lambda: self._run_task(task))
        return done

    def _run_task(self, task: Any) -> None:
        task.run()
        variable = task_properties(task.task_spec).get("dueDate")
        if variable and isinstance(task.parent.task_spec, LoopTask):  # its loop's deadline follows those still open
            from .inspection import follow_open_instances  # it reads instances; instances step through it

            follow_open_instances(self, task.parent, variable)

    def update_open_data(self, change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        """Change the data of every task still open (ready, waiting or started: the loop above a
        multi-instance task, a stage under way, a waiting timer): each carries its data on, and a join
        merges it with the other branches', so a value changed on the ready tasks alone comes back."""
        for task in self.workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED):
            task.set_data(**change(dict(task.data)))

    def run(self) -> None:
        """Run every step that needs no person or outside event (fires timers that are due)."""
        self._run(lambda: None)

    def fire_due_timers(self) -> None:
        self.run()

    def refresh_timers(self) -> None:
        """Mark the timers that are due by this instance's clock as fired (their paths run at the next step)."""
        with _timers_read(self.clock):
            self.workflow.refresh_timers()

    def arm_timers(self, timers: list[Any] | None = None) -> None:
        """Work out when waiting timers with no time yet fall due (these, or all the instance waits at), by
        this instance's clock, firing none of them: one already due fires at the case's next step (the
        worker's, as ``next_timer_at`` shows it due). Recurring timers work out their time at a step."""
        with _timers_read(self.clock):
            for timer in self.waiting_events() if timers is None else timers:
                definition = timer.task_spec.event_definition
                if (
                    not isinstance(definition, TimerEventDefinition)
                    or isinstance(definition, CycleTimerEventDefinition)
                    or timer.internal_data.get("event_value") is not None
                ):
                    continue
                definition.has_fired(timer)
                timer.internal_data.pop("event_fired", None)

    def deliver_message(self, name: str, payload: dict[str, Any]) -> bool:
        """Deliver to what waits for the message; a listener (an event sub-process started by it) also
        catches it, and takes it alone when nothing else waits."""
        definitions = [d for d in self._accepted_messages() if d.name == name]
        if not definitions:
            return False
        self._run(lambda: self.workflow.catch(BpmnEvent(definitions[0], payload)))
        return True

    def retry(self) -> None:
        """Run the elements in error again (after their data has been corrected)."""
        for task in self.workflow.get_tasks(state=TaskState.ERROR):
            task._set_state(TaskState.READY)
        self._run(lambda: None)

    def cancel(self) -> None:
        self.workflow.cancel()

    def compact(self) -> int:
        """Drop the finished rounds of loops from the state (see ``compaction``); return how many tasks."""
        return compact(self.workflow, self.history)

    def _ready_human_task(self, task_id: str) -> Any:
        try:
            task = self.workflow.get_task_from_id(UUID(task_id))
        except (ValueError, KeyError, SpiffWorkflowException):
            raise TaskNotReady(task_id) from None
        if task is None or not task.task_spec.manual or task.state != TaskState.READY:
            raise TaskNotReady(task_id)
        return task

    def _run(self, step: Callable[[], Any]) -> None:
        try:
            run_within_budget(self.budget, lambda: self._step(step))
        except SpiffWorkflowException as error:
            raise ProcessError(_element_of(error), _describe(error)) from None
        except (StepTooCostly, BudgetExceeded) as error:
            # Interrupted anywhere in the engine: the state may be half-changed and must not be kept.
            message = str(error) if isinstance(error, StepTooCostly) else "the step went over its budget"
            raise ProcessError(_failing_element(self.workflow), message, state_usable=False) from None
        except Exception as error:  # script code may raise anything; keep it inside the instance
            raise ProcessError(_failing_element(self.workflow), f"{type(error).__name__}: {error}") from None

    def _step(self, step: Callable[[], Any]) -> None:
        with _timers_read(self.clock):
            step()
            self.workflow.refresh_timers()
            self.workflow.do_engine_steps()
            self.workflow.refresh_timers()


def _merge_lost_loop_instances(workflow: BpmnWorkflow) -> None:
    """Merge loop instances that completed without their loop hearing of it.

    Before every parsed model wired its loops (``connect_loop_children``), an instance completed in a
    process that had not created it was never merged, and its case stalled. Merging such instances on
    load, oldest first, does what the lost call would have done and lets those cases move on.
    """
    for loop in workflow.get_tasks(state=TaskState.STARTED):
        spec = loop.task_spec
        if not isinstance(spec, LoopTask):
            continue
        merged = set(loop.internal_data.get("merged", []))
        lost = [c for c in spec._instances(loop) if c.state == TaskState.COMPLETED and str(c.id) not in merged]
        for child in sorted(lost, key=lambda c: c.last_state_change):
            spec.merge_child(child.workflow, child)


def _timer_moment(task: Any) -> dt.datetime | None:
    definitions = _definitions_of(task.task_spec.event_definition)
    if not any(isinstance(d, TimerEventDefinition) for d in definitions):
        return None
    value = task.internal_data.get("event_value")
    if isinstance(value, dict):
        value = value.get("next")
    if not value:
        return None
    moment = dt.datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# The SFO stages in the order a case goes through them (a task names its stage in its properties).
STAGES = (
    "notification",
    "eligibility",
    "scoping",
    "liaison",
    "drafting",
    "quality-assurance",
    "provider-response",
    "conviction-check",
    "publication",
    "closure",
)


def _stage_of(task_spec: Any) -> str | None:
    """A task's stage property; an event-based gateway takes it from the events it waits for."""
    stage = task_properties(task_spec).get("stage")
    if stage or type(task_spec).__name__ != "EventBasedGateway":
        return stage
    return next((s for s in (task_properties(o).get("stage") for o in task_spec.outputs) if s), None)


def _definitions_of(definition: Any) -> list[Any]:
    return list(getattr(definition, "event_definitions", None) or [definition])


def _element_of(error: SpiffWorkflowException) -> str:
    task = getattr(error, "task", None)
    if task is not None:
        return str(task.task_spec.bpmn_id)
    return str(getattr(error, "id", None) or "unknown")


def _describe(error: SpiffWorkflowException) -> str:
    inner = getattr(error, "exception", None)
    text = str(error.args[0]) if error.args else type(error).__name__
    if inner is not None and str(inner) not in text:
        text = f"{text}: {type(inner).__name__}: {inner}"
    return text


def _failing_element(workflow: BpmnWorkflow) -> str:
    failed = workflow.get_tasks(state=TaskState.ERROR)
    return str(failed[0].task_spec.bpmn_id) if failed else "unknown"


class Engine:
    """Starts and restores instances with the restricted environment and the service clock."""

    def __init__(self, clock: Clock, budget: Budget = DEFAULT_BUDGET):
        self.clock = clock
        self.budget = budget  # for each engine step, and the diagram code it runs

    def _script_engine(self, instance: Instance, model: ProcessModel) -> PythonScriptEngine:
        notifications = instance.notifications

        def notify(kind: str, task_bpmn_id: str) -> None:
            notifications.append(Notification(str(kind), str(task_bpmn_id)))

        library = function_library(self.clock.now, notify, model.settings)
        return _ScriptEngine(RestrictedEnvironment(library, self.budget), instance.printed)

    def new_instance(self, model: ProcessModel, data: dict[str, Any]) -> Instance:
        """A new instance holding the start data; ``Instance.run`` takes it to its first wait."""
        instance = Instance(model, BpmnWorkflow(model.spec, model.subprocess_specs), self.clock, self.budget)
        instance.workflow.script_engine = self._script_engine(instance, model)
        instance.workflow.task_tree.data.update(data)
        return instance

    def load(self, model: ProcessModel, state: str) -> Instance:
        dct = json.loads(state)
        history = History.from_dict(dct.pop(HISTORY_KEY, None))
        version = dct.pop(_serializer.VERSION_KEY, _serializer.VERSION)
        if version != _serializer.VERSION:
            dct[_serializer.VERSION_KEY] = version
            _serializer.migrate(dct)
        workflow = _serializer.from_dict(dct, model=model)
        instance = Instance(model, workflow, self.clock, self.budget, history=history)
        workflow.script_engine = self._script_engine(instance, model)
        _merge_lost_loop_instances(workflow)
        return instance

    @staticmethod
    def dump(instance: Instance) -> str:
        state = _serializer.to_dict(instance.workflow)
        state[_serializer.VERSION_KEY] = _serializer.VERSION
        if instance.history.completed:
            state[HISTORY_KEY] = instance.history.to_dict()
        return json.dumps(state, separators=(",", ":"))
