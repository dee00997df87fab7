"""The ``Idempotency-Key`` header on the API's actions that create or move a case."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from flask import Response, make_response, request

from ..services import idempotency
from ..services.runtime import request_transaction
from .auth import current_user

REPLAY_HEADER = "Idempotent-Replayed"


def answer_once(build: Callable[[], Any]) -> Response:
    """Run the request and build its answer in one transaction; with a key, keep that answer for
    retries, and give a retry the kept answer instead of doing the work again."""
    raw = request.headers.get(idempotency.HEADER)
    key = idempotency.check_key(raw) if raw is not None else None
    username = current_user().username
    with request_transaction():
        if key is not None:
            stored = idempotency.claim_key(username, key, request_fingerprint())
            if stored is not None:
                return _replay(stored.response_status or 200, stored.response_body or "", stored.location)
        response = make_response(build())
        if key is not None:
            body = response.get_data(as_text=True)
            idempotency.record_answer(username, key, response.status_code, body, response.headers.get("Location"))
    return response


def request_fingerprint() -> str:
    """The method, path and body of the request; a JSON body is compared by content, not spacing."""
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode() if raw.strip() else b""
    except ValueError:
        body = raw
    return hashlib.sha256(b"\n".join([request.method.encode(), request.path.encode(), body])).hexdigest()


def _replay(status: int, body: str, location: str | None) -> Response:
    response = Response(body, status=status, mimetype="application/json")
    if location:
        response.headers["Location"] = location
    response.headers[REPLAY_HEADER] = "true"
    return response
