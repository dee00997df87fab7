"""Lessons learned across reviews (/monitoring/themes): theme counts over time, recommendations by
addressee and status, the periodic lessons digest (HTML and CSV), and the managed list of themes.
Managers and admins only."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as Redirect

from ..services import lessons as lesson_service
from ..services.errors import Invalid
from ..services.reports import FAILURE_CLASSES
from ..services.runtime import london_today
from .auth import signed_in_user

lessons = Blueprint("lessons", __name__, url_prefix="/monitoring/themes")


def quarter_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    first_month = (day.month - 1) // 3 * 3 + 1
    start = dt.date(day.year, first_month, 1)
    following = dt.date(day.year + (first_month == 10), (first_month + 2) % 12 + 1, 1)
    return start, following - dt.timedelta(days=1)


def period_choices(today: dt.date) -> list[tuple[str, str, dt.date, dt.date]]:
    """The last eight quarters and the last three years: (value, label, start, end)."""
    choices = []
    start, _ = quarter_bounds(today)
    for _ in range(8):
        first, last = quarter_bounds(start)
        choices.append((f"{first.year}-Q{(first.month - 1) // 3 + 1}", f"{first:%B} to {last:%B %Y}", first, last))
        start = (first - dt.timedelta(days=1)).replace(day=1)
    for year in range(today.year, today.year - 3, -1):
        choices.append((str(year), f"The whole of {year}", dt.date(year, 1, 1), dt.date(year, 12, 31)))
    return choices


def _period() -> tuple[str, str, dt.date, dt.date]:
    choices = period_choices(london_today())
    wanted = request.args.get("period") or choices[0][0]
    return next((c for c in choices if c[0] == wanted), choices[0])


@lessons.get("")
def figures() -> str:
    by = "year" if request.args.get("by") == "year" else "quarter"
    return render_template(
        "lessons/figures.html",
        title="Themes and lessons",
        by=by,
        themes=lesson_service.theme_counts(by),
        recommendations=lesson_service.recommendation_counts(london_today()),
        failures=lesson_service.failure_counts(by),
        periods=period_choices(london_today()),
    )


FAILURES_SHOWN = 200


@lessons.get("/failures")
def failure_search() -> str:
    query = {name: (request.args.get(name) or "").strip()[:200] for name in ("q", "classification", "relevant")}
    found = lesson_service.search_failures(query["q"], query["classification"], query["relevant"], limit=FAILURES_SHOWN)
    return render_template(
        "lessons/failures.html",
        title="Failures recorded in reports",
        query=query,
        classes=FAILURE_CLASSES,
        found=found,
        limit=FAILURES_SHOWN,
    )


@lessons.get("/digest")
def digest() -> str:
    value, label, start, end = _period()
    found = lesson_service.lessons_digest(start, end, london_today())
    return render_template(
        "lessons/digest.html",
        title=f"Lessons digest: {label}",
        digest=found,
        period=value,
        label=label,
        periods=period_choices(london_today()),
    )


@lessons.get("/digest.csv")
def digest_csv() -> Response:
    value, _, start, end = _period()
    body = lesson_service.digest_csv(lesson_service.lessons_digest(start, end, london_today()))
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="lessons-digest-{value}.csv"'
    return response


@lessons.get("/list")
def theme_list() -> str:
    return render_template(
        "lessons/themes.html",
        title="Themes",
        themes=lesson_service.list_themes(),
        errors={},
        error_list=[],
        new_title="",
    )


@lessons.post("/list")
def add_theme() -> tuple[str, int] | Redirect:
    user = signed_in_user()
    title = request.form.get("title") or ""
    try:
        theme = lesson_service.add_theme(user, title)
    except Invalid as invalid:
        message = invalid.fields["title"][0]
        return render_template(
            "lessons/themes.html",
            title="Themes",
            themes=lesson_service.list_themes(),
            errors={"title": message},
            error_list=[{"text": message, "href": "#title"}],
            new_title=title,
        ), 400
    flash(f"'{theme.title}' was added to the list of themes.", "success")
    return redirect(url_for("lessons.theme_list"))


@lessons.post("/list/<code>")
def change_theme(code: str) -> Redirect:
    user = signed_in_user()
    active = request.form.get("active")
    theme = lesson_service.update_theme(user, code, active=active == "yes" if active in ("yes", "no") else None)
    state = "offered when tagging reviews" if theme.active else "no longer offered (reviews already tagged keep it)"
    flash(f"'{theme.title}' is {state}.", "success")
    return redirect(url_for("lessons.theme_list"))
