"""The JSON API (version 1): thin views over the services, marshmallow at the boundary."""

from __future__ import annotations

from flask import Blueprint, Flask
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, Map, ValidationError

from . import definitions, dry_runs, groups, instances, messages, recommendations, tasks
from .auth import require_token
from .openapi import API_PREFIX, docs
from .schemas import MAX_ROW_ID

RESOURCES = (
    definitions.bp,
    dry_runs.bp,
    groups.bp,
    instances.bp,
    messages.bp,
    messages.cases,
    recommendations.bp,
    recommendations.inspection,
    tasks.bp,
)


class RowIdConverter(IntegerConverter):
    """``<id:...>``: a positive integer that fits an id column; a larger one matches no route (404)."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_ROW_ID)

    def to_python(self, value: str) -> int:
        # Not a ValidationError: on a path with a GET and a POST route, Werkzeug would then answer 405
        # (the other method's route matched the path), though no route has such a case.
        try:
            return int(super().to_python(value))
        except ValidationError:
            raise NotFound() from None


def register_api(app: Flask) -> None:
    """Mount the API: every resource behind a bearer token; only the OpenAPI document is public."""
    app.url_map.converters["id"] = RowIdConverter
    api = Blueprint("api", __name__, url_prefix=API_PREFIX)
    api.before_request(require_token)
    for resource in RESOURCES:
        api.register_blueprint(resource)
    app.register_blueprint(api)
    app.register_blueprint(docs, url_prefix=API_PREFIX)
