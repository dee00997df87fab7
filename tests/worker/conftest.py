"""Worker fixtures: a real SMTP server (aiosmtpd) the app is pointed at for one test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.worker.notify_api import API_KEY, NotifyTestServer
from tests.worker.smtp import SmtpTestServer


@pytest.fixture
def smtp_server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpTestServer]:
    server = SmtpTestServer()
    port = server.start()
    monkeypatch.setitem(app.config, "SFO_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SFO_SMTP_PORT", port)
    monkeypatch.setitem(app.config, "SFO_MAIL_FROM", "sfo-reviews@sfo.test")
    yield server
    server.stop()


TEMPLATE_SUBJECT = "SFO review ((case_reference)): ((task))"
TEMPLATE_BODY = "((task)) for case ((case_reference)) is due on ((due_date)).\n\nOpen it: ((link))"


@pytest.fixture
def notify_api(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[NotifyTestServer]:
    """The Notify API stand-in, with one template per notification kind the tests queue, and the app sending
    through it (its API key, base URL and template ids)."""
    server = NotifyTestServer()
    base_url = server.start()
    templates = {kind: server.add_template(TEMPLATE_SUBJECT, TEMPLATE_BODY) for kind in NOTIFY_KINDS}
    monkeypatch.setitem(app.config, "SFO_NOTIFY_API_KEY", API_KEY)
    monkeypatch.setitem(app.config, "SFO_NOTIFY_BASE_URL", base_url)
    monkeypatch.setitem(app.config, "SFO_NOTIFY_TEMPLATES", templates)
    yield server
    server.stop()


NOTIFY_KINDS = ("assigned", "available", "escalation", "reminder", "not_eligible")
