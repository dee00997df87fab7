"""Error pages in the service's design (the JSON error body is for /api and status paths)."""

from __future__ import annotations

from collections.abc import Callable

from flask import render_template, request

TITLES = {
    400: "Sorry, there is a problem with your request",
    403: "You do not have access to this page",
    404: "Page not found",
    405: "Sorry, there is a problem with your request",
    409: "This has changed since you opened it",
    413: "The file or form is too large",
    429: "Too many attempts",
    500: "Sorry, there is a problem with the service",
    503: "Sorry, the service is unavailable",
}


def render_error_page(status: int, message: str) -> tuple[str, int]:
    title = TITLES.get(status, "Sorry, there is a problem")
    if status == 500:
        message = "Try again later. If it keeps happening, tell the service team."
    if status == 503:
        message = "The service cannot reach its records just now. Wait a few seconds and try again."
    if status == 404:
        message = (
            "If you typed the web address, check it is correct. If you followed a link, "
            "the case or task may not exist or you may not have access to it."
        )
    return render_template("errors/error.html", title=title, message=message, status=status), status


TooLargePage = Callable[[], tuple[str, int]]
TOO_LARGE_PAGES: dict[str, TooLargePage] = {}


def too_large_page(name: str) -> Callable[[TooLargePage], TooLargePage]:
    """Answer a request too large for endpoint ``name`` (or for any endpoint of blueprint ``name``) with
    this page instead of the error page, so an upload form can say what its limit is."""

    def register(page: TooLargePage) -> TooLargePage:
        TOO_LARGE_PAGES[name] = page
        return page

    return register


def render_too_large(message: str) -> tuple[str, int]:
    page = TOO_LARGE_PAGES.get(request.endpoint or "") or TOO_LARGE_PAGES.get(request.blueprint or "")
    return page() if page is not None else render_error_page(413, message)
