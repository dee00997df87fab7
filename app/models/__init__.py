"""Database tables. Pages and the API read the projection tables (task, process_instance), never state blobs."""

from .attachments import CaseAttachment
from .audit import AuditEvent, OutboxDelivery, OutboxMessage
from .deadlines import DeadlineExtension
from .definitions import ProcessDefinition
from .dryruns import DryRunJob
from .idempotency import IdempotencyKey  # noqa: F401
from .instances import CaseProvider, ProcessInstance, Task, TaskDraft
from .modelling import ProcessDraft
from .operations import WorkerPass
from .publication import (  # noqa: F401
    LessonsDigest,
    PublicationCounter,
    PublishedReport,
    RecommendationRecord,
    ReviewFailure,
    ReviewTheme,
    Theme,
)
from .users import ApiToken, Group, GroupLaneName, RateLimitCounter, User, UserGroup
from .written_together import WRITTEN_TOGETHER  # noqa: F401  (its flush listeners)

__all__ = [
    "ApiToken",
    "AuditEvent",
    "CaseAttachment",
    "CaseProvider",
    "DeadlineExtension",
    "DryRunJob",
    "Group",
    "GroupLaneName",
    "OutboxDelivery",
    "OutboxMessage",
    "ProcessDefinition",
    "ProcessDraft",
    "ProcessInstance",
    "RateLimitCounter",
    "Task",
    "TaskDraft",
    "User",
    "UserGroup",
    "WorkerPass",
]
