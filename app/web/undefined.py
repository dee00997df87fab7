"""Strict undefined for our pages: a variable a template of ours names but no view passed fails the page
(and so the test that renders it). Users still get the clean error page (the app-wide error handlers).

StrictUndefined alone cannot serve: the GOV.UK templates (govuk-frontend-jinja, ports of Nunjucks
macros) read ``params.foo`` for every optional parameter, read variables they set only on some paths,
and the page template reads optional variables (``bodyClasses``...) that a service need not set.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import govuk_frontend_jinja
from jinja2 import ChainableUndefined, StrictUndefined
from jinja2.utils import missing

GOVUK_TEMPLATES = str(Path(govuk_frontend_jinja.__file__).parent)


class PageUndefined(StrictUndefined):
    """Strict for a name no one defined and for an attribute an object lacks. Lenient, as in Nunjucks,
    for a key a dict leaves out (and anything read from it), for what Jinja reports undefined with a
    reason (a macro's argument not given, an inline ``if`` without ``else``) and for any name a GOV.UK
    template reads."""

    def __new__(cls, hint: str | None = None, obj: Any = missing, name: str | None = None, exc: Any = None) -> Any:
        if isinstance(obj, Mapping) or hint is not None or _asked_by_govuk_template():
            return ChainableUndefined(hint, obj, name)
        return super().__new__(cls)


def _asked_by_govuk_template() -> bool:
    """Whether the template code that looked the name up is a GOV.UK one: Jinja compiles a template's code
    under its file's name, and that code creates the undefined value itself."""
    return sys._getframe(2).f_code.co_filename.startswith(GOVUK_TEMPLATES)
