"""Every API route needs a token; the rule is declared once, where the blueprint is registered."""

from __future__ import annotations

import re

import pytest

from app.api.openapi import API_PREFIX
from app.extensions import db
from app.services import accounts
from app.services.users import create_user
from tests.api.helpers import API

PUBLIC = {f"{API_PREFIX}/openapi.json"}
_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _example_url(rule: str) -> str:
    return _ARGUMENT.sub(lambda match: "1" if match[1] in ("id", "int") else "x", rule)


def _api_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API_PREFIX + "/") and rule.rule not in PUBLIC:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, rule


def test_there_are_api_routes_to_check(app):
    assert len(list(_api_routes(app))) >= 20


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic dXNlcjpwdw=="},
        {"Authorization": "Bearer "},
    ],
)
def test_every_api_route_but_the_document_needs_a_valid_token(app, client, headers):
    for method, rule in _api_routes(app):
        response = client.open(_example_url(rule.rule), method=method, headers=headers)
        assert response.status_code == 401, (
            f"{method} {rule.rule} answered {response.status_code} without a valid token"
        )
        assert response.get_json()["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_every_api_route_belongs_to_the_authenticated_blueprint_or_is_declared_public(app):
    for _, rule in _api_routes(app):
        assert rule.endpoint.startswith("api."), f"{rule.rule} is outside the authenticated api blueprint"
    for path in PUBLIC:
        [rule] = [r for r in app.url_map.iter_rules() if r.rule == path]
        blueprint = app.blueprints[rule.endpoint.split(".")[0]]
        assert getattr(blueprint, "public", False) is True


def test_the_openapi_document_is_public(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.")


def test_no_token_gets_the_error_body(client):
    response = client.get(f"{API}/tasks")
    assert response.status_code == 401
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"} and error["fields"] == {}
    assert "Bearer" in error["message"]


def test_a_valid_token_is_accepted(api, people):
    assert api.get("/tasks", people.team)["items"] == []


def test_token_of_a_deactivated_user_is_refused(api, app):
    user = create_user("leaver", "sfo-team", None)
    headers = api.headers(user)
    user.active = False
    db.session.commit()
    assert api.client.get(f"{API}/tasks", headers=headers).status_code == 401


def test_authentication_comes_before_reading_the_body(client):
    response = client.post(f"{API}/process-instances", data="{not json", content_type="application/json")
    assert response.status_code == 401


def test_a_token_expires_after_the_configured_lifetime(api, people, app, clock):
    headers = api.headers(people.team)
    clock.advance(days=89, hours=23)
    assert api.client.get(f"{API}/tasks", headers=headers).status_code == 200
    clock.advance(hours=1)
    response = api.client.get(f"{API}/tasks", headers=headers)
    assert response.status_code == 401
    assert "expired on 2027-05-30" in response.get_json()["error"]["message"]


def test_the_token_lifetime_is_configurable(api, people, app, clock):
    app.config["SFO_TOKEN_DAYS"] = 1
    try:
        headers = api.headers(people.team)
    finally:
        app.config["SFO_TOKEN_DAYS"] = 90
    clock.advance(days=1)
    assert api.client.get(f"{API}/tasks", headers=headers).status_code == 401


def test_a_revoked_token_is_refused_with_a_clear_message(api, people):
    headers = api.headers(people.team)
    accounts.revoke_tokens(people.team.username, "admin")
    response = api.client.get(f"{API}/tasks", headers=headers)
    assert response.status_code == 401
    assert "revoked" in response.get_json()["error"]["message"]


def test_a_disabled_users_token_says_so(api, people):
    headers = api.headers(people.team)
    accounts.set_active(people.team.username, False, "admin")
    response = api.client.get(f"{API}/tasks", headers=headers)
    assert response.status_code == 401 and "disabled" in response.get_json()["error"]["message"]


def test_last_use_is_recorded_coarsely(api, people, clock):
    headers = api.headers(people.team)
    api.client.get(f"{API}/tasks", headers=headers)
    [row] = accounts.list_tokens(people.team.username)
    assert row.last_used_at == clock.now()
    first_use = clock.now()
    clock.advance(minutes=5)
    api.client.get(f"{API}/tasks", headers=headers)
    db.session.refresh(row)
    assert row.last_used_at == first_use  # not a write per request
    clock.advance(minutes=15)
    api.client.get(f"{API}/tasks", headers=headers)
    db.session.refresh(row)
    assert row.last_used_at == clock.now()
