"""Recurring timers that do not fire in bursts.

SpiffWorkflow moves a recurring timer on by one period each time it fires, so a timer that fell behind
(the worker stopped for a month, say) fired once for every missed period, all in one step. A missed
period is skipped instead: the timer fires once, then waits for its next time after now.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions import timer as timer_module
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition


class CycleWithoutCatchUp(CycleTimerEventDefinition):
    def cycle_complete(self, my_task: Any) -> bool:
        fired = bool(super().cycle_complete(my_task))
        value = my_task._get_internal_data("event_value")
        if fired and value and value.get("cycles") != 0 and value.get("duration", 0) > 0:
            now = timer_module.datetime.now(dt.UTC)  # the engine's clock (see runtime._ClockedDatetime)
            upcoming = dt.datetime.fromisoformat(value["next"])
            if upcoming < now:
                missed = math.floor((now - upcoming).total_seconds() / value["duration"]) + 1
                value["next"] = (upcoming + dt.timedelta(seconds=missed * value["duration"])).isoformat()
        return fired


def without_catch_up(definition: Any) -> None:
    """Make a parsed recurring timer skip missed periods (other timers are left as they are)."""
    if type(definition) is CycleTimerEventDefinition:
        definition.__class__ = CycleWithoutCatchUp
