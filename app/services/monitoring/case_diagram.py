"""One case drawn on its process diagram: where it has been, where it is, and where it failed."""

from __future__ import annotations

from typing import Any

from ...engine.inspection import ElementStates, element_states, failing_element_data
from ...models import ProcessInstance
from ..progress import load


def diagram_states(row: ProcessInstance) -> ElementStates | None:
    """Completed, active and failing elements of the case and the path it took (None without a state)."""
    if not row.state:
        return None
    return element_states(load(row))


def failing_data(row: ProcessInstance) -> dict[str, Any]:
    """The data the failing element of a case in error ran with."""
    return failing_element_data(load(row)) if row.status == "error" and row.state else {}
