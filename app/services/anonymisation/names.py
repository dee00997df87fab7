"""Names: the whole name, its parts, its initials and near misspellings of its parts.

A part is a word of the name of at least 2 letters (titles such as "Mr" left out). Parts of 3
letters or more match in any case; 2-letter parts ("Ng", "Li", "Do") match only when written with a
capital, because in lower case they are everyday words ("do", "li"). A word in lower case matches a
part only if the part has 4 letters or more, so the modal verb "may" does not stop a report about
someone called May (the month "May" still does: the team can mark it reviewed). Words split by
spaces or punctuation ("S m i t h", "Black-wood") are joined again; plurals and possessives
("the Smiths", "Smith's") match. Near misspellings are found with rapidfuzz (see ``FUZZY_THRESHOLD``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from rapidfuzz.distance import OSA

from .matches import Match
from .text import Paragraph, Word, fold

TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "master", "sir", "dame", "prof", "rev"})
MIN_PART = 2
MIN_LOWER_CASE_PART = 4
# Near misspellings: a capitalised word of 5 letters or more whose optimal-string-alignment
# similarity (1 - edits / longer length) to a name part of 5 letters or more is at least this.
# 0.8 allows one slip (letter wrong, missing, extra or two swapped) in 5-9 letters and two from 10;
# see the README's "Anonymisation gate" section for how it was measured.
FUZZY_THRESHOLD = 0.8
FUZZY_MIN_LENGTH = 5
_DISGUISED = re.compile(
    r"[A-Za-z0-9@$]*[A-Za-z][A-Za-z0-9@$]*[0-9@$][A-Za-z0-9@$]*|[A-Za-z0-9@$]*[0-9@$][A-Za-z0-9@$]*[A-Za-z][A-Za-z0-9@$]*"
)
_LEET = str.maketrans("0134578@$", "oieastbas")
MAX_JOIN_GAP = 3  # characters between pieces of a split-up word ("S m i t h", "Black - wood")


def name_parts(name: str) -> list[str]:
    """The parts of a name, folded to lower-case ASCII: "Zoë O'Brien-Hale" is zoe, obrien, hale."""
    words = re.split(r"[\s,.\-_/]+", fold(name).lower().replace("'", ""))
    parts = [re.sub(r"[^a-z]", "", word) for word in words]
    return [part for part in parts if len(part) >= MIN_PART and part not in TITLES]


def compound_parts(name: str) -> list[str]:
    """Hyphenated parts run together: "Smith-Jones" written "SmithJones"."""
    words = fold(name).lower().replace("'", "").split()
    return [re.sub(r"[^a-z]", "", word) for word in words if re.search(r"[a-z][\-_][a-z]", word)]


@dataclass(frozen=True)
class NameMatcher:
    """Matches one person's name in a paragraph; ``whose`` is e.g. "the person on probation"."""

    name: str
    whose: str
    code: str  # e.g. "person", "victim", "staff"
    full_reviewable: bool = False
    parts: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parts", tuple(dict.fromkeys(name_parts(self.name))))

    @cached_property
    def _part_set(self) -> frozenset[str]:
        return frozenset({*self.parts, *compound_parts(self.name)})

    @cached_property
    def _fuzzy_parts(self) -> tuple[str, ...]:
        return tuple(part for part in self._part_set if len(part) >= FUZZY_MIN_LENGTH)

    def matches(self, paragraph: Paragraph) -> Iterator[Match]:
        if not self.parts:
            return
        words = paragraph.words
        covered: set[int] = set()
        for start, end in self._full_names(words, paragraph):
            covered.update(range(start, end))
            yield self._match(f"the name of {self.whose}", "full", paragraph, start, end, self.full_reviewable)
        for start, end, how in self._parts(words, paragraph):
            if not covered.intersection(range(start, end)):
                covered.update(range(start, end))
                yield self._match(how, "part", paragraph, start, end, True)
        for start, end in self._initials(words, paragraph):
            yield self._match(f"initials that match the name of {self.whose}", "initials", paragraph, start, end, True)
        for index in self._misspellings(words, paragraph, covered):
            yield self._match(
                f"a word that looks like a misspelling of part of the name of {self.whose}",
                "fuzzy",
                paragraph,
                index,
                index + 1,
                True,
            )
        for start, end in self._disguised(paragraph):
            yield self._span_match(
                f"a word that spells part of the name of {self.whose} with digits or symbols for letters",
                "disguised",
                paragraph,
                start,
                end,
            )

    def _match(self, what: str, kind: str, paragraph: Paragraph, start: int, end: int, reviewable: bool) -> Match:
        words = paragraph.words
        return self._span_match(what, kind, paragraph, words[start].start, words[end - 1].end, reviewable)

    def _span_match(
        self, what: str, kind: str, paragraph: Paragraph, start: int, end: int, reviewable: bool = True
    ) -> Match:
        span = paragraph.text[start:end]
        return Match(what, f"{self.code}.{kind}", " ".join(self.parts), start, span, reviewable)

    def _disguised(self, paragraph: Paragraph) -> Iterator[tuple[int, int]]:
        """Words with digits or symbols standing for letters ("Bl4ckw00d", "Sm1th", "J@ckson")."""
        for found in _DISGUISED.finditer(paragraph.text):
            text = found.group()
            if text.isalpha() or text.isdigit() or not any(c.isalpha() for c in text):
                continue
            word = _singular(text.lower().translate(_LEET))
            if word in self._part_set or any(
                len(word) >= FUZZY_MIN_LENGTH and _similar(word, part) for part in self._fuzzy_parts
            ):
                yield found.start(), found.end()

    # --- the whole name, in order or surname first --------------------------------------------

    def _full_names(self, words: tuple[Word, ...], paragraph: Paragraph) -> Iterator[tuple[int, int]]:
        if len(self.parts) < 2:
            return
        orders = {tuple(self.parts), (self.parts[-1], *self.parts[:-1])}
        size = len(self.parts)
        for index in range(len(words) - size + 1):
            window = [_singular(words[index + k].lower) for k in range(size)]
            joined_ok = all(_close(paragraph, index + k) for k in range(1, size))
            if joined_ok and any(all(window[k] in _forms(order[k]) for k in range(size)) for order in orders):
                yield index, index + size

    # --- parts, also written split up -----------------------------------------------------------

    def _parts(self, words: tuple[Word, ...], paragraph: Paragraph) -> Iterator[tuple[int, int, str]]:
        single = f"a word that matches part of the name of {self.whose}"
        split = f"letters that spell part of the name of {self.whose} with spaces or marks between them"
        for index, word in enumerate(words):
            if self._is_part(word, word.lower):
                yield index, index + 1, single
        for start, end, text in _joined_runs(words, paragraph):
            if _singular(text) in self._part_set or text in self._part_set:
                yield start, end, split

    def _is_part(self, word: Word, text: str) -> bool:
        if not word.is_letters:
            return False
        part = text if text in self._part_set else _singular(text)
        if part not in self._part_set:
            return False
        if word.text.islower():
            return len(part) >= MIN_LOWER_CASE_PART
        return len(part) >= 3 or word.is_capitalised

    # --- initials: "J.B.", "J B", "JB", "Mr B" ---------------------------------------------------

    def _initials(self, words: tuple[Word, ...], paragraph: Paragraph) -> Iterator[tuple[int, int]]:
        letters = "".join(part[0] for part in self.parts).upper()
        surname = self.parts[-1][0].upper()
        for index, word in enumerate(words):
            if not paragraph.stands_alone(index, index + 1):
                continue
            if len(letters) >= 2 and word.text == letters:
                yield index, index + 1
            elif word.lower in TITLES and self._surname_initial_at(paragraph, index + 1, surname):
                yield index, index + 2
        size = len(letters)
        for index in range(len(words) - size + 1) if size >= 2 else ():
            run = words[index : index + size]
            spelt = all(len(w.text) == 1 for w in run) and "".join(w.text for w in run) == letters
            gaps = spelt and all(_initial_gap(paragraph, k) for k in range(index + 1, index + size))
            if gaps and paragraph.stands_alone(index, index + size):
                yield index, index + size

    @staticmethod
    def _surname_initial_at(paragraph: Paragraph, index: int, surname: str) -> bool:
        """Whether word ``index`` is the surname's initial after a title: "Mr B", "Ms. B."."""
        words = paragraph.words
        return (
            index < len(words)
            and words[index].text == surname
            and _initial_gap(paragraph, index)
            and paragraph.stands_alone(index, index + 1)
        )

    # --- misspellings ------------------------------------------------------------------------------

    def _misspellings(self, words: tuple[Word, ...], paragraph: Paragraph, covered: set[int]) -> Iterator[int]:
        if not self._fuzzy_parts:
            return
        for index, word in enumerate(words):
            if index in covered or len(word.text) < FUZZY_MIN_LENGTH or not word.is_capitalised:
                continue
            if not word.is_letters or _singular(word.lower) in self._part_set:
                continue
            if any(_similar(word.lower, part) for part in self._fuzzy_parts):
                yield index


def _similar(word: str, part: str) -> bool:
    if abs(len(word) - len(part)) > 2 or word[0] != part[0] and word[-1] != part[-1]:
        return False  # a cheap filter first: most words are far from every part
    return OSA.normalized_similarity(word, part, score_cutoff=FUZZY_THRESHOLD) >= FUZZY_THRESHOLD


def _singular(word: str) -> str:
    """A plural or possessive reduced to its stem: "smiths" is smith, "joneses" is jones."""
    for ending in ("es", "s"):
        if word.endswith(ending) and len(word) - len(ending) >= MIN_PART:
            return word[: -len(ending)]
    return word


def _forms(part: str) -> set[str]:
    return {part, _singular(part)}


def _close(paragraph: Paragraph, index: int) -> bool:
    """Whether word ``index`` follows the one before it closely (a space, a hyphen, an apostrophe)."""
    gap = paragraph.gap(index)
    return len(gap) <= MAX_JOIN_GAP and "\n" not in gap and not any(c in gap for c in ".!?;:")


def _initial_gap(paragraph: Paragraph, index: int) -> bool:
    """Whether word ``index`` follows an initial as the next initial would: "J.B.", "J. B", "J B"."""
    return re.fullmatch(r"\.? ?", paragraph.gap(index)) is not None


def _joined_runs(words: tuple[Word, ...], paragraph: Paragraph) -> Iterator[tuple[int, int, str]]:
    """Words that split up would make: runs of 2 to 12 close letter-only pieces, joined."""
    for start in range(len(words)):
        text = words[start].lower
        if not words[start].is_letters:
            continue
        for end in range(start + 1, min(start + 12, len(words))):
            gap = paragraph.gap(end)
            if not words[end].is_letters or len(gap) > MAX_JOIN_GAP or "\n" in gap:
                break
            text += words[end].lower
            yield start, end + 1, text
