"""Addresses: the postcode with or without its space, the street with its type written in full or
abbreviated ("Harbour Road", "Harbour Rd.", run together "HarbourRoad"), and the other named parts (a
building, a town, also run together: "BishopsWaltham")."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from .matches import Match
from .names import split_spellings
from .text import Paragraph, Word, fold

# Street types and the abbreviations Royal Mail and people use for them. Domain data, not code:
# add a line when a new abbreviation turns up.
STREET_TYPES = {
    "road": ("rd",),
    "street": ("st", "str"),
    "avenue": ("ave", "av", "avn"),
    "lane": ("ln",),
    "close": ("cl",),
    "drive": ("dr", "drv"),
    "crescent": ("cres", "cresc", "cr"),
    "court": ("ct", "crt"),
    "place": ("pl",),
    "square": ("sq",),
    "terrace": ("terr", "ter", "tce"),
    "gardens": ("gdns", "gdn"),
    "grove": ("gr", "gro"),
    "way": ("wy",),
    "row": ("rw",),
    "park": ("pk",),
    "mews": (),
    "hill": (),
    "walk": ("wk",),
    "parade": ("pde",),
    "boulevard": ("blvd",),
    "green": ("grn",),
    "rise": (),
    "view": ("vw",),
    "gate": (),
    "yard": ("yd",),
    "wharf": ("whf",),
    "quay": (),
    "circus": (),
    "esplanade": ("esp",),
    "broadway": (),
    "mount": ("mt",),
    "vale": (),
    "heights": ("hts",),
    "chase": (),
    "croft": (),
    "meadows": (),
    "approach": ("app",),
    "highway": ("hwy",),
    "wynd": (),
}
CANONICAL = {form: name for name, short in STREET_TYPES.items() for form in (name, *short)}
POSTCODE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,2}\d[A-Za-z\d]?)\s*(\d[A-Za-z]{2})(?![A-Za-z0-9])")
_LOOK_ALIKE_DIGITS = str.maketrans("OIL", "011")
_LOOK_ALIKES = {"0": "[0O]", "1": "[1IL]"}  # as postcode_skeleton reads them (the pattern ignores case)
_POSTCODE_GAP = r"[\s\-.]{0,3}"
MAX_GAP = 3


def postcode_key(text: str) -> str:
    return re.sub(r"\s", "", text).upper()


def postcode_skeleton(text: str) -> str:
    """A postcode as compared: no spaces or marks, capitals, and an O, I or L read as 0, 1 or 1."""
    return re.sub(r"[^A-Za-z0-9]", "", text).upper().translate(_LOOK_ALIKE_DIGITS)


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z]+|\d+[a-z]?", fold(text).lower().replace("'", ""))


def _follows(paragraph: Paragraph, index: int) -> bool:
    gap = paragraph.gap(index)
    return len(gap) <= MAX_GAP and "\n" not in gap


@dataclass(frozen=True)
class PhraseMatcher:
    """Words in order, any case, close together; the last may be plural or possessive."""

    phrase: str
    what: str
    code: str
    reviewable: bool = True
    joined: bool = False  # also run together ("BishopsWaltham") or into a hashtag or address ("#eastleighnews")

    def matches(self, paragraph: Paragraph) -> Iterator[Match]:
        wanted = [t for t in _tokens(self.phrase)]
        if not wanted or sum(len(t) for t in wanted) < 3:
            return
        found = list(self._matches(paragraph, wanted))
        yield from found
        joined = "".join(wanted)
        if self.joined and joined.isalpha() and len(joined) >= 4:  # "#EastleighStabbing", "#eastleighnews"
            for start, end in _inside_words(paragraph, joined):
                if not any(m.start < end and start < m.start + len(m.span) for m in found):
                    found.append(Match(self.what, self.code, joined, start, paragraph.text[start:end], self.reviewable))
                    yield found[-1]

    def _matches(self, paragraph: Paragraph, wanted: list[str]) -> Iterator[Match]:
        words = paragraph.words
        for index in _starts(paragraph, wanted[0]):
            if index + len(wanted) <= len(words) and _phrase_at(paragraph, words, index, wanted):
                end = words[index + len(wanted) - 1].end
                span = paragraph.text[words[index].start : end]
                yield Match(self.what, self.code, " ".join(wanted), words[index].start, span, self.reviewable)
        if self.joined and len(wanted) > 1 and all(t.isalpha() for t in wanted):  # "BishopsWaltham"
            for index in paragraph.positions.get("".join(wanted), ()):
                span = paragraph.text[words[index].start : words[index].end]
                yield Match(self.what, self.code, " ".join(wanted), words[index].start, span, self.reviewable)
        if len(wanted) == 1 and wanted[0].isalpha() and len(wanted[0]) >= 4:  # a town split up: "East-leigh"
            for first, last in split_spellings(paragraph, wanted[0]):
                start, end = words[first].start, words[last - 1].end
                yield Match(self.what, self.code, wanted[0], start, paragraph.text[start:end], self.reviewable)
            for start, end in _disguised(paragraph, wanted[0]):  # "E4stleigh"
                yield Match(self.what, self.code, wanted[0], start, paragraph.text[start:end], self.reviewable)


def _inside_words(paragraph: Paragraph, joined: str) -> Iterator[tuple[int, int]]:
    """Where a place's name is run into a longer word: as pieces of a word in camel case ("#EastleighStabbing",
    "BishopsWalthamNews"), or anywhere inside a hashtag, username or web address ("#eastleighstabbing")."""
    pieces = paragraph.camel_pieces
    for first, (start, _, _) in enumerate(pieces):
        text = ""
        for number in range(first, len(pieces)):
            if number > first and pieces[number][0] != pieces[number - 1][1]:
                break  # the next piece is in another word
            text += pieces[number][2].lower()
            if not joined.startswith(text):
                break
            if text == joined:
                yield start, pieces[number][1]
                break
    for start, end, lower in paragraph.tagged:
        if joined in lower:
            yield start, end


def _disguised(paragraph: Paragraph, token: str) -> Iterator[tuple[int, int]]:
    """Where ``token`` is written with digits or symbols for letters ("H4rbour", "E4stleigh"), as names are read."""
    for start, end, reading in paragraph.disguised:
        if reading == token:
            yield start, end


def _word_after(paragraph: Paragraph, position: int) -> int | None:
    """The index of the first word that starts at or after ``position``, or None."""
    index = bisect.bisect_left(paragraph.word_starts, position)
    return index if index < len(paragraph.words) else None


def _starts(paragraph: Paragraph, token: str) -> list[int]:
    """Where a phrase starting with ``token`` may start (numbers are not in the word index)."""
    if token.isalpha():
        return paragraph.positions.get(token, [])
    return [i for i, word in enumerate(paragraph.words) if word.lower == token]


def _phrase_at(paragraph: Paragraph, words: tuple[Word, ...], index: int, wanted: list[str]) -> bool:
    for offset, token in enumerate(wanted):
        word = words[index + offset].lower
        last = offset == len(wanted) - 1
        if word != token and not (last and word in (token + "s", token + "es")):
            return False
        if offset and not _follows(paragraph, index + offset):
            return False
    return True


@dataclass(frozen=True)
class StreetMatcher:
    """A street's name followed by its type in any of its forms ("Harbour Row", "harbour rw."), or after the
    house number the address gives it ("14 Harbour")."""

    core: tuple[str, ...]
    street_type: str
    number: str = ""  # the house number before the street in the address, if it is one

    def matches(self, paragraph: Paragraph) -> Iterator[Match]:
        words = paragraph.words
        size = len(self.core)
        identity = " ".join((*self.core, self.street_type))
        for index in _starts(paragraph, self.core[0]):
            if index + size > len(words) or not _phrase_at(paragraph, words, index, list(self.core)):
                continue
            following = words[index + size] if index + size < len(words) else None
            if (
                following is not None
                and CANONICAL.get(following.lower) == self.street_type
                and _follows(paragraph, index + size)
            ):
                span = paragraph.text[words[index].start : following.end]
                yield Match(
                    "the street of the person's address", "address.street", identity, words[index].start, span, True
                )
            elif self.number and index and words[index - 1].lower == self.number and _follows(paragraph, index):
                start, end = words[index - 1].start, words[index + size - 1].end
                span = paragraph.text[start:end]
                yield Match("the street of the person's address", "address.street", identity, start, span, True)
        if len(self.core) == 1:  # with digits or symbols for letters: "H4rbour Road"
            for start, end in _disguised(paragraph, self.core[0]):
                after = _word_after(paragraph, end)
                if (
                    after is not None
                    and CANONICAL.get(words[after].lower) == self.street_type
                    and _follows(paragraph, after)
                ):
                    span = paragraph.text[start : words[after].end]
                    yield Match("the street of the person's address", "address.street", identity, start, span, True)
        if all(word.isalpha() for word in self.core):  # run together: "HarbourRoad", "harbourrd"
            name = "".join(self.core)
            for form in (self.street_type, *STREET_TYPES[self.street_type]):
                for index in paragraph.positions.get(name + form, ()):
                    yield Match(
                        "the street of the person's address",
                        "address.street",
                        " ".join((*self.core, self.street_type)),
                        words[index].start,
                        paragraph.text[words[index].start : words[index].end],
                        True,
                    )


@dataclass(frozen=True)
class PostcodeMatcher:
    """The postcode with any short gap between any of its characters ("SO50 5AB", "SO505AB", "SO50-5AB", "SO50 5
    AB", "S O 5 0 5 A B"), in any case, with an O and a 0 (an I or L and a 1) either way round ("S050 5AB")."""

    postcode: str

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        characters = (_LOOK_ALIKES.get(c, re.escape(c)) for c in postcode_skeleton(self.postcode))
        return re.compile(rf"(?<![A-Za-z0-9]){_POSTCODE_GAP.join(characters)}(?![A-Za-z0-9])", re.IGNORECASE)

    def matches(self, paragraph: Paragraph) -> Iterator[Match]:
        key = postcode_key(self.postcode)
        for found in self._pattern.finditer(paragraph.text):
            yield Match(
                "the postcode of the person's address", "address.postcode", key, found.start(), found.group(), False
            )


def address_matchers(address: str, what: str = "a place named in the person's address") -> list[object]:
    """Matchers for each line or comma-separated part of an address: its postcode, each street in it (a
    part written without commas, "14 Harbour Road Eastleigh", holds a street and a town), and the rest
    of its words as a place."""
    matchers: list[object] = []
    text = fold(str(address or ""))
    cased = any(char.isupper() for char in text)
    for part in re.split(r"[,\n;()\[\]]|\s[-\u2013\u2014]\s", text):
        for postcode in POSTCODE.finditer(part):
            matchers.append(PostcodeMatcher(postcode.group()))
        streets, places = _streets(_tokens(POSTCODE.sub(" ", part)))
        matchers += [StreetMatcher(*street) for street in streets]
        for rest in places:
            if cased and not any(_capitalised_in(part, t) for t in rest):
                continue  # a note beside the address ("(bail address)", "- approved premises", "previously")
            if any(len(t) >= 4 for t in rest):
                matchers.append(PhraseMatcher(" ".join(rest), what, "address.place", joined=True))
    return matchers


def _capitalised_in(part: str, token: str) -> bool:
    """Whether ``token`` is written with a capital in ``part``, as a place's name is."""
    pattern = rf"(?<![a-z]){re.escape(token)}(?![a-z])"
    return any(found.group()[:1].isupper() for found in re.finditer(pattern, part.replace("'", ""), re.IGNORECASE))


BUILDING_WORDS = ("flat", "apartment", "house", "unit", "no")
# Words that qualify a street or a town rather than name a place ("Station Road North"): not a place
# on their own.
QUALIFIERS = ("north", "south", "east", "west", "upper", "lower")


def _streets(tokens: list[str]) -> tuple[list[tuple[tuple[str, ...], str, str]], list[list[str]]]:
    """The streets in a part of an address, each as (its name's words, the canonical type, the house number
    before it or ""), and the other words as places: a street ends at a street type that follows at least one
    other word, and begins after a number ("previously 14 Harbour Road", "Kingfisher House 14 Harbour Road"):
    the words before the number are a place of their own."""
    streets: list[tuple[tuple[str, ...], str, str]] = []
    places: list[list[str]] = []
    number = ""  # the number the words since are after, when it is a plain number ("14", not "14a")
    core: list[str] = []  # the words since the last street or number, less building words: kept as they come,
    for token in tokens:  # as making them again at each word took time quadratic in a long address
        if not token.isalpha():
            places.append(core)
            core, number = [], token if token.isdigit() else ""
        elif token in CANONICAL and core:
            streets.append((tuple(core), CANONICAL[token], number))
            core, number = [], ""
        elif token not in BUILDING_WORDS:
            core.append(token)
    places.append([w for w in core if w not in QUALIFIERS] if streets else core)
    return streets, places
