"""A member of staff signs in with their organisation's account in a real browser: the service's
sign-in page, the OpenID Connect provider (oidc-provider under node), and back, signed in; with and
without JavaScript, every page checked with axe."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.services.users import get_user
from tests.web.oidc_provider import CLIENT_ID, CLIENT_SECRET, start_provider


@pytest.mark.parametrize("javascript", [True, False])
def test_staff_sign_in_with_their_organisations_account(app, person, live_server, monkeypatch, javascript):
    provider = start_provider(redirect_uri=f"{live_server}/sign-in/oidc/callback")
    try:
        for name, value in {
            "SFO_BASE_URL": live_server,
            "SFO_OIDC_ISSUER": provider.issuer,
            "SFO_OIDC_CLIENT_ID": CLIENT_ID,
            "SFO_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "SFO_OIDC_NAME": "Example Probation Service",
            "SFO_OIDC_SCOPES": "openid email profile groups",
            "SFO_OIDC_GROUP_MAP": {"SFO-Team": "sfo-team"},
        }.items():
            monkeypatch.setitem(app.config, name, value)
        provider.set_person("staff-0042", preferred_username="kim.lee", name="Kim Lee", groups=["SFO-Team"])
        kim = person(SimpleNamespace(username="kim.lee"), javascript=javascript, sign_in=False)

        kim.visit("/sign-in")
        kim.press("Sign in with Example Probation Service")  # a link drawn as a button

        assert kim.page.url == f"{live_server}/tasks"
        assert "Sign out" in kim.page.inner_text("body")
        assert get_user("kim.lee").role == "sfo-team"
    finally:
        provider.stop()
