"""Reference numbers compared on their significant characters: case, spaces, hyphens, dots and
slashes between them do not matter ("X 123-456" is X123456), nor do a PNC number's century or its
serial's leading zeros ("12/52494X" is 2012/0052494X), nor an O, I or l written for a 0 or a 1
("X65432l")."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache

from .matches import Match
from .text import Paragraph, digit_reading, fold

SEPARATORS = r"[\s\-./_\\]{0,3}"
_PNC = re.compile(r"^\s*(\d{2}|\d{4})\s*[/\-.\s]?\s*0*(\d{1,7})\s*([A-Za-z])\s*$")
_WITH_YEAR = re.compile(
    rf"(?<![A-Za-z0-9])(\d{{4}}|\d{{2}})[\s\-./_\\]{{1,3}}0*(\d{{1,7}})(?:{SEPARATORS}([A-Za-z]))?(?![A-Za-z0-9])"
)
_WITHOUT_YEAR = re.compile(rf"(?<![A-Za-z0-9/])()0*(\d{{1,7}}){SEPARATORS}([A-Za-z])(?![A-Za-z0-9])")


def _spaced(characters: str) -> str:
    """A pattern for ``characters`` in order with any separators between them."""
    return SEPARATORS.join(re.escape(c) for c in characters)


@dataclass(frozen=True)
class CrnMatcher:
    """The CRN ("X123456"), and its digits alone ("123456")."""

    crn: str

    def matches(self, paragraph: Paragraph) -> Iterator[Match]:
        value = re.sub(r"[^A-Za-z0-9]", "", fold(self.crn)).upper()
        if len(value) < 4:
            return
        read = digit_reading(value)  # as the text is read: an O or I in the CRN itself is a digit there too
        whole = re.compile(rf"(?<![A-Za-z0-9]){_spaced(read)}(?![A-Za-z0-9])", re.IGNORECASE)
        for start, span in _found(whole, paragraph):
            yield Match("the person's CRN", "crn", value, start, span, False)
        digits = re.sub(r"\D", "", read)
        if len(digits) >= 5 and digits != read:
            alone = re.compile(rf"(?<![A-Za-z0-9]){_spaced(digits)}(?![A-Za-z0-9])")
            for start, span in _found(alone, paragraph):
                yield Match("the digits of the person's CRN", "crn.digits", value, start, span, True)


@dataclass(frozen=True)
class PncMatcher:
    """The PNC number in its long ("2012/0052494X") or short ("12/52494X") form, with or without
    its check letter, or its serial and check letter without the year."""

    pnc: str

    def matches(self, paragraph: Paragraph) -> Iterator[Match]:
        parsed = _PNC.match(fold(self.pnc))
        if parsed is None:
            yield from self._as_written(paragraph)
            return
        year, serial, letter = parsed.group(1)[-2:], int(parsed.group(2)), parsed.group(3).upper()
        candidates = {
            found.span(): found
            for text in paragraph.number_readings  # as written, and with "2012/OO52494X" read as 2012/0052494X
            for found in (*_WITH_YEAR.finditer(text), *_WITHOUT_YEAR.finditer(text))
        }.values()
        for found in candidates:
            if int(found.group(2)) != serial:
                continue
            same_year = bool(found.group(1)) and found.group(1)[-2:] == year
            if found.group(1) and not same_year:
                continue  # the same serial in another year is another record
            same_letter = (found.group(3) or "").upper() == letter
            span = paragraph.text[found.start() : found.end()]
            if same_year and same_letter:
                yield Match("the person's PNC number", "pnc", self.pnc, found.start(), span, False)
            elif (same_year or same_letter) and serial >= 1000:
                yield Match("most of the person's PNC number", "pnc.part", self.pnc, found.start(), span, True)

    def _as_written(self, paragraph: Paragraph) -> Iterator[Match]:
        value = re.sub(r"[^A-Za-z0-9]", "", fold(self.pnc)).upper()
        if len(value) < 4:
            return
        pattern = re.compile(rf"(?<![A-Za-z0-9]){_spaced(digit_reading(value))}(?![A-Za-z0-9])", re.IGNORECASE)
        for start, span in _found(pattern, paragraph):
            yield Match("the person's PNC number", "pnc", value, start, span, False)


def _found(pattern: re.Pattern[str], paragraph: Paragraph) -> list[tuple[int, str]]:
    """Where ``pattern`` is in the paragraph as written or with letters that look like digits read as
    digits: (start, the text as written), once each."""
    spans = {found.span(): None for text in paragraph.number_readings for found in pattern.finditer(text)}
    return [(start, paragraph.text[start:end]) for start, end in spans]


_REFERENCE_GAP = re.compile(r"[ \t\-./_\\#()]{0,3}")
_ALNUM_RUN = re.compile(r"[A-Za-z0-9]+")
MIN_REFERENCE = 4  # significant characters of a case reference that the check looks for
_AS_DIGIT = str.maketrans("OIL", "011")  # an O written for a 0, an I or l for a 1, either way round


def _key(text: str) -> str:
    return text.upper().translate(_AS_DIGIT)


def _unpadded(key: str) -> str:
    """One piece of a key without the zeros that pad a number ("0042" is 42): written either way."""
    return (key.lstrip("0") or "0") if key.isdigit() else key


def _usable(key: str) -> bool:
    """Whether a key is long and particular enough not to match everyday text: at least MIN_REFERENCE
    characters with a digit, and with a letter or long enough not to be a year or a count."""
    has_digit, has_letter = any(c.isdigit() for c in key), any(c.isalpha() for c in key)
    return len(key) >= MIN_REFERENCE and has_digit and (has_letter or len(key) >= 6)


def reference_key(reference: str) -> str | None:
    """A case reference by its significant characters, read so that an O and a 0 (an I, an l and a 1) are
    the same ("sfo 2O27/OO1" is SF02027001), or None for one that would match everyday text (``_usable``)."""
    key = _key(re.sub(r"[^A-Za-z0-9]", "", fold(reference)))
    return key if _usable(key) else None


def _unpadded_key(reference: str) -> str:
    return "".join(_unpadded(_key(piece)) for piece in _ALNUM_RUN.findall(fold(reference)))


# A check reads the references of the other cases it may name: each is keyed once per process, not once per check.
@lru_cache(maxsize=100_000)
def _keys_of(reference: str) -> tuple[str, ...]:
    """A reference's keys: as written (``reference_key``) and, where it differs, without the zeros that pad
    its numbers ("SFO-2027-0042" written SFO 2027 42 is SF0202742)."""
    key, unpadded = reference_key(reference), _unpadded_key(reference)
    return tuple(dict.fromkeys(k for k in (key, unpadded if _usable(unpadded) else None) if k))


def reference_keys(references: Iterable[str]) -> frozenset[str]:
    """The keys of those ``references`` that have one, as written and without their numbers' padding zeros."""
    return frozenset(itertools.chain.from_iterable(map(_keys_of, references)))


# --- looking up the other cases' references by the text's ends of words ----------------------------------------
# Every key ends where a word or number of the text ends, and has MIN_REFERENCE characters or more: the last
# TAIL characters before each such end (as written, and without padding zeros) are all the tails a key found in
# the text can have. A case's tails are kept beside it (process_instance.reference_tail), so a check reads only
# the cases whose reference may be in the text, not every case.
TAIL = MIN_REFERENCE
NO_TAIL = ""  # kept for a reference with no key: it can match no text


def reference_tails(reference: str) -> tuple[str, str]:
    """The tails of a reference's keys: as written, and without the zeros that pad its numbers."""
    key, unpadded = reference_key(reference), _unpadded_key(reference)
    return (key[-TAIL:] if key else NO_TAIL, unpadded[-TAIL:] if _usable(unpadded) else NO_TAIL)


def tails_in(paragraph: Paragraph) -> set[str]:
    """The tail any key found in the paragraph would have, read as ``CaseReferenceMatcher`` reads keys: for each
    word or number, the last TAIL characters of it and the ones before it that a reference's gap joins it to."""
    text, found = paragraph.text, set[str]()
    runs = list(_ALNUM_RUN.finditer(text))
    for last in range(len(runs)):
        key = unpadded = ""
        for first in range(last, -1, -1):
            if first < last and not _REFERENCE_GAP.fullmatch(text[runs[first].end() : runs[first + 1].start()]):
                break
            piece = _key(runs[first].group())
            key, unpadded = piece + key, _unpadded(piece) + unpadded
            if len(unpadded) >= TAIL:
                break
        found.update(form[-TAIL:] for form in (key, unpadded) if len(form) >= TAIL)
    return found


_PREFIX = 4  # how many leading characters of the keys are kept to give up early on words that start none


@dataclass(frozen=True)
class CaseReferenceMatcher:
    """Case references, compared on their significant characters, whatever separates them in the text."""

    keys: frozenset[str]
    what: str
    code: str
    reviewable: bool

    @classmethod
    def of(cls, references: list[str], what: str, code: str, reviewable: bool) -> CaseReferenceMatcher:
        return cls(reference_keys(references), what, code, reviewable)

    @cached_property
    def _longest(self) -> int:
        return max(map(len, self.keys), default=0)

    @cached_property
    def _starts(self) -> frozenset[str]:
        """Every start of a key up to _PREFIX characters: text whose start is not among them begins no key."""
        heads = {key[:_PREFIX] for key in self.keys}
        return frozenset(head[:length] for head in heads for length in range(1, _PREFIX + 1))

    def matches(self, paragraph: Paragraph) -> Iterator[Match]:
        if not self.keys:
            return
        longest, text, starts = self._longest, paragraph.text, self._starts
        runs = list(_ALNUM_RUN.finditer(text))  # whole words and numbers: a reference is never part of one
        for first, run in enumerate(runs):
            key = unpadded = ""  # as written, and with numbers' padding zeros left out ("0042" as 42)
            for last in range(first, len(runs)):
                if last > first and not _REFERENCE_GAP.fullmatch(text[runs[last - 1].end() : runs[last].start()]):
                    break
                piece = _key(runs[last].group())
                key, unpadded = key + piece, unpadded + _unpadded(piece)
                if len(unpadded) > longest or (key[:_PREFIX] not in starts and unpadded[:_PREFIX] not in starts):
                    break
                found = key if key in self.keys else unpadded if unpadded in self.keys else None
                if found:
                    start, end = run.start(), runs[last].end()
                    yield Match(self.what, self.code, found, start, text[start:end], self.reviewable)
