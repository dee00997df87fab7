"""Browser tests: the real app served on a free local port, driven by Playwright in the system
Chromium (Debian package ``chromium``; ``SFO_CHROMIUM`` names another binary).

Without Chromium (or the playwright package, or axe-core from ``npm ci``) the tests are skipped with
the reason, unless ``SFO_REQUIRE_BROWSER=1`` (as in CI), which turns that into a failure.

The server serves the session's ``base_app``; each test uses the ordinary ``app`` fixture, so it
starts on an empty database with the frozen clock at START and leaves an empty one behind. Browser
contexts are closed before ``app`` empties the tables.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from app.extensions import db
from app.services.throttle import sign_in_throttle

from .accessibility import AXE_SCRIPT, Journey
from .person import Person

CHROMIUM = os.environ.get("SFO_CHROMIUM", "/usr/bin/chromium")
# Headless, no sandbox (CI runs as root), and nothing that reaches out to the network on its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("SFO_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (SFO_REQUIRE_BROWSER=1, so the browser tests may not be skipped)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed: pip install -e '.[dev]'")
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"no Chromium at {CHROMIUM}: apt-get install chromium, or set SFO_CHROMIUM")
    if not AXE_SCRIPT.is_file():
        _unavailable("axe-core is not installed: npm ci")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # errors are still logged; one line per asset request is noise


@pytest.fixture(scope="session")
def live_server(base_app: Flask) -> Iterator[str]:
    """The app on 127.0.0.1 at a free port, one thread per request, for the whole session."""
    server = make_server("127.0.0.1", 0, base_app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="browser-test-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def journey() -> Journey:
    return Journey()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


CALL_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def person(
    app: Flask, live_server: str, chromium: Any, journey: Journey, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Any]:
    """person(user, javascript=True) -> a Person signed in as that user, in a browser context of their own."""
    sign_in_throttle().reset()
    opened: list[Person] = []

    def open_as(user: Any, *, javascript: bool = True, sign_in: bool = True) -> Person:
        someone = Person(chromium, live_server, journey, user.username, javascript=javascript)
        db.session.commit()  # reading the user began a transaction: none is left idle while the browser works
        opened.append(someone)
        return someone.sign_in() if sign_in else someone

    yield open_as
    for someone in opened:
        if request.node.stash.get(CALL_FAILED, False):  # what each person saw last, to see why it failed
            shot = tmp_path / f"{someone.username}.png"
            someone.page.screenshot(path=str(shot), full_page=True)
            (tmp_path / f"{someone.username}.html").write_text(someone.page.content(), encoding="utf-8")
            print(f"{someone.username} was on {someone.page.url}: {shot} (and .html)")
        someone.close()
