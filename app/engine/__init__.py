"""The one seam to SpiffWorkflow: nothing outside this package imports it."""

from .definitions import DefinitionInvalid, Form, Problem, ProcessModel, parse_process_model, parse_xml
from .runtime import Engine, HumanTask, Instance, Notification, ProcessError, TaskNotReady

__all__ = [
    "DefinitionInvalid",
    "Engine",
    "Form",
    "HumanTask",
    "Instance",
    "Notification",
    "Problem",
    "ProcessError",
    "ProcessModel",
    "TaskNotReady",
    "parse_process_model",
    "parse_xml",
]
