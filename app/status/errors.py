"""Error responses: the JSON error body for the API and status paths, error pages for the web."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, jsonify, make_response, request
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..services.errors import ServiceError

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}
RETRY_AFTER_SECONDS = 5
TOO_LARGE = "The request is larger than this service accepts."
UNAVAILABLE = (
    "The service cannot reach its database just now. Try again in a few seconds; the outcome of this "
    "request is unknown, so retry it with the same Idempotency-Key."
)


def error_body(status: int, message: str, fields: dict[str, list[str]] | None = None, code: str | None = None) -> Any:
    response = jsonify(
        error={"code": code or HTTP_CODES.get(status, "error"), "message": message, "fields": fields or {}}
    )
    response.status_code = status
    return response


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path in ("/healthz", "/readyz", "/metrics")


def _respond(status: int, message: str, fields: dict[str, list[str]] | None = None, code: str | None = None) -> Any:
    """The JSON error body for the API and status paths; an error page in the service's design elsewhere."""
    if wants_json():
        return error_body(status, message, fields, code)
    from ..web.errors import render_error_page

    return render_error_page(status, message)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError):
        return _respond(error.status, error.message, error.fields, error.code)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge):
        if wants_json():
            return error_body(413, TOO_LARGE)
        from ..web.errors import render_too_large  # an upload form may answer with its own page

        return render_too_large(TOO_LARGE)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        response = _respond(status, error.description or "Request failed.")
        if getattr(error, "valid_methods", None) and wants_json():  # a 405 says which methods are allowed
            response.headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if database_unavailable(error):
            return _unavailable(error)
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        app.logger.exception("unhandled error on %s %s", request.method, route)
        return _respond(500, "Something went wrong on our side. The error has been logged.")


def database_unavailable(error: BaseException) -> bool:
    """A connection that failed or dropped, no connection free in the pool, or SQLite still locked after
    its busy timeout: the database, not the request, is the problem, and a retry may well succeed."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, (OperationalError, InterfaceError, DisconnectionError, PoolTimeout, PendingRollbackError))


def _unavailable(error: BaseException) -> Any:
    from ..extensions import db

    # The message only: the driver's text may hold the database's address.
    current_app.logger.warning(
        "database unavailable on %s %s: %s", request.method, request.path, type(getattr(error, "orig", error)).__name__
    )
    try:
        db.session.rollback()
    except Exception:  # the connection is gone; the pool replaces it on the next checkout
        db.session.close()
    if not wants_json():
        _forget_signed_in_user()
    response = _respond(503, UNAVAILABLE)
    response = response if not isinstance(response, tuple) else make_response(response)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _forget_signed_in_user() -> None:
    """The page layout asks who is signed in; with the database gone that question would fail again."""
    from flask import g

    manager = getattr(current_app, "login_manager", None)
    if manager is not None:
        g._login_user = manager.anonymous_user()
