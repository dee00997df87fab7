"""Worker fixtures: a fake mail server the app is pointed at for one test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.worker.smtp import FakeSmtpServer


@pytest.fixture
def smtp_server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSmtpServer]:
    server = FakeSmtpServer()
    port = server.start()
    monkeypatch.setitem(app.config, "SFO_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SFO_SMTP_PORT", port)
    monkeypatch.setitem(app.config, "SFO_MAIL_FROM", "sfo-reviews@sfo.test")
    yield server
    server.stop()
