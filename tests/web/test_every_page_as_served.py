"""Every page the demo users can reach answers without a server error, each request ending as in production.

The ``app`` fixture keeps one app context open, and Flask serves the test client's requests in it: so in most
tests no request's teardown runs, and what is loaded carries from one request to the next. A defect that
only shows once a request has ended (the case list's CSV, streamed after the request's transaction ended,
failed on its first row) passed every such test. Here each person browses in a thread of their own, where
every request pushes and ends its own app context, following every link from their start pages."""

from __future__ import annotations

import re
import threading
from collections import deque
from typing import Any

from app.demo import load_demo
from app.extensions import db

START_PAGES = ("/tasks", "/cases", "/monitoring", "/monitoring/cases", "/published", "/lessons", "/process-models")
PAGES_EACH = 60  # enough to reach every kind of page from the start pages; the links beyond repeat kinds
USERS = ("casemanager", "reviewer1", "qa1", "provider.north", "manager", "owner", "admin")
LINK = re.compile(r'href="(/[^"#]*)"')
NOT_FOLLOWED = re.compile(r"^/(static|assets)/|sign-out|/sign-in")


def _browse(app: Any, username: str, password: str) -> list[str]:
    """Sign in, then follow links breadth first; the requests that failed, with their status."""
    client = app.test_client()
    sign_in = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', sign_in)
    assert token, "no CSRF token on the sign-in page"
    client.post("/sign-in", data={"csrf_token": token.group(1), "username": username, "password": password})
    failed, seen, queue = [], set(), deque(START_PAGES)
    while queue and len(seen) < PAGES_EACH:
        path = queue.popleft()
        if path in seen or NOT_FOLLOWED.search(path):
            continue
        seen.add(path)
        response = client.get(path)
        try:
            body = response.get_data()  # a streamed body runs here, after the request ended
        except Exception as error:  # noqa: BLE001 - reported as this page's failure
            failed.append(f"{path}: {type(error).__name__} while sending the body")
            continue
        if response.status_code >= 500:
            failed.append(f"{path}: {response.status_code}")
        elif response.mimetype == "text/html":
            queue.extend(link.replace("&amp;", "&") for link in LINK.findall(body.decode()))
    return failed


def test_every_page_the_demo_users_reach_answers_and_sends_its_whole_body(app, sfo_definition):
    password = load_demo()[-1].rsplit(" ", 1)[-1]
    db.session.commit()
    failures: dict[str, list[str]] = {}

    def browse(username: str) -> None:
        try:
            failures[username] = _browse(app, username, password)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures[username] = [repr(error)]

    for username in USERS:
        thread = threading.Thread(target=browse, args=(username,))
        thread.start()
        thread.join(120)
    assert set(failures) == set(USERS)
    assert not any(failures.values()), failures
