"""Bearer-token authentication for the API, attached to the whole blueprint where it is registered."""

from __future__ import annotations

from flask import g, request
from werkzeug.wrappers import Response

from ..models import User
from ..services.users import check_token
from ..status.errors import error_body


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def require_token() -> Response | None:
    """Before every API request: identify the caller by token, or answer 401."""
    token = bearer_token()
    checked = check_token(token) if token else None
    user = checked.user if checked else None
    if user is None:
        message = checked.problem if checked else "Send a valid API token: Authorization: Bearer TOKEN."
        response: Response = error_body(401, message)
        response.headers["WWW-Authenticate"] = 'Bearer realm="sfo-api"'
        return response
    g.api_user = user
    return None


def current_user() -> User:
    return g.api_user
