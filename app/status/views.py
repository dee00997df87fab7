"""Health endpoints for load balancers and orchestrators; no authentication."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from ..extensions import db

status = Blueprint("status", __name__)
status.public = True  # type: ignore[attr-defined]


@status.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    return jsonify(status="ok")


@status.get("/readyz")
def readyz():  # type: ignore[no-untyped-def]
    from ..migrations_state import migrations_current

    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        current_app.logger.warning("readiness check: database unreachable")
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    if not migrations_current():
        return jsonify(status="unavailable", database="reachable", migrations="pending"), 503
    return jsonify(status="ok", database="reachable", migrations="current")
