"""What managers watch: the filtered case list and its CSV, the dashboard's figures and one case's
diagram, all read from the projection tables (process_instance, task, deadline_extension), never from
instance state blobs."""

from __future__ import annotations

from ...models import User
from ..access import MANAGING_ROLES, require_role


def require_manager(user: User) -> None:
    require_role(user, MANAGING_ROLES, "monitor cases")
