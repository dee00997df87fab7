"""GOV.UK Frontend components, called from Python through the govuk-frontend-jinja macros.

The macros are written for Nunjucks-style lenient undefined values (they test ``params.hint`` and
the like on parameters left out), so they run in their own environment rather than the app's,
which is strict. Output is autoescaped ``Markup``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, PrefixLoader
from markupsafe import Markup

_environment = Environment(
    loader=PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def component(name: str, params: dict[str, Any]) -> Markup:
    """Render a component ('date-input' -> govukDateInput) with the given parameters."""
    result: Markup = _macro(name)(_without_none(params))
    return result


@cache
def _macro(name: str) -> Any:
    template = _environment.get_template(f"govuk_frontend_jinja/components/{name}/macro.html")
    return getattr(template.module, "govuk" + "".join(part.capitalize() for part in name.split("-")))


def _without_none(params: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in params.items() if value is not None}
