"""Reopening a closed case: the decision before its end is taken again, on the same instance.

An end event may say that a later message reopens the case: ``reopenedBy`` names the message and
``reopenWhen`` is a condition on its payload (for the SFO model, "Closed unpublished" is reopened by a
court-outcome with ``court_outcome == "convicted_sfo"``). Reopening resets the gateway that led to that end
event (``BpmnWorkflow.reset_from_task_id``): the end event's branch is removed from the state, everything before
it stays, and the message is then delivered, so listeners keep it as they would any other. The case keeps its
reference, history (audit trail, completed task rows) and version; the gateway decides again with the new data.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.util.task import TaskState

from .definitions import task_properties
from .runtime import Instance
from .sandbox import holds

REOPENED_BY = "reopenedBy"
REOPEN_WHEN = "reopenWhen"


class NotReopenable(Exception):
    """The case did not end at an end event that this message (with this payload) reopens."""


def _last_end(instance: Instance) -> Any | None:
    ends = [
        t
        for t in instance.workflow.get_tasks(state=TaskState.COMPLETED)
        if type(t.task_spec).__name__ == "EndEvent" and t.task_spec.bpmn_name and t.workflow is instance.workflow
    ]
    return max(ends, key=lambda t: t.last_state_change) if ends else None


def reopens(instance: Instance, message: str, payload: dict[str, Any]) -> bool:
    """Whether this message with this payload reopens the closed case."""
    end = _last_end(instance) if instance.is_completed else None
    if end is None:
        return False
    properties = task_properties(end.task_spec)
    if properties.get(REOPENED_BY) != message:
        return False
    condition = properties.get(REOPEN_WHEN)
    return not condition or holds(condition, payload)


def reopen(instance: Instance, message: str, payload: dict[str, Any]) -> None:
    """Reopen the case at the decision before its end and deliver the message."""
    if not reopens(instance, message, payload):
        raise NotReopenable(f"the case did not end where '{message}' reopens it")
    decision = _decision_before(_last_end(instance))
    instance.workflow.completed = False
    instance.workflow.reset_from_task_id(decision.id)
    if not instance.deliver_message(message, payload):
        raise NotReopenable(f"nothing in the process takes '{message}'")


def _decision_before(end: Any) -> Any:
    current = end.parent
    while current is not None and "Gateway" not in type(current.task_spec).__name__:
        current = current.parent
    if current is None:
        raise NotReopenable("no decision leads to the end event")
    return current
