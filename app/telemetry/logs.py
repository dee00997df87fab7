"""Logs as JSON lines, each with the request id (X-Request-Id) and the case it concerns.

A request takes the X-Request-Id it was sent (when it is a plain token) or makes one, answers with
it, and every line logged while it runs carries it. The id is stored with the work the request
queued (the case row, its outbox messages), so the worker's lines for that case carry it too.
Log lines hold ids, kinds and counts, never case data: names and addresses stay in the database.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import Flask, g, request
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy import event
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

REQUEST_ID_HEADER = "X-Request-Id"
# What a caller may send as its request id: a token such as a UUID, nothing that could forge a log line.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_request_id: ContextVar[str | None] = ContextVar("sfo_request_id", default=None)
_case_id: ContextVar[int | None] = ContextVar("sfo_case_id", default=None)
log = logging.getLogger("app.requests")


class CaseLog:
    def follow(self, request_id: str | None, case_id: int | None) -> None:
        """From here on, lines carry this request id and case."""
        _request_id.set(request_id)
        _case_id.set(case_id)


@contextmanager
def log_context(request_id: str | None = None, case_id: int | None = None) -> Iterator[CaseLog]:
    """Lines logged inside carry this request id and case (the worker, handling one case's work)."""
    request_token, case_token = _request_id.set(request_id), _case_id.set(case_id)
    try:
        yield CaseLog()
    finally:
        _request_id.reset(request_token)
        _case_id.reset(case_token)


class WithheldDatabaseError(Exception):
    """Stands in for a database error in a log line: the database's own message may quote the values
    it was given (PostgreSQL's "Key (...)=(...) already exists"), which may be case data."""


class ContextFilter(logging.Filter):
    """Adds ``request_id`` and ``case_id`` to every record (None outside a request or a case's work),
    and keeps a database error's message (but not its traceback) out of the line."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        record.case_id = _case_id.get()
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, StatementError):
            cause = type(getattr(error, "orig", None) or error).__name__
            withheld = WithheldDatabaseError(f"{type(error).__name__} ({cause}); the database's message is withheld")
            record.exc_info, record.exc_text = (WithheldDatabaseError, withheld, error.__traceback__), None
        return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(case_id)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )


def configure_logging(log_format: str) -> None:
    """One handler on the root logger, writing JSON lines (or plain text) to standard error, at INFO.
    Logging that whoever embeds the app set up already (a test runner, a script) is left as it is."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "sfo_handler", False)), None)
    if handler is None:
        if root.handlers:
            return
        handler = logging.StreamHandler()
        handler.sfo_handler = True  # type: ignore[attr-defined]
        handler.addFilter(ContextFilter())
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    text = "%(asctime)s %(levelname)s %(name)s [%(request_id)s case %(case_id)s]: %(message)s"
    handler.setFormatter(json_formatter() if log_format == "json" else logging.Formatter(text))


def _incoming_request_id() -> str:
    sent = request.headers.get(REQUEST_ID_HEADER, "")
    return sent if VALID_REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex


def _begin_request() -> None:
    g.sfo_request_started = time.perf_counter()
    g.sfo_request_token = _request_id.set(_incoming_request_id())


def _end_request(response: Any) -> Any:
    request_id = _request_id.get()
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("sfo_request_started")
    if started is not None:
        # The route's pattern, not the path: no reference, query string or user in the line.
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        elapsed = (time.perf_counter() - started) * 1000
        log.info(
            "%s %s %s",
            request.method,
            route,
            response.status_code,
            extra={"route": route, "status": response.status_code, "duration_ms": round(elapsed, 1)},
        )
    return response


def _forget_request(_: BaseException | None) -> None:
    token = g.pop("sfo_request_token", None)
    if token is not None:
        _request_id.reset(token)


def _stamp_request_id(session: Session, _context: Any, _instances: Any) -> None:
    """Rows a request creates or changes that the worker acts on later remember the request's id."""
    request_id = _request_id.get()
    if request_id is None:
        return
    from ..models import OutboxMessage, ProcessInstance

    for row in list(session.new) + [r for r in session.dirty if session.is_modified(r)]:
        if isinstance(row, (OutboxMessage, ProcessInstance)) and row.request_id != request_id:
            row.request_id = request_id


def register_request_ids(app: Flask) -> None:
    app.before_request(_begin_request)
    app.after_request(_end_request)
    app.teardown_request(_forget_request)
    if not event.contains(Session, "before_flush", _stamp_request_id):  # first: rows may be written in a listener
        event.listen(Session, "before_flush", _stamp_request_id, insert=True)
