"""Dry run: drive a process model headless through every path it can reach, before it is deployed.

No database and no Flask: an engine instance on its own frozen clock. At each wait state the run
branches over what can happen next:

- the newest ready user task is completed with answers generated from its form, once for each
  combination of the choices that steer the flow (enum, boolean and date fields that a gateway
  condition downstream reads);
- each waiting message is delivered, with a payload holding the fields the scripts read from it,
  once for each value that the conditions downstream compare them with;
- the earliest waiting timer fires (the clock moves to it).

Branches are explored from snapshots (``Engine.dump``/``Engine.load``). The exploration is bounded:
states are hashed on what can still matter (the active elements and the values that conditions
downstream of them read), so converging branches are explored once; depth, paths and states are capped.
Every path ends in an end event, an error, a dead end (nothing can happen any more), a loop with no way
out, or a merge into a state explored already. Errors, dead ends and loops block deployment.

The package: ``exploration`` runs it (the frozen clock, the depth-first walk over snapshots), ``moves``
decides what can happen at each wait state, ``flow`` holds the static facts about the model that steer
it, ``report`` what it found, and ``timer_checks`` evaluates every timer expression with sample data.
"""

from .exploration import DRY_RUN_START, dry_run
from .moves import Progress
from .report import DryRunReport, Limits, PathResult, Step
from .timer_checks import timer_problems

__all__ = ["DRY_RUN_START", "DryRunReport", "Limits", "PathResult", "Progress", "Step", "dry_run", "timer_problems"]
