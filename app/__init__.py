"""SFO review workflow service: the application factory."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from .config import load_config
from .engine.budget import limit_process_memory
from .extensions import db


def create_app(overrides: dict[str, Any] | None = None, clock: Any = None) -> Flask:
    """Build the app. gunicorn serves ``create_app()``; the worker and CLI start from it too."""
    app = Flask(__name__)
    app.config.update(load_config(overrides))
    limit_process_memory(app.config["SFO_PROCESS_MEMORY_MB"])
    register_logging(app)
    register_extensions(app, clock)
    register_blueprints(app)
    register_errors(app)
    register_security(app)
    register_telemetry(app)
    return app


def register_logging(app: Flask) -> None:
    from .telemetry.logs import configure_logging

    configure_logging(app.config["SFO_LOG_FORMAT"])  # JSON lines with the request id (README)
    # SpiffWorkflow logs every task state change at INFO: a dozen lines per completed task.
    logging.getLogger("spiff").setLevel(logging.WARNING)


def register_extensions(app: Flask, clock: Any) -> None:
    from .read_only_requests import end_reads_with_commit
    from .services.monitoring.sql import register_sqlite_functions
    from .services.runtime import init_runtime

    db.init_app(app)  # Flask-Migrate is attached by what migrates (extensions.attach_migrations)
    register_sqlite_functions(app)
    end_reads_with_commit(app)
    init_runtime(app, clock)


def register_blueprints(app: Flask) -> None:
    from .api import register_api
    from .status.views import status
    from .web import register_web

    app.register_blueprint(status)
    register_api(app)
    register_web(app)


def register_security(app: Flask) -> None:
    from .security import register_security as attach

    attach(app)


def register_telemetry(app: Flask) -> None:
    from .telemetry import register_telemetry as attach

    attach(app)


def register_errors(app: Flask) -> None:
    from .status.errors import register_error_handlers

    register_error_handlers(app)
