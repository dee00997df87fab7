"""The quarterly lessons digests (/lessons-digests), produced by the worker: every signed-in person can
read them, as HTML or PDF."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from ..services import digests as digest_service

digests = Blueprint("digests", __name__, url_prefix="/lessons-digests")


@digests.get("")
def digest_list() -> str:
    return render_template("lessons/digests.html", title="Lessons digests", digests=digest_service.list_digests())


def _digest(period: str) -> digest_service.LessonsDigest:
    found = digest_service.get_digest(period[:10])
    if found is None:
        abort(404)
    return found


@digests.get("/<period>.html")
def digest_html(period: str) -> Response:
    response = Response(_digest(period).html, mimetype="text/html")
    response.headers["Content-Disposition"] = f'attachment; filename="lessons-digest-{period}.html"'
    return response


@digests.get("/<period>.pdf")
def digest_pdf(period: str) -> Response:
    response = Response(_digest(period).pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="lessons-digest-{period}.pdf"'
    return response
