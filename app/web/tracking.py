"""Recommendations after the review: each case's page for recording where its actions stand
(/cases/<reference>/recommendations), and the inspection view of a provider's open recommendations
(/monitoring/inspection, HTML and CSV) with the overdue actions across providers."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as Redirect

from ..form_model.dates import PARTS, date_parts, parse_date
from ..models import ProcessInstance, User
from ..services import instances as instance_service
from ..services import tracking as tracking_service
from ..services.errors import Invalid
from ..services.reports import TRACKING
from ..services.runtime import london_today
from .auth import signed_in_user

tracking = Blueprint("tracking", __name__)


def _page(
    user: User, row: ProcessInstance, errors: dict[int, dict[str, str]] | None = None, entered: dict | None = None
) -> str:
    errors = errors or {}
    error_list = [
        {"text": message, "href": f"#r{number}-{field}"}
        for number, fields in errors.items()
        for field, message in fields.items()
    ]
    return render_template(
        "tracking/case.html",
        title=f"Recommendations: case {row.business_key}",
        row=row,
        items=tracking_service.recommendations_of_case(user, row, london_today()),
        may_track=lambda item: tracking_service.may_track(user, item.addressee_code, item.provider_org),
        statuses=TRACKING,
        errors=errors,
        error_list=error_list,
        entered=entered or {},
        date_parts=date_parts,
    )


@tracking.get("/cases/<business_key>/recommendations")
def case_recommendations(business_key: str) -> str:
    user = signed_in_user()
    return _page(user, instance_service.get_instance_by_key(user, business_key))


@tracking.post("/cases/<business_key>/recommendations/<int:number>")
def track(business_key: str, number: int) -> tuple[str, int] | Redirect:
    user = signed_in_user()
    row = instance_service.get_instance_by_key(user, business_key)
    status = (request.form.get("status") or "").strip()
    evidence = request.form.get("evidence") or ""
    parts = {part: (request.form.get(f"done_on-{part}") or "").strip() for part in PARTS}
    done_on, message = parse_date(parts, "The date the action was done")
    entered = {number: {"status": status, "evidence": evidence, "done_on": parts}}
    if message:
        return _page(user, row, {number: {"done_on": message}}, entered), 400
    try:
        tracking_service.track(user, row, number, status, evidence, done_on or "")
    except Invalid as invalid:
        fields = {name: str(messages[0]) for name, messages in invalid.fields.items() if messages}
        return _page(user, row, {number: fields}, entered), 400
    flash(f"Recommendation {number}: {TRACKING[status].lower()}, recorded.", "success")
    return redirect(
        url_for("tracking.case_recommendations", business_key=row.business_key) + f"#recommendation-{number}"
    )


@tracking.get("/monitoring/inspection")
def inspection() -> str:
    user = signed_in_user()
    provider = (request.args.get("provider") or "").strip()[:120]
    today = london_today()
    overdue_count, overdue = tracking_service.overdue_recommendations(user, today)
    return render_template(
        "tracking/inspection.html",
        title="Inspection: open recommendations",
        provider=provider,
        providers=tracking_service.providers(),
        rows=tracking_service.inspection(user, provider, today) if provider else [],
        overdue=overdue,
        overdue_count=overdue_count,
        section="inspection",
    )


@tracking.get("/monitoring/inspection.csv")
def inspection_csv() -> Response:
    user = signed_in_user()
    provider = (request.args.get("provider") or "").strip()[:120]
    rows = tracking_service.inspection(user, provider, london_today())
    response = Response(tracking_service.inspection_csv(rows), mimetype="text/csv")
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in provider) or "provider"
    response.headers["Content-Disposition"] = f'attachment; filename="open-recommendations-{safe}.csv"'
    return response
