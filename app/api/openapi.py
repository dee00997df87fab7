"""The OpenAPI 3 document, generated from the routes and the schemas their ``@operation`` declares."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from ..services.messages import MESSAGE_PAYLOADS
from .operations import JSON, Operation, operation
from .schemas import ErrorSchema

API_PREFIX = "/api/v1"
OPENAPI_VERSION = "3.0.3"
_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
_ARGUMENT_TYPES = {"id": "integer", "int": "integer", "float": "number"}

IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "A key of your choosing (e.g. a UUID), unique per request you mean to make. A retry with the "
    "same key and the same request returns the first answer (with `Idempotent-Replayed: true`) and does "
    "nothing twice; the same key with a different request gets 422. Keys are kept for 24 hours. "
    "Send one whenever you may retry: a 5xx answer means the outcome is unknown, so retry with the same key.",
}

docs = Blueprint("api_docs", __name__)
docs.public = True  # type: ignore[attr-defined]


@docs.get("/openapi.json")
@operation("This OpenAPI document", public=True)
def openapi_document() -> Response:
    document = current_app.extensions.get("sfo.openapi")
    if document is None:
        document = current_app.extensions["sfo.openapi"] = build_document(current_app)
    return jsonify(document)


def build_document(app: Flask) -> dict[str, Any]:
    # apispec is imported here: a worker builds the document once, if anyone asks for it.
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin

    spec = APISpec(
        title="SFO review workflow API",
        version="1",
        openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin()],
        info={"description": "Cases, tasks and process definitions of the SFO review service."},
        security=[{"bearer": []}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorSchema)
    for payload in MESSAGE_PAYLOADS.values():  # message payloads are JSON Schemas checked by the service
        spec.components.schema(payload["title"], component=payload)
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(api_rules(app), key=lambda r: r.rule):
        declared = operation_of(app, rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(openapi_path(rule), {})[method.lower()] = describe(rule, declared)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def api_rules(app: Flask) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(API_PREFIX + "/")]


def operation_of(app: Flask, rule: Rule) -> Operation:
    declared = getattr(app.view_functions[rule.endpoint], "operation", None)
    if declared is None:
        raise RuntimeError(f"{rule.rule} has no @operation declaration")
    return declared


def openapi_path(rule: Rule) -> str:
    return _ARGUMENT.sub(lambda match: "{" + match["name"] + "}", rule.rule)


def describe(rule: Rule, declared: Operation) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "summary": declared.summary,
        "operationId": rule.endpoint.removeprefix("api.").replace(".", "_"),
        "tags": [rule.endpoint.split(".")[-2]],
        "parameters": path_parameters(rule),
        "responses": responses(declared),
    }
    if declared.description:
        doc["description"] = declared.description
    if declared.query is not None:
        doc["parameters"].append({"in": "query", "schema": declared.query})
    if declared.idempotent:
        doc["parameters"].append(IDEMPOTENCY_KEY)
    if declared.body is not None:
        required = any(field.required for field in declared.body().fields.values())
        doc["requestBody"] = {"required": required, "content": {declared.body_type: {"schema": declared.body}}}
    if declared.public:
        doc["security"] = []
    return doc


def path_parameters(rule: Rule) -> list[dict[str, Any]]:
    return [
        {
            "in": "path",
            "name": match["name"],
            "required": True,
            "schema": {"type": _ARGUMENT_TYPES.get(match["converter"] or "", "string")},
        }
        for match in _ARGUMENT.finditer(rule.rule)
    ]


def responses(declared: Operation) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "string"} if declared.response_type != JSON else {"type": "object"}
    success = {
        "description": HTTPStatus(declared.status).phrase,
        "content": {declared.response_type: {"schema": declared.response or body}},
    }
    answers = {str(declared.status): success}
    for status in declared.other_statuses:
        answers[str(status)] = {**success, "description": HTTPStatus(status).phrase}
    for status, schema in declared.other_responses:
        answers[str(status)] = {"description": HTTPStatus(status).phrase, "content": {JSON: {"schema": schema}}}
    for status in error_statuses(declared):
        answers[str(status)] = {
            "description": HTTPStatus(status).phrase,
            "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return answers


def error_statuses(declared: Operation) -> list[int]:
    statuses = set(declared.errors)
    if not declared.public:
        statuses |= {401, 503}  # 503 with Retry-After while the database cannot be reached
    if declared.query is not None or declared.body is not None:
        statuses |= {400, 422}
    if declared.body is not None:
        statuses.add(413)
    return sorted(statuses)
