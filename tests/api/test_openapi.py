"""The OpenAPI document: generated from the same schemas, listing every route, internally consistent.

(openapi-spec-validator is not a dependency, so the structure is checked here directly.)
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.api.openapi import API_PREFIX, openapi_path
from tests.api.helpers import API

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}


@pytest.fixture
def document(client) -> dict[str, Any]:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()  # type: ignore[no-any-return]


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert method in HTTP_METHODS, f"{path} has {method}"
            yield path, method, operation


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_top_level(document):
    assert document["openapi"] == "3.0.3"
    assert document["info"]["title"] and document["info"]["version"]
    assert document["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    assert document["security"] == [{"bearer": []}]


def test_every_route_is_documented_and_nothing_else(app, document):
    routes = {
        (openapi_path(rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API_PREFIX + "/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, method, _ in _operations(document)}
    assert documented == routes
    assert len(routes) >= 21


def test_every_reference_resolves(document):
    schemas = document["components"]["schemas"]
    refs = set(_refs(document))
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref


def test_operations_are_complete(document):
    ids = []
    for path, method, operation in _operations(document):
        ids.append(operation["operationId"])
        assert operation["summary"]
        statuses = set(operation["responses"])
        assert any(status.startswith("2") for status in statuses), (path, method)
        for status, response in operation["responses"].items():
            assert response["description"], (path, method, status)
        names = set(re.findall(r"{(\w+)}", path))
        declared = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
        assert names == declared, (path, method)
        if path.endswith("/openapi.json"):
            assert operation["security"] == []
        else:
            assert "security" not in operation and "401" in statuses, (path, method)
    assert len(ids) == len(set(ids))


def test_errors_share_the_error_schema(document):
    error = document["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["$ref"] == "#/components/schemas/ErrorDetail"
    detail = document["components"]["schemas"]["ErrorDetail"]
    assert set(detail["properties"]) == {"code", "message", "fields"}
    start = document["paths"][f"{API}/process-instances"]["post"]
    assert start["responses"]["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_request_bodies_come_from_the_schemas(document):
    schemas = document["components"]["schemas"]
    start = document["paths"][f"{API}/process-instances"]["post"]
    assert start["requestBody"]["required"] is True
    body = schemas[start["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert set(body["properties"]) == {"process_key", "business_key", "data"}
    assert body["required"] == ["process_key"] and body["additionalProperties"] is False
    deploy = document["paths"][f"{API}/process-definitions"]["post"]
    assert {"201", "200", "403", "413", "422"} <= set(deploy["responses"])
    upload = deploy["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert schemas[upload]["properties"]["files"]["items"] == {"type": "string", "format": "binary"}
    resume = document["paths"][f"{API}/process-instances/{{instance_id}}/resume"]["post"]
    assert resume["requestBody"]["required"] is False


def test_query_filters_are_listed(document):
    instances = document["paths"][f"{API}/process-instances"]["get"]
    names = {p["name"] for p in instances["parameters"] if p["in"] == "query"}
    assert names == {"process_key", "business_key", "status", "overdue", "assignee", "stage", "page", "per_page"}
    tasks = document["paths"][f"{API}/tasks"]["get"]
    names = {p["name"] for p in tasks["parameters"] if p["in"] == "query"}
    assert {"assignee", "candidate", "state", "overdue", "business_key", "process_instance_id"} <= names


def test_responses_describe_the_fields_the_api_returns(document):
    schemas = document["components"]["schemas"]
    instance = schemas["Instance"]["properties"]
    for field in (
        "id",
        "process_key",
        "business_key",
        "status",
        "stage",
        "data",
        "ready_tasks",
        "completed_tasks",
        "created_at",
        "updated_at",
        "version",
    ):
        assert field in instance, field
    task = schemas["Task"]["properties"]
    for field in ("id", "name", "bpmn_id", "lane", "assignee", "candidate_groups", "due_at", "state"):
        assert field in task, field
    assert task["due_at"]["format"] == "date"
    assert set(schemas["TaskDetail"]["properties"]) >= {"form", "documentation", "data", "draft"}
    assert "start_form" in schemas["DefinitionDetail"]["properties"]


def test_bpmn_download_is_documented_as_xml(document):
    download = document["paths"][f"{API}/process-definitions/{{key}}/versions/{{version}}/bpmn"]["get"]
    assert "application/xml" in download["responses"]["200"]["content"]
    version = [p for p in download["parameters"] if p["name"] == "version"][0]
    assert version["schema"]["type"] == "integer"
