"""Page tests through the Flask test client, as a signed-in person, with checks every page must pass."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import g

from app.models import User
from app.services.throttle import sign_in_throttle
from tests.conftest import PASSWORD, make_user

INPUT_TAGS = {"input", "select", "textarea"}
UNLABELLED_TYPES = {"hidden", "submit", "button"}


class Page(HTMLParser):
    """A rendered page: its title, headings, ids, form fields and labels."""

    def __init__(self, html: str, status: int):
        super().__init__(convert_charrefs=True)
        self.html, self.status = html, status
        self.title, self.h1s, self.ids, self.label_for, self.fields, self.links = "", [], [], set(), [], []
        self._in = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"])
        if tag == "label" and a.get("for"):
            self.label_for.add(a["for"])
        if tag in INPUT_TAGS and a.get("type") not in UNLABELLED_TYPES:
            self.fields.append(a)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "svg":
            self._in = "svg"  # an inline logo's <title> is not the page title
        elif tag in ("title", "h1") and self._in != "svg":
            self._in = tag
            if tag == "h1":
                self.h1s.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = ""

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in == "h1":
            self.h1s[-1] += data

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", self.html))

    def csrf_token(self) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', self.html)
        assert match, "no CSRF token on the page"
        return match.group(1)

    def check(self) -> None:
        """What every page of the service must get right."""
        assert self.title.strip(), "page has no title"
        assert len(self.h1s) == 1, f"page has {len(self.h1s)} h1 elements"
        duplicates = [i for i, n in Counter(self.ids).items() if n > 1]
        assert not duplicates, f"duplicate ids: {duplicates}"
        for field in self.fields:
            labelled = field.get("id") in self.label_for or field.get("aria-label") or field.get("aria-labelledby")
            assert labelled, f"field without a label: {field}"


class Browser:
    """A person using the service through the test client."""

    titles: set[str] = set()

    def __init__(self, client: Any):
        self.client = client
        self.token = ""

    def _fresh_request(self) -> None:
        # Tests keep one app context pushed and Flask reuses it for test-client requests, so what
        # extensions cache in ``g`` per request (the CSRF token, Flask-Login's user) would leak between them.
        for name in list(vars(g)):
            g.pop(name)

    def get(self, url: str, expect: int = 200) -> Page:
        self._fresh_request()
        response = self.client.get(url)
        assert response.status_code == expect, f"GET {url}: {response.status_code}"
        page = Page(response.get_data(as_text=True), response.status_code)
        if "text/html" in response.content_type:
            page.check()
            self.token = page.csrf_token() if "csrf_token" in page.html else self.token
        return page

    def post(self, url: str, data: dict[str, Any] | list[tuple[str, str]], expect: int = 302, csrf: bool = True) -> Any:
        items = list(data.items()) if isinstance(data, dict) else list(data)
        if csrf:
            items.append(("csrf_token", self.token or self.get("/sign-in").csrf_token()))
        self._fresh_request()
        response = self.client.post(url, data=_multidict(items))
        assert response.status_code == expect, (
            f"POST {url}: {response.status_code} {response.get_data(as_text=True)[:500]}"
        )
        if response.status_code in (200, 400, 409) and "text/html" in response.content_type:
            page = Page(response.get_data(as_text=True), response.status_code)
            page.check()
            return page
        return response

    def sign_in(self, user: User) -> Browser:
        self.get("/sign-in")
        self.post("/sign-in", {"username": user.username, "password": PASSWORD})
        self.get("/tasks")  # signing in starts a new session, with a new CSRF token
        return self


def _multidict(items: list[tuple[str, Any]]) -> Any:
    from werkzeug.datastructures import MultiDict

    return MultiDict([(k, "yes" if v is True else "no" if v is False else str(v)) for k, v in items])


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app: Any) -> None:
    sign_in_throttle().reset()


@pytest.fixture
def browser(app: Any) -> Browser:
    return Browser(app.test_client())


@pytest.fixture
def signed_in(app: Any):  # type: ignore[no-untyped-def]
    """signed_in(user) -> a Browser signed in as that user (each with its own cookies)."""
    return lambda user: Browser(app.test_client()).sign_in(user)


@pytest.fixture
def web_user():  # type: ignore[no-untyped-def]
    return lambda role, **kwargs: make_user(role, **kwargs)
