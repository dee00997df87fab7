"""Signing in and out (session cookie), CSRF on every form, throttled sign-in, sessions that end.

A session carries the user's ``session_generation`` from the moment of sign-in; every request compares
it with the user's current one, so signing out, disabling the account or changing the password ends
every session of that user, on every server, including cookies copied before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from ..extensions import csrf, db, login_manager
from ..models import User
from ..services.access import require_role
from ..services.accounts import sign_out_everywhere
from ..services.throttle import init_throttle, sign_in_throttle
from ..services.users import user_for_password

auth = Blueprint("auth", __name__)
GENERATION = "generation"


class SessionUser:
    """The signed-in user as Flask-Login sees it: the row plus the flags it asks for."""

    def __init__(self, user: User):
        self.user = user

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.user.id)

    def __getattr__(self, name: str):
        return getattr(self.user, name)


def init_auth(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    # CSRF is checked by the web blueprints (``check_csrf``); the API authenticates with bearer tokens.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    init_throttle(app)


def check_csrf() -> None:
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


@login_manager.user_loader
def load_user(user_id: str) -> SessionUser | None:
    user = None
    if user_id.isdigit() and len(user_id) < 10:  # the person and their groups in one statement, on every page
        query = select(User).options(joinedload(User.groups)).where(User.id == int(user_id))
        user = db.session.scalars(query).unique().first()
    if user is None or not user.active or session.get(GENERATION) != user.session_generation:
        return None
    return SessionUser(user)


def signed_in_user() -> User:
    """The User row of the signed-in person (pages are protected, so there is one)."""
    return current_user.user


KEEPS_INPUT = "keeps_input_when_token_expires"


def keeps_input_when_token_expires(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a form's POST view that, when the form's CSRF token has expired, shows the form again with
    what was typed (and a fresh token) instead of the error page. The view must then change nothing:
    it reads ``g.token_expired``."""
    setattr(view, KEEPS_INPUT, True)
    return view


@dataclass(frozen=True)
class Access:
    """Who may use a protected blueprint or view: people with one of ``roles``, or everyone signed in
    (``roles`` None: the services then decide case by case). ``action`` ends the refusal's sentence."""

    roles: tuple[str, ...] | None
    action: str = ""

    def allows(self, user: User) -> bool:
        return self.roles is None or user.role in self.roles


EVERYONE_SIGNED_IN = Access(None)


def protect(blueprint: Blueprint, access: Access, views: Mapping[str, Access]) -> None:
    """Every route of the blueprint needs a signed-in user with the role ``access`` names, or the one
    ``views`` names for that endpoint: declared once, where it is registered.

    Blueprints are module objects: a second app in the same process (tests, tools) finds them protected.
    """
    if getattr(blueprint, "protected", False):
        return
    blueprint.protected = True  # type: ignore[attr-defined]

    @blueprint.before_request
    @login_required
    def require_sign_in() -> Response | None:
        rule = views.get(request.endpoint or "", access)
        if rule.roles is not None:  # before the CSRF and password checks: a refusal whatever was sent
            require_role(signed_in_user(), rule.roles, rule.action)
        try:
            check_csrf()
        except CSRFError:
            view = current_app.view_functions.get(request.endpoint or "")
            if not getattr(view, KEEPS_INPUT, False):
                raise
            g.token_expired = True  # the view shows the form again with what was typed, and changes nothing
        if signed_in_user().must_change_password and request.endpoint != "account.change_password":
            return redirect(url_for("account.change_password"))
        return None


def safe_next(target: str | None, default: str | None = None) -> str:
    """Only redirect to a path of this service, never to another site.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so ``/\\t/evil.com``
    means ``//evil.com``: those characters are refused, and the target must parse as a bare path.
    """
    fallback = default or url_for("tasks.inbox")
    if not target or any(ord(c) < 0x21 or c in "\\\x7f" for c in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def client_address() -> str:
    """The caller's address: the socket's peer, or what the configured number of trusted proxies say."""
    return request.remote_addr or "unknown"


@auth.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    if current_user.is_authenticated:
        return redirect(url_for("tasks.inbox"))
    errors: dict[str, str] = {}
    username = (request.form.get("username") or "").strip()
    if request.method == "POST":
        check_csrf()
        password = request.form.get("password") or ""
        if not username:
            errors["username"] = "Enter your username"
        if not password:
            errors["password"] = "Enter your password"  # noqa: S105  (a message, not a password)
        if not errors:
            throttled = _claim_attempt(username)
            if throttled is not None:
                return throttled
            user = user_for_password(username, password)
            if user is not None:
                sign_in_throttle().release_attempt(client_address(), username)
                return start_session(user, safe_next(request.args.get("next")))
            errors["username"] = "The username or password is not right"
    return render_template("auth/sign_in.html", errors=errors, username=username), 200  # errors in the summary


def _claim_attempt(username: str) -> tuple[str, int, dict[str, str]] | None:
    """None when this attempt may check its password (it is counted already); else the refusal."""
    wait = sign_in_throttle().claim_attempt(client_address(), username)
    if not wait:
        return None
    minutes = max(1, -(-wait // 60))
    message = f"Too many failed attempts to sign in. Wait {minutes} minute{'s' if minutes > 1 else ''}, then try again."
    from .errors import render_error_page

    page, status = render_error_page(429, message)
    return page, status, {"Retry-After": str(wait)}


def start_session(user: User, target: str) -> Response:
    """Signed in (by password or single sign-on): a fresh session, then ``target`` (a checked path)."""
    session.clear()
    login_user(SessionUser(user))
    session[GENERATION] = user.session_generation
    if user.must_change_password:
        flash("Choose a new password to continue.", "info")
        return redirect(url_for("account.change_password"))
    return redirect(target)


@auth.post("/sign-out")
def sign_out() -> Response:
    check_csrf()
    if current_user.is_authenticated:
        sign_out_everywhere(signed_in_user())
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))
