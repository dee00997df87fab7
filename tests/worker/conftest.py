"""Worker fixtures: a real SMTP server (aiosmtpd) the app is pointed at for one test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

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
