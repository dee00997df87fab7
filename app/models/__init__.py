"""Database tables. Pages and the API read the projection tables (task, process_instance), never state blobs."""

from .audit import AuditEvent, OutboxMessage
from .deadlines import DeadlineExtension
from .definitions import ProcessDefinition
from .instances import ProcessInstance, Task, TaskDraft
from .modelling import ProcessDraft
from .publication import PublishedReport, RecommendationRecord, ReviewTheme, Theme  # noqa: F401
from .users import ApiToken, RateLimitCounter, User, UserGroup

__all__ = [
    "ApiToken", "AuditEvent", "DeadlineExtension", "OutboxMessage", "ProcessDefinition", "ProcessDraft", "ProcessInstance", "Task",
    "TaskDraft", "RateLimitCounter", "User", "UserGroup",
]
