"""Monitoring for managers (/monitoring): the dashboard, every case with filters, a case with its
diagram and the actions that put a case right. Managers and admins only; everyone else gets 403."""

from __future__ import annotations

from flask import Blueprint

monitoring = Blueprint("monitoring", __name__, url_prefix="/monitoring")


from . import actions, cases, dashboard, notifications  # noqa: E402,F401  (routes register on import)
