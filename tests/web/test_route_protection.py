"""Every page is declared public or asks who you are: one meta-test over the whole URL map, so a route
added outside the declared blueprints (or to a public one by mistake) cannot serve case data unnoticed."""

from __future__ import annotations

import re

from app.web import PROTECTED, PUBLIC

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
