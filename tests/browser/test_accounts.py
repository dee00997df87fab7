"""An administrator withdraws and restores a colleague's access, resets their password, and revokes a
token; the colleague signs in with the one-time password and chooses their own. Every page is checked
with axe, with and without JavaScript."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.services.users import create_token
from app.services.users import user_for_token as _user_for_token
from tests.conftest import make_user

NEW_PASSWORD = "a brand new horse battery"


def user_for_token(token: str):  # type: ignore[no-untyped-def]
    db.session.expire_all()  # the server changed the rows in its own sessions
    return _user_for_token(token)


@pytest.mark.parametrize("javascript", [True, False])
def test_admin_manages_an_account_and_the_user_replaces_a_one_time_password(person, javascript):
    colleague = make_user("reviewer")
    token = create_token(colleague.username)
    admin = person(make_user("admin"), javascript=javascript)

    admin.follow("User accounts")
    admin.follow(colleague.username)
    admin.follow(f"Disable the account {colleague.username}")
    assert admin.h1() == f"Disable the account of {colleague.username}"
    admin.press("Disable account")
    assert f"The account {colleague.username} is disabled." in admin.banner()
    assert user_for_token(token) is None
    admin.follow(f"Enable the account {colleague.username}")
    admin.press("Enable account")
    assert user_for_token(token) is not None

    with admin.navigating():
        admin.page.get_by_role("link", name="Revoke token").first.click()
    admin.press("Revoke token")
    assert user_for_token(token) is None and "Revoked" in admin.banner()

    admin.follow(f"Reset the password of {colleague.username}")
    admin.press("Reset password")
    one_time = admin.page.locator("#one-time-password").inner_text().strip()

    user = person(colleague, javascript=javascript, sign_in=False)
    user.visit("/sign-in")
    user.fill("Username", colleague.username)
    user.fill("Password", one_time)
    user.press("Sign in")
    assert user.h1() == "Change your password"
    user.fill("Current password", one_time)
    user.fill("New password", NEW_PASSWORD)
    user.fill("New password again", NEW_PASSWORD)
    user.press("Change password")
    assert user.page.url.endswith("/tasks") and "Your password has been changed" in user.banner()
