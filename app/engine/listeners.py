"""Listeners: event sub-processes that wait for a message for the whole life of a case.

A listener is an event sub-process at the top level of a process whose start event catches a message.
SpiffWorkflow starts a fresh copy of it each time the message comes, whatever the main path is doing, so
nothing of it waits in the engine state while no message has come (no WAITING task). A copy that has run
leaves the sub-process task (a child of the workflow's root task) and, after it, the process's
``<process>.EndJoin`` task waiting for the rest of the case; neither is a catch event.

A listener whose start event has an ``acceptWhen`` property takes messages from outside (the API): the
property is a condition on the case data saying when they are accepted, for example ``eligible`` for the
court outcome. A listener without it is internal: only the model's own throw events reach it (the deadline
reminder and overdue messages).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent

from .definitions import ProcessModel, task_properties
from .sandbox import holds

ACCEPT_WHEN = "acceptWhen"


@dataclass(frozen=True)
class Listener:
    element_id: str  # the event sub-process
    start_id: str  # its start event
    message: str
    accept_when: str | None
    definition: Any

    @property
    def takes_outside_messages(self) -> bool:
        return self.accept_when is not None


def listeners_of(model: ProcessModel) -> list[Listener]:
    found = []
    for name in model.spec.start.trigger_specs:
        sub_process = model.spec.task_specs[name]
        spec = model.subprocess_specs.get(sub_process.spec)
        for start in getattr(spec, "bpmn_start_events", []):
            definition = getattr(start, "event_definition", None)
            if isinstance(definition, MessageEventDefinition):
                accept = task_properties(start).get(ACCEPT_WHEN)
                found.append(Listener(sub_process.bpmn_id, start.bpmn_id, definition.name, accept or None, definition))
    return found


def outside_listener(model: ProcessModel, message: str) -> Listener | None:
    """The listener that takes this message from outside, if the model has one."""
    return next((item for item in listeners_of(model) if item.message == message and item.takes_outside_messages), None)


def accepts(listener: Listener, data: dict[str, Any]) -> bool:
    """Whether the listener takes an outside message now: its acceptWhen condition holds on the case data."""
    return listener.accept_when is not None and holds(listener.accept_when, data)


def listener_element_ids(model: ProcessModel) -> set[str]:
    return {name for name in model.spec.start.trigger_specs}


def on_side_path(task: Any) -> bool:
    """Whether a task runs off the case's main path: inside a listener, or on the path a non-interrupting
    boundary event started (a deadline reminder or escalation). Such tasks carry the data of the moment
    their path began, not the case's current data."""
    top = task.workflow.top_workflow
    listeners = set(top.spec.start.trigger_specs)
    current = task
    while current is not None:
        spec = current.task_spec
        if isinstance(spec, BoundaryEvent) and not spec.cancel_activity:
            return True
        if current.workflow is top and spec.name in listeners:
            return True
        parent = current.parent
        if parent is None and current.workflow is not top:
            parent = top.get_task_from_id(current.workflow.parent_task_id)
        current = parent
    return False
