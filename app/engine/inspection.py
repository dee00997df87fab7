"""Reading and adjusting one instance for the monitoring pages: where its tokens are, which path it
took, the data of a failing element, and moving a task's deadline (its timers follow)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from .compaction import bpmn_id_of, reached_from
from .definitions import task_properties
from .listeners import on_side_path
from .runtime import Instance, TaskNotReady

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass
class ElementStates:
    """Diagram element ids by what happened to them in one instance."""

    completed: list[str] = field(default_factory=list)
    active: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    path: list[tuple[str, str]] = field(default_factory=list)  # (source, target) pairs that were followed


def element_states(instance: Instance) -> ElementStates:
    states = ElementStates()
    completed: set[str] = set()
    active: set[str] = set()
    errors: set[str] = set()
    path: set[tuple[str, str]] = set()
    for task in instance.workflow.get_tasks():
        bpmn_id = bpmn_id_of(task)
        if bpmn_id is None:
            continue
        if task.state == TaskState.COMPLETED:
            completed.add(bpmn_id)
        elif task.state == TaskState.ERROR:
            errors.add(bpmn_id)
        elif task.state & ACTIVE:
            active.add(bpmn_id)
        else:
            continue
        source = reached_from(task)
        if source is not None:
            path.add((source, bpmn_id))
    completed |= instance.history.completed
    path |= instance.history.path
    states.completed = sorted(completed - active - errors)
    states.active, states.errors, states.path = sorted(active), sorted(errors), sorted(path)
    return states


# --- a failing element's data ----------------------------------------------------------------------


def _failing_task(instance: Instance) -> Any | None:
    failed = instance.workflow.get_tasks(state=TaskState.ERROR)
    return failed[0] if failed else None


def failing_element_data(instance: Instance) -> dict[str, Any]:
    """The data the failing element ran with (empty when nothing is in error)."""
    task = _failing_task(instance)
    return dict(task.data) if task is not None else {}


def correct_failing_element_data(instance: Instance, changes: dict[str, Any]) -> None:
    """Replace values in the failing element's data before it is run again."""
    task = _failing_task(instance)
    if task is None:
        raise TaskNotReady("no element is in error")
    task.set_data(**changes)


# --- deadlines -------------------------------------------------------------------------------------


def due_variable(instance: Instance, task_id: str) -> str | None:
    """The data variable holding a ready task's due date (its ``dueDate`` property)."""
    return task_properties(_ready_task(instance, task_id).task_spec).get("dueDate") or None


@dataclass(frozen=True)
class MovedDeadline:
    variable: str
    previous: str | None
    sharing: list[str]  # the other tasks moved with it
    settled: list[str]  # the escalations of the passed date, done with the answer given


def move_deadline(
    instance: Instance,
    task_id: str,
    new_due: dt.date,
    *,
    run: bool = True,
    settle_with: dict[str, Any] | None = None,
) -> MovedDeadline:
    """Set a ready task's due date and re-arm its waiting deadline timers (reminder and overdue) so
    they fire against the new date. A timer that has fired (the reminder or the escalation of an overdue
    task) waits again for the new date: what it started has happened, and the new date is enforced as the
    first was. The escalation the passed date raised (a manager's task, see ``settle_escalations``) is
    done with the answer ``settle_with``: the extension is what it asked for.
    With ``run`` false (a suspended case) nothing else moves: no other timer fires, the re-armed ones
    wait for the case to run.

    A due variable is a deadline of the case that tasks in parallel may share (the publication deadline
    is the anonymisation's and the progress summary's): they move with it, or the branch done last would
    bring the old date back at the join, for the tasks after it. Other instances of a multi-instance task,
    and the tasks of other copies of a listener (one for each review added), keep their own dates."""
    task = _ready_task(instance, task_id)
    variable = task_properties(task.task_spec).get("dueDate")
    if not variable:
        raise TaskNotReady(f"{task.task_spec.bpmn_id} has no deadline")
    previous = task.data.get(variable)
    value = new_due.isoformat()
    sharing = [
        other
        for other in instance.workflow.get_tasks(state=TaskState.READY, manual=True)
        if other is not task
        and other.workflow is task.workflow  # a listener's tasks are each in a copy of the listener
        and not (isinstance(task.parent.task_spec, LoopTask) and other.parent is task.parent)
        and task_properties(other.task_spec).get("dueDate") == variable
        and previous is not None
        and other.data.get(variable) == previous
    ]
    for moving in [task, *sharing]:
        moving.set_data(**{variable: value})
        if isinstance(moving.parent.task_spec, LoopTask):
            follow_open_instances(instance, moving.parent, variable)
        else:
            _rearm(instance, moving, variable, value)
    settled = settle_escalations(instance, [task, *sharing], variable, previous, settle_with) if settle_with else []
    if run:
        instance.run()
    return MovedDeadline(variable, (str(previous) if previous else None), [str(o.id) for o in sharing], settled)


def settle_escalations(
    instance: Instance, moved: list[Any], variable: str, previous: Any, answer: dict[str, Any]
) -> list[str]:
    """Do, with ``answer``, the open escalation each moved task's passed date raised; return their ids.

    An escalation is a manager's task off the main path whose ``deadline`` (the deadline-overdue message's
    payload) names the task and its date. Tasks of one element in one process (the instances of a
    multi-instance task) share an escalation: it stays open while one of them is still due on that date."""
    settled: list[str] = []
    for task in moved:
        bpmn_id = bpmn_id_of(task)
        still_due = [
            other
            for other in task.workflow.get_tasks(state=TaskState.READY, manual=True)
            if bpmn_id_of(other) == bpmn_id and other.data.get(variable) == previous
        ]
        escalation = None if still_due else _open_escalation(instance, bpmn_id, previous, settled)
        if escalation is not None:
            escalation.set_data(**answer)
            escalation.run()
            settled.append(str(escalation.id))
    return settled


def _open_escalation(instance: Instance, bpmn_id: str | None, due: Any, taken: list[str]) -> Any | None:
    for task in instance.workflow.get_tasks(state=TaskState.READY, manual=True):
        deadline = task.data.get("deadline")
        if (
            str(task.id) not in taken
            and on_side_path(task)
            and isinstance(deadline, dict)
            and deadline.get("task") == bpmn_id
            and deadline.get("due") == due
        ):
            return task
    return None


def follow_open_instances(instance: Instance, loop: Any, variable: str) -> None:
    """The boundary events of a multi-instance task sit on its loop, not on each instance: one reminder and one
    escalation for all of them, due when the first instance still open is due (after one is extended, or
    after the one due first is done)."""
    dues = [str(t.data[variable]) for t in loop.children if t.state == TaskState.READY and t.data.get(variable)]
    if dues and loop.parent.data.get(variable) != min(dues):
        _rearm(instance, loop, variable, min(dues))


def _rearm(instance: Instance, holder: Any, variable: str, value: str) -> None:
    """Set the due date the deadline timers on ``holder`` read, and work out their times again."""
    # Timers take their data from the engine's split task above them each time they are refreshed (a task
    # without boundary events has none: its parent is the step before it, whose data is history).
    if isinstance(holder.parent.task_spec, BoundaryEventSplit):
        holder.parent.set_data(**{variable: value})
    timers = _deadline_timers(instance, holder) + _fired_timers_again(holder)
    for timer in timers:
        timer.set_data(**{variable: value})
        timer.internal_data.pop("event_value", None)
        timer.internal_data.pop("event_fired", None)
    instance.arm_timers(timers)


def _fired_timers_again(holder: Any) -> list[Any]:
    """A new wait for each deadline timer on ``holder`` that has fired (the reminder or the escalation of an
    overdue task being extended), so the new date is reminded of and enforced as the first one was."""
    split = holder.parent
    if not isinstance(split.task_spec, BoundaryEventSplit):
        return []
    waiting = {t.task_spec.name for t in split.children if t.state == TaskState.WAITING}
    again = []
    for fired in [t for t in split.children if t.state == TaskState.COMPLETED]:
        spec = fired.task_spec
        if (
            not isinstance(spec, BoundaryEvent)
            or spec.cancel_activity
            or not isinstance(spec.event_definition, TimerEventDefinition)
            or spec.name in waiting
        ):
            continue
        timer = split._add_child(spec, TaskState.FUTURE)
        spec._predict(timer, mask=TaskState.NOT_FINISHED_MASK)  # its path (the notice it raises) follows it
        timer._inherit_data()
        timer._set_state(TaskState.WAITING)
        timer.workflow.top_workflow.event_manager.add_task(timer)
        waiting.add(spec.name)
        again.append(timer)
    return again


def _deadline_timers(instance: Instance, task: Any) -> list[Any]:
    """Waiting timer boundary events attached to the task (for a multi-instance task, its loop)."""
    attached = task.task_spec.bpmn_id
    return [
        t
        for t in instance.workflow.get_tasks(state=TaskState.WAITING)
        if isinstance(t.task_spec, BoundaryEvent)
        and isinstance(t.task_spec.event_definition, TimerEventDefinition)
        and t.parent is task.parent
        and _attached_to(t) == attached
    ]


def _attached_to(timer: Any) -> str | None:
    """The task a boundary event sits on: its sibling under the engine's boundary parent."""
    siblings = [s for s in timer.parent.children if not isinstance(s.task_spec, BoundaryEvent)]
    return bpmn_id_of(siblings[0]) if siblings else None


def _ready_task(instance: Instance, task_id: str) -> Any:
    try:
        task = instance.workflow.get_task_from_id(UUID(task_id))
    except (ValueError, KeyError, SpiffWorkflowException):
        raise TaskNotReady(task_id) from None
    if task is None or task.state != TaskState.READY:
        raise TaskNotReady(task_id)
    return task
