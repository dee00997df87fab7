"""Text as the anonymisation check reads it: invisible characters found, every look-alike folded to
plain ASCII, and each paragraph cut into words with their positions and sentences.

Folding order matters: NFKC first (fullwidth and mathematical letters become plain ones), then the
format characters go (a zero-width space or soft hyphen inside a name would split it), then letters
of other scripts that look like Latin ones become those Latin letters (Unicode's confusables data,
through confusable-homoglyphs: Cyrillic "Ѕ" is "S", not the "Dz" a transliterator would make of it),
and last anyascii turns what is left into ASCII ("Zoë" is "Zoe", "’" is "'").
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, cached_property

from anyascii import anyascii

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
_SUSPECT = re.compile(r"[^\x20-\x7e\t\n\r]")
# Tried only where a word begins: from inside a long word each start would read to its end (quadratic time).
_DISGUISED = re.compile(
    r"(?<![A-Za-z0-9@$|])[A-Za-z0-9@$|]*(?:[0-9@$|]|[a-z]I)[A-Za-z0-9@$|]*"
)  # kept if it has letters
_LEET = str.maketrans("0134578@$", "oieastbas")
# What stands for a lower-case l: a vertical line, and a capital I after a lower-case letter (or after
# another such I), which the page's sans-serif font draws with the same stroke ("SaIly", "HiII").
_LOOKS_LIKE_L = re.compile(r"\||(?<=[a-z])I+")
# Letters written for the digits they look like in a number: an O for 0, an I or l for 1 ("199O",
# "X65432l"), when they touch a digit and no other letter ("Oct" in "17Oct1990" stays a month).
_LOOKS_LIKE_DIGITS = re.compile(r"(?<![A-Za-z])(?:(?<=\d)[OoIl]+|[OoIl]+(?=\d))(?![A-Za-z])")
_AS_DIGITS = str.maketrans("OoIl", "0011")
# Two letters that together look like one in a sans-serif font (Unicode's confusables list them): read
# so only in capitalised words, as a name is written; "torn" and "learn" stay themselves.
_PAIRS = re.compile(r"rn|vv")
_PAIR_LETTERS = {"rn": "m", "vv": "w"}
# A word that runs words together with a capital for each ("JusticeForZoe", "RIPSamOduya"), and its pieces.
_CAMEL = re.compile(r"[a-z][A-Z]|[A-Z][A-Z][a-z]")
_PIECE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+")
MIN_STEM = 2
MAX_JOIN_GAP = 3  # characters between two pieces of a split-up word ("S m i t h", "Black - wood")
_SENTENCE_END = re.compile(r"[.!?;:]\s|[.!?;:]$")
# Words people are named in without spaces or capitals: hashtags and usernames, email addresses, and web
# addresses (with www. or a scheme, or a domain name in lower case).
_TAGGED = re.compile(  # each alternative begins only where a word does, so a long word is read once
    r"[#@]\w+(?:[.\-]\w+)*"
    r"|(?<![\w.%+\-])[\w.%+\-]+@\w+(?:[.\-]\w+)*"
    r"|(?<![\w.\-])(?:https?://|www\.)[^\s<>\"]*[\w/]"
    r"|(?<![\w.\-])[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,7}(?![\w\-])"
)


def is_invisible(char: str) -> bool:
    """A character that shows as nothing (or nothing readable) and so can hide text from readers."""
    if char in ALLOWED_CONTROLS:
        return False
    return unicodedata.category(char) in REFUSED_CATEGORIES or ord(char) in INVISIBLE_LETTERS


def invisible_characters(text: str) -> list[str]:
    """The distinct invisible or control characters in ``text``, as "U+200B ZERO WIDTH SPACE"."""
    found = dict.fromkeys(char for char in _suspects(text) if is_invisible(char))
    return [f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed character')}" for char in found]


def _suspects(text: str) -> str:
    """The characters of ``text`` that may be invisible: ASCII controls and anything not ASCII."""
    return "".join(_SUSPECT.findall(text))


@cache
def _latin_look_alike(char: str) -> str:
    """The Latin letter ``char`` looks like (Cyrillic "а" is "a"), or ``char`` itself."""
    from confusable_homoglyphs import categories, confusables  # its tables: 7.5 MB, for publication checks only

    if categories.alias(char) in ("LATIN", "COMMON"):
        return char
    found = confusables.is_confusable(char, preferred_aliases=["latin"], greedy=True) or []
    for entry in found:
        for glyph in entry.get("homoglyphs") or []:
            if glyph["c"].isascii() and glyph["c"].isalnum():
                return str(glyph["c"])
    base = unicodedata.normalize("NFD", char)[0]
    if base != char:  # a letter with marks ("ӱ", "ἁ"): the letter it is drawn on, as "é" is e
        return _latin_look_alike(base)
    return char


def fold(text: str) -> str:
    """``text`` as plain ASCII for matching: look-alikes, diacritics and invisible characters folded."""
    text = unicodedata.normalize("NFKC", text)
    if _SUSPECT.search(text) is None:
        return text
    text = "".join(char for char in text if not is_invisible(char))
    if text.isascii():
        return text
    text = "".join(char if char.isascii() else _latin_look_alike(char) for char in text)
    return anyascii(text)


def transliterate(text: str) -> str:
    """``text`` spelt in plain ASCII as it is in English ("Смирнова" is Smirnova), where ``fold`` reads
    each letter as the Latin one it looks like (Cmipnova): for a name recorded in another script."""
    text = "".join(char for char in unicodedata.normalize("NFKC", text) if not is_invisible(char))
    return anyascii(text)


def singulars(word: str) -> tuple[str, ...]:
    """Every stem a plural or possessive may have: "smiths" is smith, "joneses" is jones (and jonese),
    "rowes" is rowe as well as row."""
    stems = [word[: -len(ending)] for ending in ("es", "s") if word.endswith(ending)]
    return tuple(stem for stem in stems if len(stem) >= MIN_STEM) or (word,)


@dataclass(frozen=True)
class Word:
    text: str  # as written (after folding)
    start: int
    end: int
    lower: str
    is_letters: bool

    @property
    def is_capitalised(self) -> bool:
        return self.text[:1].isupper()


@dataclass(frozen=True)
class Paragraph:
    """One paragraph (a non-blank line) of a field, folded, with its words."""

    number: int  # 1-based, counting non-blank lines as the published page does
    text: str  # folded

    @cached_property
    def words(self) -> tuple[Word, ...]:
        return tuple(
            Word(m.group(), m.start(), m.end(), m.group().lower(), m.group().isalpha())
            for m in _WORD.finditer(self.text)
        )

    @cached_property
    def word_starts(self) -> list[int]:
        """Where each word starts, in order: to find the word at or after a position by bisection."""
        return [word.start for word in self.words]

    @cached_property
    def positions(self) -> dict[str, list[int]]:
        """Where each word is, by its lower case and its singular: every matcher looks words up here
        instead of reading the paragraph again."""
        found: dict[str, list[int]] = {}
        for index, word in enumerate(self.words):
            if word.is_letters:
                for form in dict.fromkeys((word.lower, *singulars(word.lower))):
                    found.setdefault(form, []).append(index)
        return found

    @cached_property
    def capitalised(self) -> dict[str, list[int]]:
        """Capitalised words of 5 letters or more, by lower case: the candidates for misspelt names."""
        found: dict[str, list[int]] = {}
        for index, word in enumerate(self.words):
            if len(word.text) >= 5 and word.is_capitalised and word.is_letters:
                found.setdefault(word.lower, []).append(index)
        return found

    @cached_property
    def disguised(self) -> list[tuple[int, int, str]]:
        """Words with digits, symbols or look-alike letters for letters ("Bl4ckw00d", "SaIly", "Larnbert"),
        read as letters: (start, end, word), once for each reading (a 1 is an i or an l)."""
        found = [
            (m.start(), m.end(), word)
            for m in _DISGUISED.finditer(self.text)
            if not m.group().isdigit() and any(c.isalpha() for c in m.group())
            for word in _readings(m.group())
        ]
        for word in self.words:  # "Larnbert", "Blackvvood"
            if word.is_letters and word.is_capitalised and _PAIRS.search(word.text[1:]):
                read = _PAIRS.sub(lambda m: _PAIR_LETTERS[m.group()], word.lower)
                found += [(word.start, word.end, form) for form in (read, *singulars(read))]
        return found

    @cached_property
    def number_readings(self) -> tuple[str, ...]:
        """The text for the number matchers: as written, and with letters that look like digits next to
        digits read as those digits ("17/O5/199O" is 17/05/1990). Each is as long as the text, so a
        match's position is the same in both."""
        as_digits = digit_reading(self.text)
        return (self.text,) if as_digits == self.text else (self.text, as_digits)

    @cached_property
    def tagged(self) -> list[tuple[int, int, str]]:
        """Hashtags, usernames, email and web addresses: (start, end, lower case)."""
        return [(m.start(), m.end(), m.group().lower()) for m in _TAGGED.finditer(self.text)]

    @cached_property
    def camel_pieces(self) -> list[tuple[int, int, str]]:
        """The pieces of words written in camel case, as in a hashtag or a username ("#JusticeForZoe" is
        Justice, For, Zoe): (start, end, piece as written)."""
        return [
            (word.start + m.start(), word.start + m.end(), m.group())
            for word in self.words
            if word.is_letters and _CAMEL.search(word.text)
            for m in _PIECE.finditer(word.text)
        ]

    def follows_closely(self, index: int) -> bool:
        """Whether word ``index`` could be the next piece of a word split up by spaces or marks."""
        gap = self.gap(index)
        return self.words[index].is_letters and len(gap) <= MAX_JOIN_GAP and "\n" not in gap

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

    @cached_property
    def _sentence_ends(self) -> list[int]:
        return [m.end() for m in _SENTENCE_END.finditer(self.text)]

    @cached_property
    def _sentences(self) -> dict[int, str]:
        return {}  # each sentence as sentence_at gives it, by its number: made once, however many matches it holds

    def sentence_at(self, position: int) -> str:
        """The sentence around ``position``: what a reviewed match is tied to."""
        ends = self._sentence_ends
        after = bisect.bisect_right(ends, position)  # ends up to position begin sentences at or before it
        if after not in self._sentences:
            start = ends[after - 1] if after else 0
            end = ends[after] if after < len(ends) else len(self.text)
            self._sentences[after] = " ".join(self.text[start:end].split()).lower()
        return self._sentences[after]


def digit_reading(text: str) -> str:
    """``text`` with an O, I or l that stands for a digit in a number read as that digit."""
    return _LOOKS_LIKE_DIGITS.sub(lambda m: m.group().translate(_AS_DIGITS), text)


def _readings(written: str) -> list[str]:
    """The words a disguised word can be read as, each also as a singular, as the word index holds
    them: "Sa11y" is saiiy or sally, "HiIl" is hill, "J0nes" is jones or jon."""
    text = _LOOKS_LIKE_L.sub(lambda m: "l" * len(m.group()), written).lower()
    read = [t.translate(_LEET) for t in (text, text.replace("1", "l"))]
    return list(dict.fromkeys(form for word in read for form in (word, *singulars(word))))


def paragraphs(text: str) -> list[Paragraph]:
    lines = [line for line in str(text or "").split("\n") if line.strip()]
    return [Paragraph(number, fold(line)) for number, line in enumerate(lines, start=1)]


def english_paragraphs(text: str) -> list[Paragraph]:
    """The paragraphs with letters of another script, spelt as they read in English ("Смирнова" is
    Smirnova, where folding its look-alikes gives Cmipnova): a second reading for the name checks."""
    found = []
    for number, line in raw_paragraphs(text):
        if not line.isascii():
            english = transliterate(line)
            if english != fold(line):
                found.append(Paragraph(number, english))
    return found


def raw_paragraphs(text: str) -> list[tuple[int, str]]:
    """The paragraphs as written (not folded), numbered as ``paragraphs`` numbers them."""
    lines = [line for line in str(text or "").split("\n") if line.strip()]
    return list(enumerate(lines, start=1))


def ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
