"""Database tables. Pages and the API read the projection tables (task, process_instance), never state blobs."""

from .audit import AuditEvent, OutboxMessage
from .definitions import ProcessDefinition
from .instances import ProcessInstance, Task, TaskDraft
from .users import ApiToken, User, UserGroup

__all__ = [
    "ApiToken", "AuditEvent", "OutboxMessage", "ProcessDefinition", "ProcessInstance", "Task",
    "TaskDraft", "User", "UserGroup",
]
