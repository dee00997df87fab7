"""Administrators withdraw and restore access from /admin/users; nobody else can."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import ApiToken, AuditEvent
from app.services.users import create_token, user_for_password, user_for_token
from tests.conftest import PASSWORD, make_user


@pytest.fixture
def admin(signed_in):  # type: ignore[no-untyped-def]
    return signed_in(make_user("admin"))


def _audit_kinds() -> list[str]:
    return [e.kind for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]


@pytest.mark.parametrize("role", ["manager", "process-owner", "sfo-team", "provider", "reviewer"])
def test_only_admins_reach_the_account_pages(signed_in, role):
    target = make_user("sfo-team")
    person = signed_in(make_user(role))
    for url in ("/admin/users", f"/admin/users/{target.username}", f"/admin/users/{target.username}/disable"):
        person.get(url, expect=403)
    person.post(f"/admin/users/{target.username}/disable", {}, expect=403)
    assert "User accounts" not in person.get("/tasks").text
    db.session.refresh(target)
    assert target.active


def test_admin_lists_users_and_sees_their_tokens_without_secrets(admin):
    user = make_user("sfo-team")
    token = create_token(user.username)
    page = admin.get("/admin/users")
    assert user.username in page.text and "Active" in page.text
    page = admin.get(f"/admin/users/{user.username}")
    assert "API tokens" in page.text and token not in page.html
    assert "Never" in page.text  # not used yet


def test_disable_asks_for_confirmation_then_ends_access(admin, signed_in):
    user = make_user("sfo-team")
    token = create_token(user.username)
    victim = signed_in(user)
    page = admin.get(f"/admin/users/{user.username}/disable")
    assert "Disable the account" in page.text and "signed out everywhere" in page.text
    db.session.refresh(user)
    assert user.active  # nothing happens before the confirmation
    admin.post(f"/admin/users/{user.username}/disable", {})
    assert "The account" in admin.get(f"/admin/users/{user.username}").text
    db.session.refresh(user)
    assert not user.active and user_for_token(token) is None
    victim._fresh_request()
    assert victim.client.get("/tasks").status_code == 302
    admin.get(f"/admin/users/{user.username}/enable")
    admin.post(f"/admin/users/{user.username}/enable", {})
    db.session.refresh(user)
    assert user.active and user_for_token(token) is not None
    assert _audit_kinds()[-2:] == ["user-disabled", "user-enabled"]


def test_an_admin_cannot_disable_themselves(admin):
    me = admin.get("/tasks").text
    username = re.search(r"admin\d+", me).group(0)
    page = admin.post(f"/admin/users/{username}/disable", {}, expect=409)
    assert "cannot disable your own account" in page.text


def test_reset_password_shows_a_one_time_password_once(admin):
    user = make_user("reviewer")
    admin.get(f"/admin/users/{user.username}/reset-password")
    page = admin.post(f"/admin/users/{user.username}/reset-password", {}, expect=200)
    one_time = re.search(r'id="one-time-password">([^<]+)<', page.html).group(1)
    assert user_for_password(user.username, PASSWORD) is None
    assert user_for_password(user.username, one_time) is not None
    assert one_time not in admin.get(f"/admin/users/{user.username}").html
    assert _audit_kinds()[-1] == "user-password-reset"
    assert one_time not in str([e.detail for e in db.session.scalars(db.select(AuditEvent))])


def test_revoke_one_token_then_all(admin):
    user = make_user("sfo-team")
    first, second, third = (create_token(user.username) for _ in range(3))
    ids = sorted(db.session.scalars(db.select(ApiToken.id)))
    admin.get(f"/admin/users/{user.username}/tokens/{ids[0]}/revoke")
    admin.post(f"/admin/users/{user.username}/tokens/{ids[0]}/revoke", {})
    assert user_for_token(first) is None and user_for_token(second) is not None
    assert "Revoked by" in admin.get(f"/admin/users/{user.username}").text
    admin.post(f"/admin/users/{user.username}/revoke-tokens", {})
    assert user_for_token(second) is None and user_for_token(third) is None
    admin.post(f"/admin/users/{user.username}/tokens/{ids[0]}/revoke", {}, expect=404)  # already revoked
    admin._fresh_request()
    huge = admin.client.post(f"/admin/users/{user.username}/tokens/99999999999999/revoke", data={})
    assert huge.status_code in (404, 405)  # no such route


def test_account_actions_need_the_csrf_token(admin):
    user = make_user("sfo-team")
    admin._fresh_request()
    assert admin.client.post(f"/admin/users/{user.username}/disable", data={}).status_code == 400
    db.session.refresh(user)
    assert user.active


def test_unknown_users_and_actions_are_not_found(admin):
    admin.get("/admin/users/nobody", expect=404)
    user = make_user("sfo-team")
    admin.get(f"/admin/users/{user.username}/promote", expect=404)
    admin.post(f"/admin/users/{user.username}/promote", {}, expect=404)
