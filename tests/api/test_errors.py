"""The error body everywhere under /api/, with the right status and never a trace."""

from __future__ import annotations

from io import BytesIO

from tests.api import variants
from tests.api.helpers import API


def _error(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert "Traceback" not in response.get_data(as_text=True)
    return body["error"]


def test_unknown_api_path_is_not_found(client):
    assert _error(client.get(f"{API}/nothing-here"), 404)["code"] == "not_found"


def test_wrong_method_is_not_allowed_and_says_what_is(api, people):
    response = api.call("DELETE", "/tasks", people.team)
    assert _error(response, 405)["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_too_large_a_body_is_refused(api, people, small_definition, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    body = {"process_key": "small", "business_key": "SFO-1", "data": {"provider_org": "x" * 2000}}
    response = api.call("POST", "/process-instances", people.team, json=body)
    assert _error(response, 413)["code"] == "too_large"
    assert api.get("/process-instances", people.team)["total"] == 0


def test_too_large_an_upload_is_refused(api, people, small_definition, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    parts = [(BytesIO(content), name) for name, content in variants.files(variants.renamed("Big")).items()]
    response = api.call(
        "POST", "/process-definitions", people.owner, data={"files": parts}, content_type="multipart/form-data"
    )
    assert _error(response, 413)["code"] == "too_large"


def test_unexpected_failure_is_a_500_without_a_trace(api, people, small_definition, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("app.services.definitions.list_latest_definitions", broken)
    error = _error(api.call("GET", "/process-definitions", people.team), 500)
    assert error["code"] == "internal_error" and "secret" not in error["message"]


def test_validation_errors_list_fields(api, people, small_definition):
    error = _error(api.call("POST", "/messages", people.team, json={}), 422)
    assert error["code"] == "validation_failed"
    assert set(error["fields"]) == {"name", "business_key"}


def test_forbidden_has_the_error_body(api, people, small_definition):
    assert (
        _error(api.call("POST", "/process-instances", people.reviewer, json={"process_key": "small"}), 403)["code"]
        == "forbidden"
    )


def test_conflict_has_the_error_body(api, people, small_definition):
    api.start("small", "SFO-1", as_user=people.team)
    response = api.call(
        "POST", "/process-instances", people.team, json={"process_key": "small", "business_key": "SFO-1"}
    )
    assert _error(response, 409)["code"] == "conflict"


def test_ids_too_large_for_the_database_name_nothing(api, people, small_definition):
    for path in (
        "/process-instances/99999999999999999999",
        "/process-instances/0/events",
        "/process-definitions/small/versions/9999999999/bpmn",
    ):
        assert _error(api.call("GET", path, people.team), 404)["code"] == "not_found"
    error = _error(api.call("GET", "/tasks", people.team, query_string={"process_instance_id": 10**12}), 422)
    assert list(error["fields"]) == ["process_instance_id"]


def test_text_with_a_nul_character_is_refused_before_it_reaches_the_database(api, people, small_definition):
    body = '{"process_key": "small", "business_key": "SFO-\\u0000"}'
    response = api.call("POST", "/process-instances", people.team, data=body, content_type="application/json")
    assert "NUL" in _error(response, 400)["message"]
    _error(api.call("GET", "/tasks", people.team, query_string={"business_key": "a\x00"}), 400)
    _error(api.call("GET", "/tasks/a%00b", people.team), 400)
    triage = {"type": "object", "title": "Tri\u0000age", "properties": {"eligible": {"type": "boolean"}}}
    parts = [
        (BytesIO(content), name) for name, content in variants.files(variants.renamed("Nul"), triage=triage).items()
    ]
    response = api.call(
        "POST", "/process-definitions", people.owner, data={"files": parts}, content_type="multipart/form-data"
    )
    assert list(_error(response, 422)["fields"]) == ["triage.schema.json"]
    assert api.get("/process-instances", people.team)["total"] == 0


def test_numbers_json_cannot_hold_are_refused(api, people, small_definition):
    for number in ("NaN", "Infinity", "1e999"):
        body = '{"process_key": "small", "business_key": "SFO-1", "data": {"provider_org": NUMBER}}'.replace(
            "NUMBER", number
        )
        response = api.call("POST", "/process-instances", people.team, data=body, content_type="application/json")
        assert _error(response, 400)["code"] == "bad_request"
