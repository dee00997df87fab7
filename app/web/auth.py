"""Signing in and out (session cookie), CSRF on every form, throttled sign-in."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response

from ..extensions import db
from ..models import User
from ..services.users import user_for_password

SIGN_IN_LIMIT = "5 per 15 minutes"

auth = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[], storage_uri="memory://")


class SessionUser:
    """The signed-in user as Flask-Login sees it: the row plus the flags it asks for."""

    def __init__(self, user: User):
        self.user = user

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.user.id)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.user, name)


def init_auth(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    # CSRF is checked by the web blueprints (``check_csrf``); the API authenticates with bearer tokens.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("SFO_RATELIMIT_STORAGE_URI", "memory://"))


def check_csrf() -> None:
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


@login_manager.user_loader
def load_user(user_id: str) -> SessionUser | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return SessionUser(user) if user is not None and user.active else None


def signed_in_user() -> User:
    """The User row of the signed-in person (pages are protected, so there is one)."""
    return current_user.user  # type: ignore[no-any-return]


def protect(blueprint: Blueprint) -> None:
    """Every route of the blueprint needs a signed-in user: declared once, where it is registered."""

    @blueprint.before_request
    @login_required
    def require_sign_in() -> None:
        check_csrf()


def _username_key() -> str:
    return f"{get_remote_address()}:{(request.form.get('username') or '').strip().lower()}"


def safe_next(target: str | None, default: str | None = None) -> str:
    """Only redirect to a path of this service (never to another site)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default or url_for("tasks.inbox")


@auth.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, key_func=_username_key, methods=["POST"],
               deduct_when=lambda response: response.status_code != 302,
               error_message="Too many failed attempts to sign in. Wait 15 minutes, then try again.")
def sign_in() -> Response | tuple[str, int]:
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
            user = user_for_password(username, password)
            if user is not None:
                session.clear()  # a fresh session on sign-in
                login_user(SessionUser(user))
                return redirect(safe_next(request.args.get("next")))
            errors["username"] = "The username or password is not right"
    return render_template("auth/sign_in.html", errors=errors, username=username), 400 if errors else 200


@auth.post("/sign-out")
def sign_out() -> Response:
    check_csrf()
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))
