"""Whole numbers from the query string or a form, checked before they reach a query or a converter:
a number too large for an id column, or text that only looks like digits (``²``), is the caller's
mistake (400 with a message), never a database error."""

from __future__ import annotations

from collections.abc import Mapping

from werkzeug.exceptions import BadRequest

from ..api.schemas import MAX_ROW_ID


def is_plain_number(text: str) -> bool:
    """ASCII digits only, short enough to be an id (``str.isdigit`` also accepts ``²`` and ``٣``)."""
    return text.isascii() and text.isdigit() and len(text) <= len(str(MAX_ROW_ID))


def int_arg(
    args: Mapping[str, str], name: str, default: int | None = None, *, low: int = 1, high: int = MAX_ROW_ID
) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not is_plain_number(raw) or not low <= int(raw) <= high:
        raise BadRequest(f"“{name}” must be a whole number from {low} to {high}.")
    return int(raw)


def page_arg(args: Mapping[str, str]) -> int:
    return int_arg(args, "page", 1) or 1
