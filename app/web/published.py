"""Published SFO review reports: public pages, no sign-in. They read only the published_report
table (and the list of theme names), never case data, so nothing unpublished can be reached here."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from ..models import PublishedReport
from ..services.lessons import theme_titles
from ..services.publication import (
    PublishedFilters,
    get_published,
    list_published,
    list_summary,
    published_choices,
    search_terms,
)
from ..services.reports import parse_date
from .params import int_arg, page_arg

published = Blueprint("published", __name__)


def _filters() -> PublishedFilters:
    return PublishedFilters(
        theme=(request.args.get("theme") or "").strip(),
        year=int_arg(request.args, "year", low=1, high=9999),
        offence_type=(request.args.get("offence") or "").strip(),
        text=search_terms(request.args.get("q") or ""),
    )


@published.get("/published")
def report_list() -> str:
    filters = _filters()
    found = list_published(filters, page_arg(request.args))
    years, offences, themes = published_choices()
    titles = theme_titles()
    return render_template(
        "published/list.html",
        title="Published Serious Further Offence reviews",
        found=found,
        reports=[(report, list_summary(report)) for report in found.reports],
        filters=filters,
        page_args=_page_args(filters),
        years=years,
        offences=offences,
        themes=[(code, titles.get(code, code)) for code in themes],
        theme_titles=titles,
    )


def _page_args(filters: PublishedFilters) -> dict[str, str | int]:
    """The list's query string without the page number: the search and filters that paging keeps."""
    args = {"q": filters.text, "theme": filters.theme, "year": filters.year or "", "offence": filters.offence_type}
    return {name: value for name, value in args.items() if value}


def _page_context(slug: str) -> dict:
    return page_context(get_published(slug))


def page_context(report: PublishedReport) -> dict:
    """What the public page template reads; the approver's preview reads the same."""
    content = report.content or {}
    recommendations = [
        {**r, "target_date": parse_date(r.get("target_date"))} for r in content.get("recommendations") or []
    ]
    titles = theme_titles()
    return {
        "report": report,
        "content": content,
        "recommendations": recommendations,
        "themes": [titles.get(code, code) for code in report.themes or []],
        "title": report.title,
    }


@published.get("/published/<slug>")
def report_page(slug: str) -> str:
    return render_template("published/report.html", **_page_context(slug))


@published.get("/published/<slug>.pdf")
def report_pdf(slug: str) -> Response:
    from weasyprint import HTML  # loaded on first use: it is slow to import

    html = render_template("published/pdf.html", **_page_context(slug))
    pdf = HTML(string=html, base_url=request.url_root).write_pdf(pdf_variant="pdf/ua-1")
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="sfo-review-{slug}.pdf"'
    return response
