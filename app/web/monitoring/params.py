"""Reading the case-list filters from the query string (GET form: works without JavaScript)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from werkzeug.datastructures import MultiDict

from ...services.monitoring.case_list import SORTS, STATUSES, CaseFilters
from ...services.progress import STAGES
from ..params import int_arg, is_plain_number, page_arg

PER_PAGE = 50
DATE_PARTS = ("day", "month", "year")


def read_date(args: MultiDict[str, str], name: str) -> tuple[dt.date | None, str | None]:
    """A GOV.UK date input (name-day, name-month, name-year) -> (date, error message)."""
    parts = [(args.get(f"{name}-{part}") or "").strip() for part in DATE_PARTS]
    if not any(parts):
        return None, None
    if not all(is_plain_number(p) for p in parts):
        return None, "Enter a real date, for example 27 3 2027"
    day, month, year = (int(p) for p in parts)
    try:
        return dt.date(year, month, day), None
    except ValueError:
        return None, "Enter a real date, for example 27 3 2027"


def read_filters(args: MultiDict[str, str]) -> tuple[CaseFilters, dict[str, str]]:
    errors: dict[str, str] = {}
    notified_from, problem = read_date(args, "notified_from")
    if problem:
        errors["notified_from"] = f"Notified from: {problem}"
    notified_to, problem = read_date(args, "notified_to")
    if problem:
        errors["notified_to"] = f"Notified to: {problem}"
    if notified_from and notified_to and notified_to < notified_from:
        errors["notified_to"] = "Notified to must be the same as or after notified from"
    filters = CaseFilters(
        stage=_choice(args.get("stage"), STAGES),
        status=_choice(args.get("status"), STATUSES),
        overdue=args.get("overdue") == "yes",
        reviewer=(args.get("reviewer") or "").strip() or None,
        provider=(args.get("provider") or "").strip() or None,
        version=int_arg(args, "version"),
        notified_from=notified_from if not errors else None,
        notified_to=notified_to if not errors else None,
        reference=(args.get("reference") or "").strip()[:120] or None,
        sort=_choice(args.get("sort"), SORTS) or "updated",
        descending=args.get("order", "desc") != "asc",
        page=page_arg(args),
        per_page=PER_PAGE,
    )
    return filters, errors


def _choice(value: str | None, allowed: tuple[str, ...]) -> str | None:
    return value if value in allowed else None


def query_of(filters: CaseFilters, **changes: Any) -> dict[str, Any]:
    """The query-string parameters that reproduce ``filters`` (with changes), for links."""
    values: dict[str, Any] = {
        "stage": filters.stage,
        "status": filters.status,
        "overdue": "yes" if filters.overdue else None,
        "reviewer": filters.reviewer,
        "provider": filters.provider,
        "version": filters.version,
        "reference": filters.reference,
        "sort": filters.sort,
        "order": "desc" if filters.descending else "asc",
        "page": filters.page if filters.page > 1 else None,
    }
    for name in ("notified_from", "notified_to"):
        day = getattr(filters, name)
        if day:
            values.update({f"{name}-day": day.day, f"{name}-month": day.month, f"{name}-year": day.year})
    values.update(changes)
    return {k: v for k, v in values.items() if v not in (None, "")}
