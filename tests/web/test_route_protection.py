"""Every page is declared public or asks who you are, and a protected page names who may use it: one
meta-test over the whole URL map, so a route added outside the declared blueprints (or to a public one
by mistake) cannot serve case data unnoticed, and a role-restricted area refuses everyone else."""

from __future__ import annotations

import re

from app.models.users import ROLES
from app.web import PROTECTED, PUBLIC, STRICTER_VIEWS, access_to
from app.web.auth import Access
from tests.conftest import make_user

# Blueprints outside app.web: the API checks its own tokens (tests/api/test_authentication.py), status
# answers health probes and token-guarded metrics, and Flask serves its static files.
ELSEWHERE = {"api", "status", "static"}
_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _example_url(rule: str) -> str:
    return _ARGUMENT.sub(lambda match: "1" if match[1] in ("id", "int") else "x", rule)


def _web_rules(app):  # type: ignore[no-untyped-def]
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0] if "." in rule.endpoint else rule.endpoint
        if blueprint not in ELSEWHERE and not rule.rule.startswith("/api/"):
            yield blueprint, rule


def test_every_web_route_belongs_to_a_public_or_a_protected_blueprint(app):
    public, protected = {b.name for b in PUBLIC}, {b.name for b in PROTECTED}
    undeclared = sorted(rule.rule for blueprint, rule in _web_rules(app) if blueprint not in public | protected)
    assert undeclared == []
    assert public.isdisjoint(protected)


def test_every_protected_blueprint_and_stricter_view_names_its_roles(app):
    for access in [*PROTECTED.values(), *STRICTER_VIEWS.values()]:
        assert isinstance(access, Access)
        assert access.roles is None or (access.roles and set(access.roles) <= set(ROLES) and access.action)
    protected = {b.name for b in PROTECTED}
    for endpoint in STRICTER_VIEWS:
        assert endpoint in app.view_functions and endpoint.split(".")[0] in protected, endpoint


def test_every_role_restricted_route_refuses_a_signed_in_person_without_the_role(app, signed_in):
    people = {role: signed_in(make_user(role)) for role in ROLES}
    checked = 0
    for _, rule in _web_rules(app):
        if rule.endpoint.split(".")[0] not in {b.name for b in PROTECTED} or access_to(rule.endpoint).roles is None:
            continue
        url = _example_url(rule.rule)
        for role in sorted(set(ROLES) - set(access_to(rule.endpoint).roles)):
            browser = people[role]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                browser._fresh_request()
                data = {"csrf_token": browser.token} if method == "POST" else None
                response = browser.client.open(url, method=method, data=data)
                assert response.status_code == 403, f"{method} {url} gave {response.status_code} to {role}"
                assert "You do not have access to this page" in response.get_data(as_text=True)
                checked += 1
    assert checked >= 200


def test_every_protected_page_sends_a_stranger_to_sign_in(app, client):
    protected = {b.name for b in PROTECTED}
    checked = 0
    for blueprint, rule in _web_rules(app):
        if blueprint not in protected:
            continue
        url = _example_url(rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 302 and "/sign-in" in response.headers["Location"], (
                f"{method} {url}: {response.status_code}"
            )
            checked += 1
    assert checked >= 60
