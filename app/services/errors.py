"""Errors a use case can end in; the web and API adapters turn them into responses."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Invalid(ServiceError):
    status = 422
    code = "validation_failed"


class CaseNotWorkable(Conflict):
    """The case is suspended (or stopped): its tasks wait, and what was typed can be kept as a draft.
    The API answers it as any other conflict."""

    def __init__(self, status: str):
        super().__init__(f"The case is {status}; its tasks cannot be completed now.")
        self.case_status = status


class CaseStopped(Conflict):
    """The step was abandoned (it went over its budget inside the engine); the case is now in error."""

    code = "case_in_error"


class StepAbandoned(Exception):  # noqa: N818 - a signal to the transaction, not an error shown as such
    """Raised by ``progress.advance`` when the engine's state after a step must not be kept: the
    transaction rolls everything back and records only that the case is in error."""

    def __init__(self, instance_id: int, element_id: str, message: str):
        super().__init__(message)
        self.instance_id, self.element_id, self.message = instance_id, element_id, message
