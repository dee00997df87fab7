"""The web pages (GOV.UK Frontend through govuk-frontend-jinja, MOJ Frontend patterns)."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, request, url_for
from flask_login import current_user
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.exceptions import BadRequest

from ..services.access import ADMIN_ROLES, DEPLOYING_ROLES, MANAGING_ROLES, STARTING_ROLES
from .account import account
from .admin import admin
from .assets import assets
from .auth import EVERYONE_SIGNED_IN, Access, auth, init_auth, protect
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
from .undefined import PageUndefined

# Who may use each protected blueprint. Everyone signed in: the services check each case and task.
PROTECTED: dict[Blueprint, Access] = {
    tasks: EVERYONE_SIGNED_IN,
    cases: EVERYONE_SIGNED_IN,
    case_themes: EVERYONE_SIGNED_IN,
    reports: EVERYONE_SIGNED_IN,
    tracking: EVERYONE_SIGNED_IN,
    digests: EVERYONE_SIGNED_IN,
    account: EVERYONE_SIGNED_IN,
    monitoring: Access(MANAGING_ROLES, "monitor cases"),
    lessons: Access(MANAGING_ROLES, "see lessons learned"),
    models: Access(DEPLOYING_ROLES, "edit and deploy process models"),
    groups_pages: Access(DEPLOYING_ROLES, "manage groups"),
    admin: Access(ADMIN_ROLES, "manage user accounts"),
}
# Views that need a role their blueprint does not ask for, by endpoint.
STRICTER_VIEWS = {
    "cases.new_case": Access(STARTING_ROLES, "notify a case"),
    "cases.create_case": Access(STARTING_ROLES, "notify a case"),
    "cases.case_record": Access(MANAGING_ROLES, "download a case's whole record"),
    "tracking.inspection": Access(MANAGING_ROLES, "see the inspection view"),
    "tracking.inspection_csv": Access(MANAGING_ROLES, "see the inspection view"),  # providers use the API
}
PUBLIC = (assets, auth, sso_pages, pages, published)


def register_web(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(app.root_path + "/templates"),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    app.jinja_env.undefined = PageUndefined
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    register_filters(app)
    init_auth(app)
    init_sso(app)
    for blueprint in PUBLIC:
        blueprint.public = True  # type: ignore[attr-defined]
        app.register_blueprint(blueprint)
    for blueprint, access in PROTECTED.items():
        protect(blueprint, access, STRICTER_VIEWS)
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
    ("Tasks", "tasks.inbox"),
    ("Cases", "cases.case_list"),
    ("Monitoring", "monitoring.dashboard"),
    ("Themes and lessons", "lessons.figures"),
    ("Lessons digests", "digests.digest_list"),
    ("Process models", "models.process_list"),
    ("Groups", "groups.group_list"),
    ("User accounts", "admin.user_list"),
)


def access_to(endpoint: str) -> Access:
    """Who may use a protected view: its own rule, else its blueprint's."""
    blueprint = endpoint.split(".")[0]
    return STRICTER_VIEWS.get(endpoint) or next(a for b, a in PROTECTED.items() if b.name == blueprint)


def navigation_items() -> list[dict[str, object]]:
    """The primary navigation: the areas that exist and that the signed-in user's role may use."""
    user = current_user.user
    items = []
    for text, endpoint in NAVIGATION:
        if endpoint not in current_app.view_functions or not access_to(endpoint).allows(user):
            continue
        href = url_for(endpoint)
        items.append({"text": text, "href": href, "active": request.blueprint == endpoint.split(".")[0]})
    return items
