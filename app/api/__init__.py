"""The JSON API (version 1): thin views over the services, marshmallow at the boundary."""

from __future__ import annotations

from flask import Blueprint, Flask

from . import definitions, instances, messages, tasks
from .auth import require_token
from .openapi import API_PREFIX, docs

RESOURCES = (definitions.bp, instances.bp, messages.bp, tasks.bp)


def register_api(app: Flask) -> None:
    """Mount the API: every resource behind a bearer token; only the OpenAPI document is public."""
    api = Blueprint("api", __name__, url_prefix=API_PREFIX)
    api.before_request(require_token)
    for resource in RESOURCES:
        api.register_blueprint(resource)
    app.register_blueprint(api)
    app.register_blueprint(docs, url_prefix=API_PREFIX)
