"""Health endpoints for load balancers and orchestrators (no authentication), and ``/metrics`` for
Prometheus (its own bearer token; absent unless SFO_METRICS_TOKEN is set)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text

from ..extensions import db

status = Blueprint("status", __name__)
status.public = True  # type: ignore[attr-defined]


@status.get("/healthz")
def healthz():
    return jsonify(status="ok")


@status.get("/readyz")
def readyz():
    from ..migrations_state import migrations_current

    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        current_app.logger.warning("readiness check: database unreachable")
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    if not migrations_current():
        return jsonify(status="unavailable", database="reachable", migrations="pending"), 503
    worker = _worker_readiness()
    body = {"status": "ok", "database": "reachable", "migrations": "current", **worker}
    if worker.get("worker") == "late":
        return jsonify({**body, "status": "unavailable"}), 503
    return jsonify(body)


def _worker_readiness() -> dict[str, object]:
    """Whether a worker completed a pass within SFO_READY_WORKER_SECONDS (0: not checked)."""
    from ..services.operations import latest_worker_pass
    from ..services.runtime import now

    limit = float(current_app.config["SFO_READY_WORKER_SECONDS"])
    last = latest_worker_pass()
    found: dict[str, object] = {"worker_last_pass": last.isoformat() if last else None}
    if limit <= 0:
        return found
    late = last is None or (now() - last).total_seconds() > limit
    return {**found, "worker": "late" if late else "ok"}


@status.get("/metrics")
def metrics() -> Response:
    from ..telemetry.metrics import check_metrics_token, metrics_page

    check_metrics_token()
    body, content_type = metrics_page()
    return Response(body, content_type=content_type)
