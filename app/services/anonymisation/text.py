"""Text as the anonymisation check reads it: invisible characters found, every look-alike folded to
plain ASCII, and each paragraph cut into words with their positions and sentences.

Folding order matters: NFKC first (fullwidth and mathematical letters become plain ones), then the
format characters go (a zero-width space or soft hyphen inside a name would split it), then letters
of other scripts that look like Latin ones become those Latin letters (Unicode's confusables data,
through confusable-homoglyphs: Cyrillic "Ѕ" is "S", not the "Dz" a transliterator would make of it),
and last anyascii turns what is left into ASCII ("Zoë" is "Zoe", "’" is "'").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, cached_property

from anyascii import anyascii
from confusable_homoglyphs import categories, confusables

ALLOWED_CONTROLS = frozenset("\t\n\r")
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
# Default_Ignorable_Code_Point characters that are not in category Cf (Unicode's list, which the
# standard promises never to change for assigned characters), and the blank braille pattern, which
# renders as a space but is not one: each can hide inside a word without showing.
INVISIBLE_LETTERS = frozenset(
    {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x2800, 0x3164, 0xFFA0}
    | set(range(0x180B, 0x1810))
    | set(range(0xFE00, 0xFE10))
    | set(range(0xE0100, 0xE01F0))
)
_WORD = re.compile(r"[A-Za-z]+|[0-9]+")
_SENTENCE_END = re.compile(r"[.!?;:]\s|[.!?;:]$")


def is_invisible(char: str) -> bool:
    """A character that shows as nothing (or nothing readable) and so can hide text from readers."""
    if char in ALLOWED_CONTROLS:
        return False
    return unicodedata.category(char) in REFUSED_CATEGORIES or ord(char) in INVISIBLE_LETTERS


def invisible_characters(text: str) -> list[str]:
    """The distinct invisible or control characters in ``text``, as "U+200B ZERO WIDTH SPACE"."""
    found = dict.fromkeys(char for char in text if is_invisible(char))
    return [f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed character')}" for char in found]


@cache
def _latin_look_alike(char: str) -> str:
    """The Latin letter ``char`` looks like (Cyrillic "а" is "a"), or ``char`` itself."""
    if categories.alias(char) in ("LATIN", "COMMON"):
        return char
    found = confusables.is_confusable(char, preferred_aliases=["latin"], greedy=True) or []
    for entry in found:
        for glyph in entry.get("homoglyphs") or []:
            if glyph["c"].isascii() and glyph["c"].isalnum():
                return str(glyph["c"])
    return char


def fold(text: str) -> str:
    """``text`` as plain ASCII for matching: look-alikes, diacritics and invisible characters folded."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(char for char in text if not is_invisible(char) or char in ALLOWED_CONTROLS)
    if text.isascii():
        return text
    text = "".join(char if char.isascii() else _latin_look_alike(char) for char in text)
    return anyascii(text)


@dataclass(frozen=True)
class Word:
    text: str  # as written (after folding)
    start: int
    end: int

    @property
    def lower(self) -> str:
        return self.text.lower()

    @property
    def is_capitalised(self) -> bool:
        return self.text[:1].isupper()

    @property
    def is_letters(self) -> bool:
        return self.text.isalpha()


@dataclass(frozen=True)
class Paragraph:
    """One paragraph (a non-blank line) of a field, folded, with its words."""

    number: int  # 1-based, counting non-blank lines as the published page does
    text: str  # folded

    @cached_property
    def words(self) -> tuple[Word, ...]:
        return tuple(Word(m.group(), m.start(), m.end()) for m in _WORD.finditer(self.text))

    def gap(self, index: int) -> str:
        """The characters between word ``index - 1`` and word ``index``."""
        return self.text[self.words[index - 1].end : self.words[index].start] if index > 0 else ""

    def stands_alone(self, first: int, end: int) -> bool:
        """Whether words ``first`` to ``end - 1`` are not glued to a letter or digit either side."""
        before = self.text[self.words[first].start - 1] if self.words[first].start else " "
        after = self.text[self.words[end - 1].end] if self.words[end - 1].end < len(self.text) else " "
        return not before.isalnum() and not after.isalnum()

    def starts_sentence(self, index: int) -> bool:
        if index == 0:
            return True
        gap = self.gap(index)
        return bool(_SENTENCE_END.search(gap.rstrip() + " ")) if gap.strip() else False

    def sentence_at(self, position: int) -> str:
        """The sentence around ``position``: what a reviewed match is tied to."""
        ends = [m.end() for m in _SENTENCE_END.finditer(self.text)]
        start = max((end for end in ends if end <= position), default=0)
        end = min((end for end in ends if end > position), default=len(self.text))
        return " ".join(self.text[start:end].split()).lower()


def paragraphs(text: str) -> list[Paragraph]:
    lines = [line for line in str(text or "").split("\n") if line.strip()]
    return [Paragraph(number, fold(line)) for number, line in enumerate(lines, start=1)]


def raw_paragraphs(text: str) -> list[tuple[int, str]]:
    """The paragraphs as written (not folded), numbered as ``paragraphs`` numbers them."""
    lines = [line for line in str(text or "").split("\n") if line.strip()]
    return list(enumerate(lines, start=1))


def ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
