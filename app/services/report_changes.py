"""What quality assurance decides on: the draft report as submitted, and what changed in it since the
version quality assurance last decided on, word by word, part by part."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from ..models import ProcessInstance
from .reports import JUDGEMENTS, SECTIONS, Version, draft_versions

_WORDS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Piece:
    text: str
    change: str = ""  # "" unchanged, "added" or "removed"


@dataclass(frozen=True)
class Part:
    """One part of the report (a section, the judgement, a recommendation) with its changes marked."""

    heading: str
    pieces: tuple[Piece, ...]

    @property
    def changed(self) -> bool:
        return any(piece.change for piece in self.pieces)

    @property
    def empty(self) -> bool:
        return not any(piece.text.strip() for piece in self.pieces)


@dataclass(frozen=True)
class DraftForDecision:
    version: Version
    compared_with: Version | None  # the last version quality assurance decided on
    parts: tuple[Part, ...]

    @property
    def changed_headings(self) -> list[str]:
        return [part.heading for part in self.parts if part.changed]


def word_changes(old: str, new: str) -> tuple[Piece, ...]:
    """``new`` in pieces, with the words added since ``old`` and the words removed from it marked. Changes
    separated only by spaces read as one change ("two years" -> "three months", not word by word)."""
    before, after = _WORDS.findall(old), _WORDS.findall(new)
    pieces: list[Piece] = []
    removed: list[str] = []
    added: list[str] = []

    def flush() -> None:
        pieces.extend(Piece("".join(text), change) for text, change in ((removed, "removed"), (added, "added")) if text)
        removed.clear()
        added.clear()

    opcodes = difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes()
    for index, (operation, b1, b2, a1, a2) in enumerate(opcodes):
        between_changes = 0 < index < len(opcodes) - 1 and not "".join(after[a1:a2]).strip()
        if operation == "equal" and not (between_changes and (removed or added)):
            flush()
            pieces.append(Piece("".join(after[a1:a2])))
            continue
        removed.extend(before[b1:b2])
        added.extend(after[a1:a2])
    flush()
    return tuple(piece for piece in pieces if piece.text)


def _texts(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Every part of a draft as (heading, text), in reading order."""
    parts = [("Were all reasonable steps taken?", JUDGEMENTS.get(str(data.get("overall_judgement")), ""))]
    parts += [(heading, str(data.get(name) or "")) for name, heading in SECTIONS]
    recommendations = data.get("recommendations") or []
    for number, item in enumerate(recommendations if isinstance(recommendations, list) else [], start=1):
        parts.append(
            (f"Recommendation {number}", str((item or {}).get("text") or "") if isinstance(item, dict) else "")
        )
    return parts


def compare_drafts(new: dict[str, Any], old: dict[str, Any] | None) -> tuple[Part, ...]:
    """Each part of ``new``; with ``old``, the words changed since it marked (a part only in ``old``
    shows as removed)."""
    now_parts = _texts(new)
    if old is None:
        return tuple(Part(heading, (Piece(text),) if text else ()) for heading, text in now_parts)
    before = dict(_texts(old))
    parts = [Part(heading, word_changes(before.pop(heading, ""), text)) for heading, text in now_parts]
    parts += [Part(heading, (Piece(text, "removed"),)) for heading, text in before.items() if text]
    return tuple(parts)


def draft_for_decision(instance: ProcessInstance) -> DraftForDecision | None:
    """The latest draft, compared with the last version quality assurance decided on (None before a
    draft was submitted)."""
    versions = draft_versions(instance)
    if not versions:
        return None
    latest = versions[-1]
    decided = [v for v in versions[:-1] if v.decision is not None]
    previous = decided[-1] if decided else None
    return DraftForDecision(latest, previous, compare_drafts(latest.data, previous.data if previous else None))
