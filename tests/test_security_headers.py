"""Every response carries the security headers; personal data is never cached."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from app import create_app
from app.security import govuk_template_script_hashes
from tests.conftest import make_user
from tests.web.conftest import Browser

PUBLIC_PAGES = ("/sign-in", "/published", "/accessibility", "/healthz", "/api/v1/openapi.json", "/no-such-page")


def _csp(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    parts = [p.strip() for p in response.headers["Content-Security-Policy"].split(";") if p.strip()]
    return {p.split()[0]: p.partition(" ")[2] for p in parts}


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_every_response_has_the_security_headers(client, url):
    response = client.get(url)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    policy = _csp(response)
    assert policy["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == "'none'" and policy["default-src"] == "'self'"
    assert "Strict-Transport-Security" not in response.headers  # not outside production


def test_the_csp_allows_exactly_the_govuk_template_script(client):
    response = client.get("/sign-in")
    html = response.get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
    assert len(inline) == 1  # GOV.UK Frontend's js-enabled line, and nothing else
    assert govuk_template_script_hashes()[0] in _csp(response)["script-src"]


def test_no_template_has_an_inline_script_or_event_handler():
    from pathlib import Path

    for template in (Path(__file__).parent.parent / "app" / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", text)
        assert all("application/json" in attributes for attributes in scripts), f"inline script in {template}"
        assert not re.search(r"\son[a-z]+\s*=", text), f"inline event handler in {template}"
        assert "javascript:" not in text, template


def test_signed_in_pages_and_the_api_are_not_cached(app):
    user = make_user("sfo-team")
    browser = Browser(app.test_client()).sign_in(user)
    browser._fresh_request()
    assert browser.client.get("/tasks").headers["Cache-Control"] == "no-store"
    from app.services.users import create_token

    response = app.test_client().get(
        "/api/v1/tasks", headers={"Authorization": f"Bearer {create_token(user.username)}"}
    )
    assert response.headers["Cache-Control"] == "no-store"


def test_front_end_files_keep_their_caching(client):
    response = client.get("/vendor/govuk-frontend.min.css")
    assert "max-age" in response.headers["Cache-Control"]


def test_hsts_in_production_over_https(base_app: Flask, monkeypatch):
    monkeypatch.setenv("SFO_ENV", "production")
    monkeypatch.setenv("SFO_SECRET_KEY", "a production secret for this test")
    # A production app caps its process's address space (SFO_PROCESS_MEMORY_MB, 2 GB by default), and the
    # cap cannot be lifted again: here it would stay on the test run and on every program it starts after
    # (node, serving the sign-in tests' identity provider, then crashes).
    monkeypatch.setenv("SFO_PROCESS_MEMORY_MB", "0")
    # The same clock: the engine keeps one process-wide timer clock, which a new app would re-point.
    production = create_app(
        {"SQLALCHEMY_DATABASE_URI": base_app.config["SQLALCHEMY_DATABASE_URI"], "SFO_TRUSTED_PROXIES": 1},
        clock=base_app.extensions["sfo.runtime"].clock,
    )
    client = production.test_client()
    secure = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in client.get("/healthz").headers  # plain HTTP: meaningless there
    assert production.config["SESSION_COOKIE_SECURE"] is True
