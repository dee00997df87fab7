"""What can happen next at a wait state of a dry run: a person completes the newest task (once for each
combination of the answers that steer the flow), a message comes, or the earliest timer fires."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState

from ...working_days import as_date
from .. import runtime as runtime_module
from ..definitions import ProcessModel
from ..listeners import accepts, listeners_of
from ..runtime import STAGES, Instance, ProcessError, _definitions_of, _stage_of
from .flow import FlowAnalysis
from .report import Limits, Step

Sampler = Callable[[dict[str, Any], dict[str, Any], dt.date], dict[str, Any]]
Progress = Callable[[int, int], None]  # (states explored, paths ended) so far
MAX_VARIANTS = 12


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

    def today(self) -> dt.date:
        """The dry run's date where deadlines fall and the process's ``today()`` is: in London, a day ahead
        of the date in UTC from midnight to 1am in British Summer Time."""
        return as_date(self.clock.now())

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
            today = self.today()
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
        today = self.today()
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
        today = self.today()
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
