"""Engine tests make engines on clocks of their own; SpiffWorkflow's timers read one clock per process, and
an ``Engine`` made here would otherwise leave its clock in place for the service tests that run later."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.engine import runtime


@pytest.fixture(autouse=True)
def _service_clock_kept() -> Iterator[None]:
    had = hasattr(runtime, "_clock")
    before = getattr(runtime, "_clock", None)
    yield
    if had:
        runtime._clock = before
