"""The review report of a case (/cases/<reference>/report), for anyone who may see the case."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ..services import instances as instance_service
from ..services.publication import published_for
from ..services.reports import get_report
from ..services.runtime import london_today
from .auth import signed_in_user
from .params import int_arg

reports = Blueprint("reports", __name__)


@reports.get("/cases/<business_key>/report")
def report(business_key: str) -> str:
    user = signed_in_user()
    row = instance_service.get_instance_by_key(user, business_key)
    version = int_arg(request.args, "version")
    found = get_report(user, row, version, today=london_today())
    title = f"Review report: case {row.business_key}"
    return render_template(
        "reports/report.html", title=title, row=row, report=found, user=user, published=published_for(row)
    )
