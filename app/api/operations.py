"""Declaring an API operation once: what it reads, what it returns, and how the OpenAPI document shows it.

``@operation`` loads the query string and body with their schemas (passing them to the view as
``query`` and ``body``), and dumps what the view returns with the response schema. The same
declaration feeds ``openapi.py``, so the document cannot drift from what the views accept.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import jsonify, request
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import BadRequest

from ..services.errors import Invalid

JSON = "application/json"
MULTIPART = "multipart/form-data"


@dataclass(frozen=True)
class Operation:
    summary: str
    query: type[Schema] | None = None
    body: type[Schema] | None = None
    body_type: str = JSON
    response: type[Schema] | None = None
    response_type: str = JSON
    status: int = 200
    other_statuses: tuple[int, ...] = ()
    errors: tuple[int, ...] = ()
    public: bool = False
    description: str = ""


def operation(summary: str, **declared: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    spec = Operation(summary, **declared)

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def handle(**path_args: Any) -> Any:
            if spec.query is not None:
                path_args["query"] = load(spec.query(), request.args.to_dict())
            if spec.body is not None:
                path_args["body"] = load(spec.body(), read_body(spec.body_type))
            return render(spec, view(**path_args))

        handle.operation = spec  # type: ignore[attr-defined]
        return handle

    return decorate


def render(spec: Operation, result: Any) -> Any:
    """The view's result as JSON; a view may return ``(result, status)`` or ``(result, status, headers)``."""
    if spec.response is None:
        return result
    status, headers = spec.status, {}
    if isinstance(result, tuple):
        result, status, *rest = result
        headers = rest[0] if rest else {}
    return jsonify(spec.response().dump(result)), status, headers


def load(schema: Schema, payload: Any) -> Any:
    try:
        return schema.load(payload)
    except ValidationError as error:
        raise Invalid("The request has errors.", flatten(error.messages)) from None


def read_body(body_type: str) -> Any:
    return read_multipart() if body_type == MULTIPART else read_json()


def read_json() -> Any:
    """The JSON body; an empty body counts as ``{}`` so actions without fields need none."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    if not request.is_json:
        raise BadRequest("Send the request body as JSON, with Content-Type: application/json.")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise BadRequest("The request body is not valid JSON.") from None


def read_multipart() -> dict[str, Any]:
    if request.mimetype != MULTIPART:
        raise BadRequest("Send the files as multipart/form-data.")
    fields: dict[str, Any] = request.form.to_dict()  # no form fields are expected: the schema refuses them
    fields["files"] = [part for _, part in request.files.items(multi=True)]
    return fields


def flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as ``{"field.path": [messages]}``."""
    if isinstance(messages, dict):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            path = prefix if key == "_schema" else f"{prefix}.{key}" if prefix else str(key)
            for field, texts in flatten(value, path).items():
                flat.setdefault(field, []).extend(texts)
        return flat
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "_body": list(messages)}
    return {prefix or "_body": [str(messages)]}
