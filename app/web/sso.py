"""Signing in with the organisation's identity provider: OpenID Connect's authorisation code flow with
PKCE (Authlib), state and nonce checked, the provider's issuer and the ID token's issuer and audience
checked. ``/sign-in/oidc`` sends the person to the provider; ``/sign-in/oidc/callback`` takes the code
back, and the claims decide the account (services/sso.py).

The redirect URI is ``SFO_BASE_URL`` + ``/sign-in/oidc/callback``: register exactly that at the provider.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..services import sso
from .auth import safe_next, start_session

log = logging.getLogger(__name__)
sso_pages = Blueprint("sso", __name__)
NEXT = "sso_next"
CALLBACK = "/sign-in/oidc/callback"


class SignInFailed(Exception):
    """The provider's answer cannot be trusted or used; the message is for the person signing in."""


def init_sso(app: Flask) -> None:
    with app.app_context():
        sso.check_configuration()
    app.context_processor(lambda: {"sso_name": current_app.config["SFO_OIDC_NAME"] if sso.configured() else None})


def _client() -> Any:
    """The Authlib client for the configured provider, made once per configuration."""
    config = current_app.config
    key = (
        config["SFO_OIDC_ISSUER"],
        config["SFO_OIDC_CLIENT_ID"],
        config["SFO_OIDC_CLIENT_SECRET"],
        config["SFO_OIDC_SCOPES"],
    )
    cached = current_app.extensions.get("sfo.oidc")
    if cached is not None and cached[0] == key:
        return cached[1]
    from authlib.integrations.flask_client import OAuth  # imported only where single sign-on is used: 17 MB

    issuer, client_id, secret, scopes = key
    client = OAuth(current_app._get_current_object()).register(  # type: ignore[attr-defined]
        "idp",
        overwrite=True,
        client_id=client_id,
        client_secret=secret,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": scopes, "code_challenge_method": "S256", "default_timeout": 10},
    )
    current_app.extensions["sfo.oidc"] = (key, client)
    return client


def _metadata(client: Any) -> dict[str, Any]:
    """The provider's discovery document, which must name the configured issuer (OpenID Connect Discovery 4.3)."""
    issuer = current_app.config["SFO_OIDC_ISSUER"]
    metadata: dict[str, Any] = client.load_server_metadata()
    if str(metadata.get("issuer", "")).rstrip("/") != issuer:
        client.server_metadata.clear()  # read it again next time, in case the provider is put right
        log.warning("single sign-on refused: the provider's discovery document names another issuer")
        raise SignInFailed("The identity provider did not identify itself as the one this service trusts.")
    return metadata


def _failed(message: str, status: int) -> tuple[str, int]:
    # The error summary links to the single sign-on button, or to the username when there is none.
    field = "sso" if sso.configured() else "username"
    return render_template("auth/sign_in.html", errors={field: message}, username=""), status


@sso_pages.get("/sign-in/oidc")
def start() -> Response | tuple[str, int]:
    if not sso.configured():
        return _failed("Single sign-on is not set up for this service. Sign in with your username.", 404)
    if current_user.is_authenticated:
        return redirect(url_for("tasks.inbox"))
    from requests import RequestException  # Authlib's HTTP client, loaded with it (sign-ins only)

    try:
        client = _client()
        _metadata(client)
        session[NEXT] = safe_next(request.args.get("next"))
        redirect_uri = current_app.config["SFO_BASE_URL"].rstrip("/") + CALLBACK
        return client.authorize_redirect(redirect_uri)
    except SignInFailed as failure:
        return _failed(str(failure), 502)
    except (RequestException, ValueError):
        log.warning("single sign-on unavailable: the provider's discovery document could not be read")
        return _failed(f"{_provider_name()} cannot be reached just now. Try again in a few minutes.", 502)


@sso_pages.get(CALLBACK)
def callback() -> Response | tuple[str, int]:
    if not sso.configured():
        return _failed("Single sign-on is not set up for this service. Sign in with your username.", 404)
    try:
        claims = _verified_claims()
    except SignInFailed as failure:
        return _failed(str(failure), 400)
    outcome = sso.sign_in_with_claims(current_app.config["SFO_OIDC_ISSUER"], claims)
    if outcome.user is None:
        log.info("single sign-on refused an account by its groups")
        return _failed(outcome.refusal, 403)
    return start_session(outcome.user, session.pop(NEXT, None) or url_for("tasks.inbox"))


def _verified_claims() -> dict[str, Any]:
    """The person's claims once every check has passed: state (Authlib, against the session), the issuer
    named in the answer (RFC 9207), the code exchanged with the PKCE verifier, the ID token's signature,
    issuer, audience, expiry and nonce; then userinfo for the same subject."""
    from authlib.integrations.base_client.errors import OAuthError
    from joserfc.errors import JoseError
    from requests import RequestException

    issuer = current_app.config["SFO_OIDC_ISSUER"]
    try:
        client = _client()
        metadata = _metadata(client)
        answered_by = request.args.get("iss")
        if answered_by is not None and answered_by.rstrip("/") != issuer:
            raise SignInFailed("The answer came from another identity provider. Start again.")
        # The ID token must be issued by the configured provider and meant for this service (Authlib
        # checks the signature, expiry, nonce and azp; without these options an ID token for another
        # client with this one as azp would pass).
        expected = {
            "iss": {"essential": True, "values": [metadata["issuer"]]},
            "aud": {"essential": True, "values": [current_app.config["SFO_OIDC_CLIENT_ID"]]},
        }
        token = client.authorize_access_token(claims_options=expected)
        claims = dict(token.get("userinfo") or {})
        if not claims.get("sub"):
            raise SignInFailed("The identity provider did not say who you are. Start again.")
        if metadata.get("userinfo_endpoint"):
            extra = dict(client.userinfo(token=token))
            if extra.get("sub") != claims["sub"]:
                raise SignInFailed("The identity provider gave two different people. Start again.")
            claims = {**extra, **claims}
        return claims
    except SignInFailed as failure:
        log.warning("single sign-on refused: %s", failure)
        raise
    except (OAuthError, JoseError) as error:
        # A wrong or replayed state, an ID token for another client or from another issuer, a wrong nonce,
        # a refused code: nothing about the person is logged.
        log.warning("single sign-on refused: %s", type(error).__name__)
        raise SignInFailed("Signing in with your organisation's account did not work. Start again.") from None
    except (RequestException, ValueError, KeyError):
        log.warning("single sign-on failed: the provider could not be reached or answered wrongly")
        raise SignInFailed(f"{_provider_name()} cannot be reached just now. Try again in a few minutes.") from None


def _provider_name() -> str:
    return str(current_app.config["SFO_OIDC_NAME"])
