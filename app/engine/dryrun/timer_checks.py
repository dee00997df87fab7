"""Every timer expression of a model evaluated in the sandbox with sample data, before it is deployed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)

from ...working_days import as_date
from .. import runtime as runtime_module
from ..budget import Budget, ScriptTooCostly
from ..definitions import Problem, ProcessModel
from ..runtime import RestrictedEnvironment, _definitions_of
from ..sandbox import check_cycle, function_library, timer_value
from .flow import FlowAnalysis


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
    environment = RestrictedEnvironment(
        function_library(lambda: now, lambda kind, target: None, model.settings), budget
    )
    scope = {**_read_only_inputs(model, as_date(now)), **data}
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
