"""A review's themes (/cases/<reference>/themes): set by the SFO team or a manager once quality assurance has
approved the report, and corrected at any time after, also once the case has closed."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as Redirect

from ..models import ProcessInstance, User
from ..services import case_themes as theme_service
from ..services import instances as instance_service
from ..services.audit import events_of
from ..services.errors import Conflict, Invalid
from ..services.lessons import theme_titles
from .auth import signed_in_user

case_themes = Blueprint("case_themes", __name__)


def _page(
    user: User, row: ProcessInstance, chosen: list[str] | None = None, error: str = "", href: str = "#themes"
) -> str:
    found = theme_service.themes_of_case(user, row)
    return render_template(
        "cases/themes.html",
        title=f"Themes: case {row.business_key}",
        row=row,
        found=found,
        chosen=found.current if chosen is None else chosen,
        not_yet=theme_service.NOT_YET,
        titles=theme_titles(),
        changes=[e for e in reversed(events_of(row)) if e.kind == "themes-changed"],
        error=error,
        error_list=[{"text": error, "href": href}] if error else [],
    )


@case_themes.get("/cases/<business_key>/themes")
def themes(business_key: str) -> str:
    user = signed_in_user()
    return _page(user, instance_service.get_instance_by_key(user, business_key))


@case_themes.post("/cases/<business_key>/themes")
def set_themes(business_key: str) -> tuple[str, int] | Redirect:
    user = signed_in_user()
    row = instance_service.get_instance_by_key(user, business_key)
    chosen = [code.strip() for code in request.form.getlist("themes")][:200]
    try:
        theme_service.set_themes(user, row, chosen)
    except Invalid as invalid:
        return _page(user, row, chosen, str(invalid.fields["themes"][0])), 400
    except Conflict as too_early:  # the report is not approved yet
        return _page(user, row, chosen, too_early.message, "#themes-not-yet"), 409
    flash("The themes of the review were saved.", "success")
    return redirect(url_for("case_themes.themes", business_key=row.business_key))
