"""The web pages (GOV.UK Frontend through govuk-frontend-jinja, MOJ Frontend patterns)."""

from __future__ import annotations

from flask import Flask, current_app, request, url_for
from flask_login import current_user
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.exceptions import BadRequest

from .account import account
from .admin import admin
from .assets import assets
from .auth import auth, init_auth, protect
from .case_themes import case_themes
from .cases import cases
from .digests import digests
from .filters import register_filters
from .groups import groups_pages
from .lessons import lessons
from .monitoring import monitoring
from .pages import pages
from .process_models import models
from .published import published
from .reports import reports
from .sso import init_sso, sso_pages
from .tasks import tasks
from .tracking import tracking

PROTECTED = (
    tasks,
    cases,
    case_themes,
    monitoring,
    reports,
    lessons,
    tracking,
    digests,
    models,
    groups_pages,
    account,
    admin,
)
PUBLIC = (assets, auth, sso_pages, pages, published)


def register_web(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(app.root_path + "/templates"),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    # Not StrictUndefined: govuk-frontend-jinja's macros read optional parameters that callers leave out.
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    register_filters(app)
    init_auth(app)
    init_sso(app)
    for blueprint in PUBLIC:
        blueprint.public = True  # type: ignore[attr-defined]
        app.register_blueprint(blueprint)
    for blueprint in PROTECTED:
        protect(blueprint)
        app.register_blueprint(blueprint)
    app.context_processor(lambda: {"navigation_items": navigation_items})
    app.before_request(refuse_nul_characters)


def refuse_nul_characters() -> None:
    """No page takes the NUL character: PostgreSQL stores it in neither text nor JSON (the API checks its own)."""
    if request.path.startswith("/api/"):
        return
    for values in (request.args, request.form):
        if any("\x00" in key or "\x00" in value for key, value in values.items(multi=True)):
            raise BadRequest("Text cannot contain the NUL character. Remove it and try again.")


NAVIGATION = (
    # (text, endpoint, roles that see it; None = everyone signed in)
    ("Tasks", "tasks.inbox", None),
    ("Cases", "cases.case_list", None),
    ("Monitoring", "monitoring.dashboard", ("manager", "admin")),
    ("Themes and lessons", "lessons.figures", ("manager", "admin")),
    ("Lessons digests", "digests.digest_list", None),
    ("Process models", "models.process_list", ("process-owner", "admin")),
    ("Groups", "groups.group_list", ("process-owner", "admin")),
    ("User accounts", "admin.user_list", ("admin",)),
)


def navigation_items() -> list[dict[str, object]]:
    """The primary navigation for the signed-in user's role; only areas that exist are shown."""
    user = current_user.user
    items = []
    for text, endpoint, roles in NAVIGATION:
        if endpoint not in current_app.view_functions or (roles and user.role not in roles):
            continue
        href = url_for(endpoint)
        items.append({"text": text, "href": href, "active": request.blueprint == endpoint.split(".")[0]})
    return items
