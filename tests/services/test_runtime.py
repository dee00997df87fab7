"""The runtime's parsed models: one parse per deployed version, and no more of them kept than a bound."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from app.services import groups
from app.services import runtime as runtime_module
from app.services.runtime import MODELS_KEPT, Runtime, runtime


@dataclass
class Version:
    checksum: str
    key: str = "process"

    def files(self) -> dict[str, bytes]:
        return {}


def test_models_are_parsed_once_per_version_and_the_least_recently_used_are_let_go(app, monkeypatch):
    parsed: list[str] = []
    monkeypatch.setattr(groups, "known_groups", lambda: SimpleNamespace(titles={}, lane_names={}))

    def parse(files, titles, key, lane_names, strict_lanes):
        parsed.append(key)
        return object()

    monkeypatch.setattr(runtime_module, "parse_process_model", parse)
    cache = Runtime(runtime().clock, runtime().engine.budget)
    versions = [Version(f"v{number}", key=f"v{number}") for number in range(MODELS_KEPT + 1)]
    first = cache.model_for(versions[0])
    assert cache.model_for(versions[0]) is first
    for version in versions[1:-1]:
        cache.model_for(version)
    cache.model_for(versions[0])  # used again: the most recently used now
    cache.model_for(versions[-1])  # one more than the bound: the least recently used (v1) is let go
    assert len(parsed) == MODELS_KEPT + 1
    assert cache.model_for(versions[0]) is first
    cache.model_for(versions[1])
    assert parsed[-1] == "v1" and len(parsed) == MODELS_KEPT + 2
