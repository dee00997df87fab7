"""Sessions end when they should: sign-out, a disabled account and a password change end every session
of the user, including a cookie copied before; an administrator's one-time password must be replaced."""

from __future__ import annotations

from app.services import accounts
from app.services.users import user_for_password
from tests.conftest import PASSWORD, make_user
from tests.web.conftest import Browser

NEW_PASSWORD = "a new horse battery staple"


def _copy_session(source: Browser, app) -> Browser:  # type: ignore[no-untyped-def]
    """Another client holding the same session cookie, as a thief with a copied cookie would."""
    thief = Browser(app.test_client())
    cookie = source.client.get_cookie("session")
    thief.client.set_cookie("session", cookie.value)
    return thief


def test_a_session_cookie_replayed_after_sign_out_is_refused(app, signed_in):
    user = make_user("sfo-team")
    person = signed_in(user)
    thief = _copy_session(person, app)
    thief.get("/tasks")  # the copy works while the session is live
    person.post("/sign-out", {})
    thief._fresh_request()
    response = thief.client.get("/tasks")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_signing_out_ends_the_users_other_sessions_too(app, signed_in):
    user = make_user("sfo-team")
    laptop, phone = signed_in(user), signed_in(user)
    laptop.post("/sign-out", {})
    phone._fresh_request()
    assert phone.client.get("/tasks").status_code == 302


def test_disabling_an_account_ends_its_sessions_and_enabling_does_not_revive_them(app, signed_in):
    user = make_user("sfo-team")
    person = signed_in(user)
    accounts.set_active(user.username, False, "admin")
    person._fresh_request()
    assert person.client.get("/tasks").status_code == 302
    accounts.set_active(user.username, True, "admin")
    person._fresh_request()
    assert person.client.get("/tasks").status_code == 302
    signed_in(user).get("/tasks")  # signing in again works


def test_a_disabled_account_cannot_sign_in(browser):
    user = make_user("sfo-team")
    accounts.set_active(user.username, False, "admin")
    browser.get("/sign-in")
    page = browser.post("/sign-in", {"username": user.username, "password": PASSWORD}, expect=200)
    assert "The username or password is not right" in page.text


def test_changing_the_password_ends_other_sessions_and_keeps_this_one(app, signed_in):
    user = make_user("sfo-team")
    here, elsewhere = signed_in(user), signed_in(user)
    here.get("/account/password")
    here.post(
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    here.get("/tasks")
    elsewhere._fresh_request()
    assert elsewhere.client.get("/tasks").status_code == 302
    fresh = Browser(app.test_client())
    fresh.get("/sign-in")
    fresh.post("/sign-in", {"username": user.username, "password": PASSWORD}, expect=200)
    fresh.post("/sign-in", {"username": user.username, "password": NEW_PASSWORD})


def test_password_change_errors_are_shown_and_change_nothing(signed_in):
    user = make_user("sfo-team")
    person = signed_in(user)
    person.get("/account/password")
    page = person.post(
        "/account/password",
        {"current_password": "wrong", "new_password": "short", "confirm_password": "other"},
        expect=400,
    )
    assert "There is a problem" in page.text
    for message in ("Enter your current password correctly", "at least 10 characters", "the same new password twice"):
        assert message in page.text
    assert user_for_password(user.username, PASSWORD) is not None  # unchanged
    person.get("/tasks")  # still signed in


def test_a_one_time_password_must_be_replaced_at_sign_in(app, browser):
    user = make_user("reviewer")
    one_time = accounts.reset_password(user.username, "admin")
    browser.get("/sign-in")
    response = browser.post("/sign-in", {"username": user.username, "password": one_time})
    assert response.headers["Location"] == "/account/password"
    browser._fresh_request()
    assert browser.client.get("/tasks").headers["Location"] == "/account/password"  # nothing else until then
    page = browser.get("/account/password")
    assert "one-time password" in page.text
    browser.post(
        "/account/password",
        {"current_password": one_time, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    browser.get("/tasks")


def test_a_password_reset_ends_the_users_sessions(signed_in):
    user = make_user("sfo-team")
    person = signed_in(user)
    accounts.reset_password(user.username, "admin")
    person._fresh_request()
    assert person.client.get("/tasks").status_code == 302
