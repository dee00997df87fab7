"""Declaring an API operation once: what it reads, what it returns, and how the OpenAPI document shows it.

``@operation`` loads the query string and body with their schemas (passing them to the view as
``query`` and ``body``), and dumps what the view returns with the response schema. The same
declaration feeds ``openapi.py``, so the document cannot drift from what the views accept.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, wraps
from typing import Any

from flask import jsonify, request
from marshmallow import Schema, ValidationError
from marshmallow.fields import Nested
from werkzeug.exceptions import BadRequest

from ..services.errors import Invalid

JSON = "application/json"
MULTIPART = "multipart/form-data"
_SURROGATE = re.compile("[\ud800-\udfff]")


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
    other_responses: tuple[tuple[int, type[Schema]], ...] = ()  # statuses answered with another schema
    errors: tuple[int, ...] = ()
    public: bool = False
    description: str = ""
    idempotent: bool = False  # accepts an Idempotency-Key; the work and its answer commit together


def operation(summary: str, **declared: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    spec = Operation(summary, **declared)
    # Made now, while the app is imported, rather than by the first requests' threads.
    query, body = (shared(schema) if schema else None for schema in (spec.query, spec.body))
    for answer in (spec.response, *dict(spec.other_responses).values()):
        if answer is not None:
            shared(answer)

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def handle(**path_args: Any) -> Any:
            refuse_nul(path_args)
            if query is not None:
                path_args["query"] = load(query, refuse_nul(request.args.to_dict()))
            if body is not None:
                path_args["body"] = load(body, read_body(spec.body_type))
            if spec.idempotent:
                from .idempotency import answer_once

                return answer_once(lambda: render(spec, view(**path_args)))
            return render(spec, view(**path_args))

        handle.operation = spec  # type: ignore[attr-defined]
        return handle

    return decorate


class Dumped(dict):
    """An answer already in its response schema's shape, written directly where dumping it through the
    schema cost more than the work (a test keeps each such writer equal to the schema's dump)."""


def render(spec: Operation, result: Any) -> Any:
    """The view's result as JSON; a view may return ``(result, status)`` or ``(result, status, headers)``."""
    if spec.response is None:
        return result
    status: int = spec.status
    headers: dict[str, str] = {}
    if isinstance(result, tuple):
        result, status, *rest = result
        headers = rest[0] if rest else {}
    if isinstance(result, Dumped):
        return jsonify(result), status, headers
    schema = shared(dict(spec.other_responses).get(status, spec.response))
    return jsonify(schema.dump(result)), status, headers


@cache
def shared(schema_class: type[Schema]) -> Schema:
    """One instance of each schema for every request and thread: making one copies all its fields (about a
    millisecond for a case), and loading or dumping changes nothing in it (marshmallow 4 has no context).
    Its nested schemas are made here, before it is shared: marshmallow makes them on first use, and another
    thread could otherwise see one half made."""
    schema = schema_class()
    _make_nested(schema)
    return schema


def _make_nested(schema: Schema) -> None:
    pending: list[Any] = list(schema.fields.values())
    while pending:
        field = pending.pop()
        if isinstance(field, Nested):
            _make_nested(field.schema)
        pending.extend(f for f in (getattr(field, name, None) for name in _INNER_FIELDS) if f is not None)


_INNER_FIELDS = ("inner", "key_field", "value_field")  # List's items, Dict's keys and values


def load(schema: Schema, payload: Any) -> Any:
    try:
        return schema.load(payload)
    except ValidationError as error:
        raise Invalid("The request has errors.", flatten(error.messages)) from None


def read_body(body_type: str) -> Any:
    return read_multipart() if body_type == MULTIPART else read_json()


def read_json() -> Any:
    """The JSON body; an empty body counts as ``{}`` so actions without fields need none.

    Only what the database can store gets through: no NaN or Infinity, no NUL characters.
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    if not request.is_json:
        raise BadRequest("Send the request body as JSON, with Content-Type: application/json.")
    try:
        payload = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (ValueError, RecursionError):
        raise BadRequest("The request body is not valid JSON.") from None
    return refuse_nul(payload)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    """Numbers too large for a float would be stored as Infinity, which is not JSON either."""
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"{text} is out of range")
    return number


def refuse_nul(payload: Any) -> Any:
    """Refuse text holding the NUL character (PostgreSQL can store it in neither text nor JSON columns) or a
    lone surrogate (``"\\ud800"`` is valid JSON but no character: it cannot be stored or sent back as UTF-8)."""
    pending = [payload]
    while pending:  # a loop, not recursion: the payload may be nested as deep as the JSON parser allows
        value = pending.pop()
        if isinstance(value, str) and "\x00" in value:
            raise BadRequest("Text in the request cannot contain the NUL character (\\u0000).")
        if isinstance(value, str) and _SURROGATE.search(value):
            raise BadRequest("Text in the request holds a lone surrogate (\\ud800 to \\udfff), which is no character.")
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return payload


def read_multipart() -> dict[str, Any]:
    if request.mimetype != MULTIPART:
        raise BadRequest("Send the files as multipart/form-data.")
    form = refuse_nul(request.form.to_dict())  # no form fields are expected: the schema refuses them
    parts = [part for _, part in request.files.items(multi=True)]
    refuse_nul([part.filename for part in parts])
    return {**form, "files": parts}


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
