"""Template filters: dates as people read them (GOV.UK style), and status tags."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask

from ..form_model.dates import govuk_date
from ..form_model.errors import error_items, summary_item
from ..form_model.fields import humanise
from ..services.attachments import size_text
from ..working_days import LONDON


def govuk_datetime(value: dt.datetime | None) -> str:
    """'3 March 2027 at 9:05am' in London time."""
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    hour = local.hour % 12 or 12
    return f"{govuk_date(local)} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def error_link(item: tuple[str, str]) -> dict[str, str]:
    """(field id, message) -> an entry of the GOV.UK error summary linking to the field."""
    return summary_item(*item)


# Who a lane's tasks are for, as a sentence says it: "This task is for the SFO team."
TEAMS = {
    "provider": "the provider",
    "sfo-team": "the SFO team",
    "reviewer": "the reviewers",
    "quality-assurer": "the quality assurance team",
    "publication": "the publication team",
    "manager": "the managers",
}


def team(lane: Any) -> str:
    return TEAMS.get(str(lane or ""), f"the {humanise(lane).lower()} team" if lane else "the SFO team")


def court_outcome(code: Any) -> str:
    """'convicted_sfo' -> 'Convicted of a serious further offence' (the outcome's title up to its colon)."""
    from ..services.messages import COURT_OUTCOMES

    title = COURT_OUTCOMES.get(str(code or ""))
    return title.split(":", 1)[0] if title else humanise(code)


def capitalize_first(value: Any) -> str:
    """'the SFO team' -> 'The SFO team' (Jinja's capitalize would lower the rest)."""
    text = str(value or "")
    return text[:1].upper() + text[1:]


def page_numbers(current: int, pages: int) -> list[int | None]:
    """The page links a long list shows, as the GOV.UK pagination component advises: the first and last
    pages, the current one and one either side, with ``None`` (an ellipsis) for each gap of more than one
    page. A list of 1,000 pages gets at most seven links, not 1,000."""
    shown = sorted({1, pages, *range(max(1, current - 1), min(pages, current + 1) + 1)})
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - (numbers[-1] or 0) == 2:
            numbers.append(number - 1)  # a gap of one page shows that page, not an ellipsis
        elif numbers and number - (numbers[-1] or 0) > 2:
            numbers.append(None)
        numbers.append(number)
    return numbers


def register_filters(app: Flask) -> None:
    app.add_template_global(page_numbers, "page_numbers")
    app.add_template_filter(capitalize_first, "capitalize_first")
    app.add_template_filter(team, "team")
    app.add_template_filter(court_outcome, "court_outcome")
    app.add_template_filter(error_link, "error_link")
    app.add_template_filter(error_items, "error_items")
    app.add_template_filter(govuk_date, "govuk_date")
    app.add_template_filter(govuk_datetime, "govuk_datetime")
    app.add_template_filter(humanise, "humanise")
    app.add_template_filter(size_text, "file_size")
