"""The signed-in person's own account: changing the password (required after an administrator reset it)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from ..services.accounts import change_password as change_password_service
from ..services.errors import Invalid
from .auth import GENERATION, signed_in_user

account = Blueprint("account", __name__, url_prefix="/account")


@account.route("/password", methods=["GET", "POST"])
def change_password() -> Response | tuple[str, int]:
    user = signed_in_user()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = request.form
        try:
            change_password_service(
                user,
                form.get("current_password") or "",
                form.get("new_password") or "",
                form.get("confirm_password") or "",
            )
        except Invalid as invalid:
            errors = invalid.fields
        else:
            # Changing the password ended every session, this one too; carry on in this one only.
            session[GENERATION] = user.session_generation
            flash("Your password has been changed. You have been signed out everywhere else.", "success")
            return redirect(url_for("tasks.inbox"))
    return render_template(
        "account/password.html", title="Change your password", errors=errors, forced=user.must_change_password
    ), 400 if errors else 200
