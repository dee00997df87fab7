"""The page checks themselves fail on the problems they are there to catch."""

from __future__ import annotations

import pytest

from .accessibility import Journey, check_page

GOOD = """<!DOCTYPE html><html lang="en"><head><title>{title}</title></head>
<body><main><h1>{h1}</h1><label for="name">Name</label><input id="name" name="name"></main></body></html>"""


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def blank_page(request, chromium):  # type: ignore[no-untyped-def]
    context = chromium.new_context(java_script_enabled=request.param)
    page = context.new_page()
    yield page, request.param
    context.close()


def _check(blank_page, html: str, journey: Journey | None = None) -> None:  # type: ignore[no-untyped-def]
    page, javascript = blank_page
    page.set_content(html)
    check_page(page, journey or Journey(), scripts_enabled=javascript)


def test_a_good_page_passes(blank_page):
    _check(blank_page, GOOD.format(title="Name", h1="Name"))


@pytest.mark.parametrize(
    ("html", "problem"),
    [
        (GOOD.format(title="Name", h1="Name").replace("<h1>Name</h1>", ""), "0 h1 elements"),
        (GOOD.format(title="Name", h1="Name").replace("</main>", "<h1>Again</h1></main>"), "2 h1 elements"),
        (GOOD.format(title="Name", h1="Name").replace('<label for="name">Name</label>', ""), "without a label"),
        (GOOD.format(title="Name", h1="Name").replace("</main>", '<img src="x.png"></main>'), "image-alt"),
        (GOOD.format(title="Name", h1="Name").replace("</main>", '<a href="/x"></a></main>'), "link-name"),
        (GOOD.format(title="", h1="Name"), "no <title>"),
    ],
    ids=["no-h1", "two-h1s", "unlabelled-field", "image-without-alt", "empty-link", "no-title"],
)
def test_a_page_with_a_problem_fails(blank_page, html, problem):
    with pytest.raises(AssertionError, match=problem):
        _check(blank_page, html)


def test_one_title_for_two_different_pages_fails(blank_page):
    journey = Journey()
    _check(blank_page, GOOD.format(title="Tasks", h1="Tasks"), journey)
    _check(blank_page, GOOD.format(title="Tasks", h1="Tasks"), journey)  # the same page again is fine
    with pytest.raises(AssertionError, match="used for two different pages"):
        _check(blank_page, GOOD.format(title="Tasks", h1="Cases"), journey)
