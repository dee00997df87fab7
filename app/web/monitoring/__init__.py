"""Monitoring for managers (/monitoring): the dashboard, every case with filters, a case with its
diagram and the actions that put a case right. Managers and admins only; everyone else gets 403."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from ...services.errors import Forbidden
from ...services.monitoring import require_manager

monitoring = Blueprint("monitoring", __name__, url_prefix="/monitoring")


@monitoring.before_request
def require_manager_role() -> None:
    # Signing in is checked by ``protect`` (registered after this); only signed-in people reach the role check.
    if current_user.is_authenticated:
        try:
            require_manager(current_user.user)
        except Forbidden:
            raise Forbidden("Only managers can see monitoring.") from None


from . import actions, cases, dashboard, notifications  # noqa: E402,F401  (routes register on import)
