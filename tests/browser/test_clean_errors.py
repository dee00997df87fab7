"""Mistakes in forms are answered with the form again (200) and the GOV.UK error summary, so the browser
console stays clean (issue 11): signing in, and a task form. The back link is inside a landmark (the
axe checks of every page fail on any violation, the 'region' rule included)."""

from __future__ import annotations

import pytest

from tests.conftest import make_user
from tests.sfo_case import SfoCase

BOTH = pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])


def console_errors(someone) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    someone.page.on("console", lambda message: seen.append(message.text) if message.type == "error" else None)
    return seen


@BOTH
def test_a_wrong_password_is_the_sign_in_page_again_with_the_error_summary(person, javascript):
    user = make_user("sfo-team")
    someone = person(user, javascript=javascript, sign_in=False)
    errors = console_errors(someone)
    someone.visit("/sign-in")
    someone.fill("Username", user.username)
    someone.fill("Password", "not the password")
    someone.press("Sign in")  # 200
    assert "The username or password is not right" in someone.page.locator(".govuk-error-summary").inner_text()
    assert someone.page.title().startswith("Error: ")
    assert errors == []


@BOTH
def test_a_task_form_error_is_the_form_again_and_the_back_link_is_in_a_landmark(
    people, sfo_definition, person, javascript
):
    case = SfoCase(people, sfo_definition)
    team = person(people.team, javascript=javascript)
    errors = console_errors(team)
    team.visit(f"/tasks/{case.task('confirm_eligibility').id}")
    assert team.page.locator("nav[aria-label='Back'] .govuk-back-link").count() == 1
    team.press("Submit")  # 200
    assert "There is a problem" in team.page.locator(".govuk-error-summary").inner_text()
    assert errors == []
