"""What a dry run finds: the paths it followed, each with how it ended, and the bounds it explores within."""

from __future__ import annotations

from dataclasses import dataclass, field

BLOCKING = ("error", "dead-end", "loop")


@dataclass(frozen=True)
class Step:
    kind: str  # start, task, message, timer
    element_id: str
    label: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.label} ({self.detail})" if self.detail else self.label


@dataclass
class PathResult:
    steps: tuple[Step, ...]
    result: str  # end, error, dead-end, loop, merged, cut-off
    end_event: str | None = None
    message: str = ""
    element_id: str | None = None

    @property
    def blocking(self) -> bool:
        return self.result in BLOCKING

    def describe(self) -> str:
        if self.result == "end":
            return f"Reaches the end event '{self.end_event}'."
        return {
            "error": f"Fails at {self.element_id}: {self.message}",
            "dead-end": "Never ends: nothing is waiting for a person, a message or a timer.",
            "loop": "Never ends: it loops with no way out to an end event.",
            "merged": "Joins a path explored already.",
            "cut-off": "Not followed further: the maximum depth was reached.",
        }[self.result]


@dataclass
class DryRunReport:
    paths: list[PathResult] = field(default_factory=list)
    end_events: list[str] = field(default_factory=list)  # every named end event of the model
    states: int = 0
    seconds: float = 0.0
    truncated: bool = False

    @property
    def reached(self) -> list[str]:
        names = {p.end_event for p in self.paths if p.result == "end" and p.end_event}
        return sorted(names)

    @property
    def unreached(self) -> list[str]:
        return sorted(set(self.end_events) - set(self.reached))

    @property
    def blocking(self) -> list[PathResult]:
        return [p for p in self.paths if p.blocking]

    @property
    def ok(self) -> bool:
        return not self.blocking

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for path in self.paths:
            counts[path.result] = counts.get(path.result, 0) + 1
        return counts

    def example_paths(self) -> list[PathResult]:
        """One path per outcome (each end event, each problem): what a person reads first."""
        seen: set[tuple[str, str | None, str | None]] = set()
        examples = []
        for path in sorted(self.paths, key=lambda p: (not p.blocking, len(p.steps))):
            key = (path.result, path.end_event, path.element_id)
            if path.result not in ("merged", "cut-off") and key not in seen:
                seen.add(key)
                examples.append(path)
        return examples


@dataclass(frozen=True)
class Limits:
    max_depth: int = 200
    max_paths: int = 5000
    max_states: int = 3000
