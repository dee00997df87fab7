"""What a matcher reports: one occurrence of an identifier in a paragraph."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from .text import Paragraph


@dataclass(frozen=True)
class Match:
    what: str  # e.g. "a word that matches part of the name of the person on probation"
    kind: str  # a stable code, e.g. "person.part": part of what a reviewed match is tied to
    identity: str  # the folded identifier it matched (never shown)
    start: int  # where in the folded paragraph
    span: str  # the folded text that matched (never shown)
    reviewable: bool  # whether the publication team may keep it after review


class Matcher(Protocol):
    def matches(self, paragraph: Paragraph) -> Iterator[Match]: ...
