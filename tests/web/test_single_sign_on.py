"""Staff single sign-on against a real OpenID Connect provider (oidc-provider under node): the
authorisation code flow with PKCE, state and nonce; forged or misdirected answers refused; accounts
created and kept in line with the provider's groups; access and sessions ended when a person leaves
the groups. Local accounts keep working beside it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, User
from app.services import accounts, sso
from app.services.users import create_token, get_user
from tests.conftest import PASSWORD, make_user
from tests.web.oidc_provider import CLIENT_ID, CLIENT_SECRET, SERVICE, OidcProvider, start_provider

GROUP_MAP = {
    "SFO-Managers": "manager",
    "SFO-Team": "sfo-team",
    "SFO-Reviewers": {"role": "reviewer"},
    "North-PP-Staff": {"role": "provider", "organisation": "north-probation"},
}


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    running = start_provider()
    yield running
    running.stop()


@pytest.fixture
def idp(app, provider, monkeypatch) -> OidcProvider:
    """The service set up to trust the provider, as the README says to."""
    settings = {
        "SFO_OIDC_ISSUER": provider.issuer,
        "SFO_OIDC_CLIENT_ID": CLIENT_ID,
        "SFO_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "SFO_OIDC_NAME": "Example Probation Service",
        "SFO_OIDC_SCOPES": "openid email profile groups",
        "SFO_OIDC_GROUP_MAP": GROUP_MAP,
    }
    for name, value in settings.items():
        monkeypatch.setitem(app.config, name, value)
    provider.tamper()  # no forged tokens unless a test asks
    return provider


def _person(idp, sub="e4f1-0001", groups=("SFO-Team",), **claims):
    defaults = {
        "preferred_username": "sam.okafor",
        "name": "Sam Okafor",
        "email": "sam.okafor@probation.example",
        "email_verified": True,
        "groups": list(groups),
    }
    idp.set_person(sub, **{**defaults, **claims})


def _start(browser, next_page=None):
    browser._fresh_request()
    answer = browser.client.get("/sign-in/oidc" + (f"?next={next_page}" if next_page else ""))
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    return answer.headers["Location"]


def _back(browser, url):
    browser._fresh_request()
    return browser.client.get(url.removeprefix(SERVICE))


def _sign_in(browser, idp, next_page=None):
    """The whole way: the service, the provider, and back; the service's answer to the callback."""
    return _back(browser, idp.through_provider(_start(browser, next_page)))


def _signed_in(browser) -> bool:
    browser._fresh_request()
    return browser.client.get("/tasks").status_code == 200


def test_the_sign_in_page_offers_the_provider_only_when_configured(browser, idp, app, monkeypatch):
    page = browser.get("/sign-in")
    assert "Sign in with Example Probation Service" in page.text
    assert "Or sign in with a username and password" in page.text
    monkeypatch.setitem(app.config, "SFO_OIDC_ISSUER", "")
    page = browser.get("/sign-in")
    assert "Sign in with" not in page.text and "Username" in page.text
    page = browser.get("/sign-in/oidc", expect=404)
    assert "Single sign-on is not set up" in page.text


def test_first_sign_in_uses_the_code_flow_with_pkce_and_creates_the_account(browser, idp):
    _person(idp, groups=("SFO-Team", "SFO-Reviewers", "Staff-Canteen"))
    location = _start(browser, next_page="/cases")
    request = parse_qs(urlsplit(location).query)
    assert location.startswith(idp.issuer + "/auth?")
    assert request["response_type"] == ["code"] and request["client_id"] == [CLIENT_ID]
    assert request["code_challenge_method"] == ["S256"] and len(request["code_challenge"][0]) >= 43
    assert request["state"][0] and request["nonce"][0]
    assert request["redirect_uri"] == [f"{SERVICE}/sign-in/oidc/callback"]

    back = idp.through_provider(location)
    answer = parse_qs(urlsplit(back).query)
    assert answer["state"] == request["state"] and answer["code"][0]
    response = _back(browser, back)

    assert response.status_code == 302 and response.headers["Location"] == "/cases"
    assert _signed_in(browser)
    user = get_user("sam.okafor")
    assert (user.role, sorted(user.group_names), user.organisation) == ("sfo-team", ["reviewer", "sfo-team"], None)
    assert (user.display_name, user.email, user.password_hash) == ("Sam Okafor", "sam.okafor@probation.example", None)
    assert (user.sso_issuer, user.sso_subject) == (idp.issuer, "e4f1-0001")
    assert db.session.scalar(select(AuditEvent.summary).where(AuditEvent.kind == "user-created")) == (
        "sam.okafor signed in for the first time."
    )


def test_a_provider_group_gives_the_provider_role_and_organisation(browser, idp):
    _person(idp, sub="pp-7", groups=("North-PP-Staff",), preferred_username="priya")
    _sign_in(browser, idp)
    user = get_user("priya")
    assert (user.role, user.organisation) == ("provider", "north-probation")


def test_roles_follow_the_claims_at_every_sign_in(browser, signed_in, idp):
    _person(idp, groups=("SFO-Team", "SFO-Reviewers"))
    _sign_in(browser, idp)
    _person(idp, groups=("SFO-Managers", "SFO-Team"), name="Sam Okafor-Reid", email="sam.reid@probation.example")

    other = type(browser)(browser.client.application.test_client())
    assert _sign_in(other, idp).status_code == 302

    db.session.expire_all()
    user = get_user("sam.okafor")
    assert (user.role, sorted(user.group_names)) == ("manager", ["manager", "sfo-team"])
    assert (user.display_name, user.email) == ("Sam Okafor-Reid", "sam.reid@probation.example")
    changed = db.session.scalar(select(AuditEvent.summary).where(AuditEvent.kind == "user-roles-changed"))
    assert changed == "sam.okafor's role follows their groups: manager (also sfo-team)."
    other.get("/monitoring")  # a manager now


def test_leaving_the_groups_ends_access_and_every_session_at_the_next_sign_in(browser, app, idp, caplog):
    caplog.set_level(logging.DEBUG, logger="app")
    _person(idp, groups=("SFO-Team",))
    _sign_in(browser, idp)
    token = create_token("sam.okafor")
    assert _signed_in(browser)

    _person(idp, groups=("Staff-Canteen",))
    elsewhere = type(browser)(app.test_client())
    response = _sign_in(elsewhere, idp)

    assert response.status_code == 403
    assert "does not give you access to this service" in response.get_data(as_text=True)
    assert not _signed_in(elsewhere)
    assert not _signed_in(browser)  # the session started earlier has ended too
    api = app.test_client().get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    db.session.expire_all()
    assert get_user("sam.okafor").active is False
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("app"))
    assert "refused an account by its groups" in logged
    assert "sam" not in logged.lower() and "okafor" not in logged.lower() and "@" not in logged

    _person(idp, groups=("SFO-Team",))  # back in the group: the next sign-in restores access
    assert _sign_in(elsewhere, idp).status_code == 302 and _signed_in(elsewhere)
    db.session.expire_all()
    assert get_user("sam.okafor").active is True


def test_an_account_an_administrator_disabled_stays_disabled(browser, app, idp):
    admin = make_user("admin")
    _person(idp)
    _sign_in(browser, idp)
    accounts.set_active("sam.okafor", False, admin.username)

    response = _sign_in(type(browser)(app.test_client()), idp)

    assert response.status_code == 403 and "disabled" in response.get_data(as_text=True)


def test_a_local_account_is_never_taken_over_by_a_provider_name(browser, idp):
    local = make_user("admin", username="sam.okafor")
    _person(idp, groups=("SFO-Team",))
    _sign_in(browser, idp)

    db.session.expire_all()
    assert (get_user("sam.okafor").role, get_user("sam.okafor").sso_subject) == ("admin", None)
    assert get_user("sam.okafor-2").sso_subject == "e4f1-0001"
    assert local.password_hash  # the break-glass account still signs in with its password
    password_browser = type(browser)(browser.client.application.test_client()).sign_in(local)
    assert _signed_in(password_browser)


def test_a_wrong_state_is_refused(browser, idp):
    _person(idp)
    back = idp.through_provider(_start(browser))
    forged = back.replace("state=", "state=x")

    response = _back(browser, forged)

    assert response.status_code == 400 and "did not work" in response.get_data(as_text=True)
    assert not _signed_in(browser) and get_user("sam.okafor") is None


def test_an_answer_cannot_be_used_twice(browser, idp):
    _person(idp)
    back = idp.through_provider(_start(browser))
    assert _back(browser, back).status_code == 302
    browser.get("/tasks")
    browser.post("/sign-out", {})

    assert _back(browser, back).status_code == 400  # the state was used up with the first
    assert not _signed_in(browser)


def test_an_answer_naming_another_issuer_is_refused(browser, idp):
    _person(idp)
    back = idp.through_provider(_start(browser))

    response = _back(browser, back.replace("iss=", "iss=https%3A%2F%2Fevil.example%2F&was="))

    assert response.status_code == 400 and "another identity provider" in response.get_data(as_text=True)
    assert not _signed_in(browser)


@pytest.mark.parametrize(
    "forged",
    [
        {"iss": "https://evil.example"},  # issued by someone else
        {"aud": "another-service"},  # meant for another client of the provider
        {"aud": "another-service", "azp": "another-service"},
        {"aud": "another-service", "azp": CLIENT_ID},  # passes Authlib's own checks: the service must look
        {"nonce": "a-nonce-from-another-sign-in"},  # replayed from another sign-in
    ],
)
def test_an_id_token_with_a_wrong_issuer_audience_or_nonce_is_refused(browser, idp, forged):
    _person(idp)
    idp.tamper(**forged)

    response = _sign_in(browser, idp)

    assert response.status_code == 400 and "did not work" in response.get_data(as_text=True)
    assert not _signed_in(browser) and get_user("sam.okafor") is None


def test_a_provider_whose_discovery_names_another_issuer_is_refused(browser, idp, app, monkeypatch):
    # The same provider reached under another name: its discovery document says it is 127.0.0.1.
    monkeypatch.setitem(app.config, "SFO_OIDC_ISSUER", idp.issuer.replace("127.0.0.1", "localhost"))
    browser._fresh_request()

    response = browser.client.get("/sign-in/oidc")

    assert response.status_code == 502
    assert "did not identify itself as the one this service trusts" in response.get_data(as_text=True)


def test_an_unreachable_provider_gives_a_clear_message(browser, idp, app, monkeypatch):
    from tests.worker.smtp import free_port

    monkeypatch.setitem(app.config, "SFO_OIDC_ISSUER", f"http://127.0.0.1:{free_port()}")
    page = browser.get("/sign-in/oidc", expect=502)
    assert "Example Probation Service cannot be reached just now" in page.text


def test_a_group_map_that_cannot_be_followed_stops_the_service_starting():
    with pytest.raises(RuntimeError, match="must map to one of"):
        sso.group_map({"SFO-Bosses": "boss"})
    with pytest.raises(RuntimeError, match="needs an organisation"):
        sso.group_map({"PP": {"role": "provider"}})
    assert sso.group_map(GROUP_MAP)[-1] == ("North-PP-Staff", "provider", "north-probation")


def test_password_sign_in_still_works_beside_single_sign_on(browser, idp):
    user = make_user("admin")
    browser.sign_in(user)
    assert _signed_in(browser)
    assert db.session.scalar(select(User.password_hash).where(User.id == user.id))
    assert PASSWORD


def test_administrators_see_how_an_account_signs_in_and_cannot_give_it_a_password(browser, signed_in, app, idp):
    _person(idp)
    _sign_in(browser, idp)
    admin = signed_in(make_user("admin"))

    page = admin.get("/admin/users/sam.okafor")

    assert "Single sign-on" in page.text and "Reset the password" not in page.text
    admin.get("/admin/users/sam.okafor/reset-password")
    page = admin.post("/admin/users/sam.okafor/reset-password", {}, expect=409)
    assert "signs in with single sign-on and has no password here" in page.text
    db.session.expire_all()
    assert get_user("sam.okafor").password_hash is None


def test_the_group_map_is_read_from_the_environment_and_refused_when_not_json(monkeypatch):
    from app.config import load_config

    monkeypatch.setenv("SFO_OIDC_GROUP_MAP", '{"SFO-Team": "sfo-team"}')
    monkeypatch.setenv("SFO_OIDC_ISSUER", "https://idp.example/realms/staff/")
    config = load_config()
    assert config["SFO_OIDC_GROUP_MAP"] == {"SFO-Team": "sfo-team"}
    assert config["SFO_OIDC_ISSUER"] == "https://idp.example/realms/staff"
    monkeypatch.setenv("SFO_OIDC_GROUP_MAP", "SFO-Team=sfo-team")
    with pytest.raises(RuntimeError, match="SFO_OIDC_GROUP_MAP must be a JSON object"):
        load_config()
