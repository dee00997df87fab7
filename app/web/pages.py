"""Pages anyone can read: the service's statements, and the home page."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

pages = Blueprint("pages", __name__)


@pages.get("/")
def home() -> Response:
    return redirect(url_for("tasks.inbox" if current_user.is_authenticated else "auth.sign_in"))


@pages.get("/accessibility")
def accessibility() -> str:
    return render_template("pages/accessibility.html", title="Accessibility statement")


@pages.get("/cookies")
def cookies() -> str:
    return render_template("pages/cookies.html", title="Cookies")


@pages.get("/privacy")
def privacy() -> str:
    return render_template("pages/privacy.html", title="Privacy notice")
