"""A person using the service in their own browser context, as a person would: by labels and roles."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import PASSWORD

from .accessibility import AXE_SCRIPT, Journey, check_page

TIMEOUT_MS = 10_000
# Anything the Content-Security-Policy blocks (a script, a style, an image) is a console error, so a test fails.
REPORT_CSP_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', event => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`
                + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


class Person:
    def __init__(self, browser: Any, base_url: str, journey: Journey, username: str, *, javascript: bool = True):
        self.username = username
        self.javascript = javascript
        self.journey = journey
        self.problems: list[str] = []
        self.context = browser.new_context(base_url=base_url, java_script_enabled=javascript)
        self.context.set_default_timeout(TIMEOUT_MS)
        if javascript:  # axe is then ready on every page; without scripts, check_page injects it
            self.context.add_init_script(path=str(AXE_SCRIPT))
            self.context.add_init_script(REPORT_CSP_VIOLATIONS)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        self.page.on("console", self._console)
        self.page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console error: {message.text}")

    def _response(self, response: Any) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            self.problems.append(f"{response.status} for {response.url}")

    def close(self) -> None:
        self.context.close()

    # --- moving around ---------------------------------------------------------------------------

    def check(self) -> None:
        """The checks every page must pass, and no script error or broken asset so far. With
        ``SFO_SCREENSHOTS`` set to a folder, each checked page is also saved there as a screenshot, for a
        person to look through."""
        assert not self.problems, f"{self.username}: {self.problems}"
        check_page(self.page, self.journey, scripts_enabled=self.javascript)
        folder = os.environ.get("SFO_SCREENSHOTS")
        if folder:
            test = os.environ.get("PYTEST_CURRENT_TEST", "page").split("::")[-1].split(" ")[0]
            name = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{test}-{self.journey.pages_checked:03d}-{self.username}")
            Path(folder).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    def visit(self, path: str, status: int = 200) -> Any:
        response = self.page.goto(path)
        assert response is not None and response.status == status, (
            f"GET {path}: {response.status if response else 'no response'}, expected {status}"
        )
        self.check()
        return self.page

    @contextmanager
    def navigating(self, status: int = 200) -> Iterator[None]:
        """Wait for the page the action inside leads to (through redirects), check its status and run
        the page checks on it."""
        with self.page.expect_navigation() as navigation:
            yield
        response = navigation.value
        assert response is not None and response.status == status, (
            f"{self.page.url}: {response.status if response else 'no response'}, expected {status}"
        )
        self.check()

    def press(self, name: str | re.Pattern[str], status: int = 200, within: Any = None) -> None:
        """Press a button that submits a form, and wait for the next page."""
        with self.navigating(status):
            (within or self.page).get_by_role("button", name=name, exact=isinstance(name, str)).click()

    def follow(self, name: str | re.Pattern[str], status: int = 200, within: Any = None) -> None:
        """Follow a link, and wait for the page."""
        with self.navigating(status):
            (within or self.page).get_by_role("link", name=name, exact=isinstance(name, str)).first.click()

    def sign_in(self) -> Person:
        self.visit("/sign-in")
        self.page.get_by_label("Username", exact=True).fill(self.username)
        self.page.get_by_label("Password", exact=True).fill(PASSWORD)
        self.press("Sign in")
        assert self.page.url.endswith("/tasks"), self.page.url
        return self

    # --- reading and filling in ------------------------------------------------------------------

    def h1(self) -> str:
        return " ".join(self.page.locator("h1").inner_text().split())

    def banner(self) -> str:
        return " ".join(self.page.locator(".govuk-notification-banner").inner_text().split())

    def group(self, legend: str, within: Any = None) -> Any:
        """A fieldset by its legend (dates, radios, items of a list)."""
        return (within or self.page).get_by_role("group", name=legend, exact=True)

    def fill(self, label: str, text: str, within: Any = None) -> None:
        (within or self.page).get_by_label(label, exact=True).fill(text)

    def choose(self, question: str, answer: str, within: Any = None) -> None:
        self.group(question, within).get_by_label(answer, exact=True).check()

    def date(self, legend: str, iso: str, within: Any = None) -> None:
        """Type a date into the GOV.UK date input: day, month and year boxes, as a person would."""
        year, month, day = iso.split("-")
        fieldset = self.group(legend, within)
        fieldset.get_by_label("Day", exact=True).fill(str(int(day)))
        fieldset.get_by_label("Month", exact=True).fill(str(int(month)))
        fieldset.get_by_label("Year", exact=True).fill(year)

    def date_boxes(self, legend: str, within: Any = None) -> list[str]:
        """What the day, month and year boxes of a date input hold."""
        fieldset = self.group(legend, within)
        return [fieldset.get_by_label(part, exact=True).input_value() for part in ("Day", "Month", "Year")]

    def value(self, label: str, within: Any = None) -> str:
        return (within or self.page).get_by_label(label, exact=True).input_value()

    def chosen(self, question: str, answer: str) -> bool:
        return self.group(question).get_by_label(answer, exact=True).is_checked()

    def task_row(self, reference: str, task_name: str) -> Any:
        return self.page.get_by_role("row").filter(has_text=reference).filter(has_text=task_name)

    def open_tab(self, label: str) -> None:
        self.follow(re.compile(rf"^{re.escape(label)} \(\d+\)$"))

    def tab_count(self, label: str) -> int:
        text = self.page.get_by_role("link", name=re.compile(rf"^{re.escape(label)} \(\d+\)$")).inner_text()
        return int(re.search(r"\((\d+)\)", text).group(1))  # type: ignore[union-attr]
