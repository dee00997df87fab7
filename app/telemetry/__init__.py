"""Operating the service: JSON logs with request ids, Prometheus metrics, the worker's passes."""

from __future__ import annotations

from flask import Flask


def register_telemetry(app: Flask) -> None:
    from .logs import register_request_ids
    from .metrics import register_request_metrics

    register_request_ids(app)
    register_request_metrics(app)
