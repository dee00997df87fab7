"""Names: the whole name, its parts, its initials and near misspellings of its parts.

A part is a word of the name of at least 2 letters (titles such as "Mr" left out). A part is found
in any case when it has 4 letters or more; a part of 2 or 3 letters only when written with a
capital, because in lower case those are everyday words ("do", "may", "will" is 4 and matches), or,
from 3 letters, glued to digits as in a username ("zoe123"). Words split by spaces or punctuation
("S m i t h", "Black-wood") are joined again; plurals and possessives ("the Smiths", "Smith's") match;
digits, symbols or look-alike letters for letters ("Bl4ckw00d", a capital I for an l in "SaIly") are
read as letters. Two or more parts run into one word ("jordanblackwood", "smithzoe") match; inside a
hashtag, username or web address so does any part of 3 letters or more, and inside any word not
written with a capital to begin it a part of 6 letters or more ("RIPJORDAN"), 7 in lower case ("teamblackwood").
Near misspellings are found with rapidfuzz (see ``FUZZY_THRESHOLD``).

Every look-up goes through the paragraph's word index (``Paragraph.positions`` and friends), so the
cost grows with the number of name parts and their occurrences, not with parts times words; only the
look for long parts inside other words reads every word, once, with a substring test per long part.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import TYPE_CHECKING

from .matches import Match
from .text import Paragraph, fold, singulars

if TYPE_CHECKING:
    from nicknames import NickNamer

TITLES = ("mr", "mrs", "ms", "miss", "mx", "dr", "master", "sir", "dame", "prof", "rev")
MIN_PART = 2
MIN_LOWER_CASE_PART = 4
MIN_TAGGED_PART = 3  # letters of a part found inside a hashtag, username or web address, or glued to digits
# Letters of a part found inside a longer word not written as a capitalised word: in capitals or mixed case
# ("RIPJORDAN", "RIPjordan"), and in lower case ("teamblackwood"), where surnames that are words are inside many
# more ("cooperation" holds Cooper, "fostering" Foster, "stakeholder" Holder).
MIN_INSIDE_PART = 6
MIN_INSIDE_LOWER_CASE_PART = 7
MIN_INITIALLED_PART = 6  # letters of a surname run into an initial ("zblackwood") that is refused anywhere
# Familiar forms in the nicknames list that every report writes with a capital: months and days ("May" for
# Marietta, "June" for Junior, "August" for Gus) and the court ("Court" for Courtney).
NOT_FAMILIAR = frozenset(
    re.findall(
        r"[a-z]+",
        """january february march april may june july august september october november december monday tuesday
        wednesday thursday friday saturday sunday court""",
    )
)
# Near misspellings: a capitalised word of 5 letters or more whose optimal-string-alignment
# similarity (1 - edits / longer length) to a name part of 5 letters or more is above this: rapidfuzz
# turns the cutoff into a distance in floating point and so leaves out a similarity of exactly 0.8.
# That allows one slip (a letter wrong, missing or extra, or two swapped) in 6 to 9 letters and two
# from 11, and none in 5 or two in 10. bench/anonymisation_gate.py sweeps it: 0.75 and below (where a
# slip in 5 letters comes in) match ordinary words in a clean report ("March" for Marsh, as "Crown"
# would for Brown), 0.85 misses a one-letter slip in a six-letter name.
FUZZY_THRESHOLD = 0.8
FUZZY_MIN_LENGTH = 5
MAX_GAP = 3  # characters between the words of a full name
FAMILY_WORDS = ("family", "household")  # after "the" and the surname's initial: "the B family"
SUFFIXES = ("jr", "jnr", "junior", "sr", "snr", "senior", "ii", "iii", "iv")
# Ranks written before a name in a name line ("DS Kate Price", "PC Ali"): not part of the name, and
# like a title before the surname's initial ("DS P"). Only in capitals, or as written here with a
# capital ("Sgt"), so that a forename such as "Di" stays a name.
RANKS = ("PC", "DC", "DS", "DI", "DCI", "DSI", "PS", "Sgt", "Insp", "Det", "Supt", "Cllr", "PO", "SPO", "PSO")
# Words that say who someone is rather than name them, in a note beside a name ("Sam Oduya - son",
# "Victim: Zoe Smith", "Kate Price, Police", "Kwame Ng - Senior Probation Officer"): a piece of a name
# line made only of these is not a name.
RELATIONS = frozenset(
    re.findall(
        r"[a-z]+",
        """partner expartner ex son daughter stepson stepdaughter child children baby mother father mum mom dad
        stepmother stepfather parent wife husband brother sister sibling grandmother grandfather grandson
        granddaughter cousin uncle aunt niece nephew girlfriend boyfriend fiance fiancee friend neighbour neighbor
        colleague carer victim victims witness aged age year years yrs old former current deceased born of the
        in a an her his their police officer probation practitioner manager worker social staff support senior
        deputy assistant chief head lead team leader case key keyworker trainee qualified service services
        detective constable sergeant inspector superintendent councillor nurse doctor psychologist mentor
        supervisor interpreter dob pc dc ds di dci dsi ps sgt insp det supt cllr po spo pso pqip""",
    )
)
# Where a name line goes from one person to the next, or from a name to a note: ";", "/", "&", "+", "|",
# ":", a dash with spaces (not the hyphen of "Smith-Jones"), and the words "and", "or", "aka", "nee".
_BETWEEN = re.compile(
    r"\s*([;/&+|:]|\s[-\u2013\u2014]\s|\b(?:and|or|aka|a\.k\.a\.|(?:also )?known as|formerly|nee|n\u00e9e)\b)\s*"
)
# Brackets (closed or not) and double quotes: a note ("(son, aged 12)"), or another name of the same
# person ("(Sam)", '"Sam"', "(nee Jones)"), read apart from the name.
_ASIDE = re.compile(r"\(([^()]*)\)?|\[([^\[\]]*)\]?|\{([^{}]*)\}?|[\"\u201c\u201d]([^\"\u201c\u201d]*)[\"\u201c\u201d]")
_MAIDEN = re.compile(r"\s*(?:nee|n\u00e9e|formerly|born)\b", re.IGNORECASE)


def people(line: str) -> list[str]:
    """The names a line of a name field gives, without the notes beside them: "Sam Oduya (son, aged 12)"
    is Sam Oduya, "Zoe Smith - partner" Zoe Smith, "DS Kate Price, police" Kate Price; "Sam Oduya; Zoe
    Smith" is two people and "Sam and Zoe Oduya" is Sam Oduya and Zoe Oduya. A name recorded surname
    first ("ODUYA, Sam") stays one name. In a line with capitals a word without one is a note (a name's
    own words all have one: "McDonald", "d'Arcy"), and so is one after a dash or colon ("Zoe Smith -
    partner"); a person written all in lower case ("Zoe Smith; sam oduya") is read without that rule.
    A name in brackets or quotes is another name of the person: "Samuel (Sam) Oduya" is also Sam Oduya,
    "Zoe Smith (nee Jones)" also Zoe Jones. A line in which nothing is left is read whole, as before,
    so that no name is lost."""
    cased = any(char.isupper() for char in line)
    names = _read(_ASIDE.sub(" ", line))
    for found in _ASIDE.finditer(line):
        aside = "".join(group or "" for group in found.groups())
        before = len(_read(_ASIDE.sub(" ", line[: found.start()])))  # the name it is in or follows
        whole = forenames_first(names[max(before, 1) - 1]).split() if names else []
        for name in _read(aside, cased):
            if len(whole) > 1 and len(name.split()) == 1:
                name = f"{whole[0]} {name}" if _MAIDEN.match(aside) else f"{name} {whole[-1]}"
            names.append(name)
    return names or [line.strip()]


def _read(text: str, aside: bool = False) -> list[str]:
    """The names in a name line (or, with ``aside``, in brackets or quotes in a line with capitals, where
    a word without one and each word that only says who someone is are notes: "(Mother of Sam)")."""
    pieces = _BETWEEN.split(text)
    names: list[str] = []
    shares_surname: list[bool] = []  # followed by "and" or "&" and one word: "Sam and Zoe Oduya"
    for index in range(0, len(pieces), 2):
        before = pieces[index - 1].strip() if index else ""
        after = pieces[index + 1].strip().lower() if index + 1 < len(pieces) else ""
        note = aside or (before in (":", "-", "\u2013", "\u2014") and any(char.isupper() for char in text))
        found = _names_in(pieces[index], note or any(char.isupper() for char in pieces[index]), aside)
        if names and len(names[-1].split()) > 1 and _MAIDEN.fullmatch(before) and found and " " not in found[0]:
            found[0] = f"{forenames_first(names[-1]).split()[0]} {found[0]}"  # "Zoe Smith nee Jones": Zoe Jones
        names += found
        shares_surname += [False] * (len(found) - 1) + [after in ("and", "&")] * bool(found)
    for index in range(len(names) - 2, -1, -1):
        if shares_surname[index] and len(names[index].split()) == 1 and len(names[index + 1].split()) > 1:
            names[index] = f"{names[index]} {names[index + 1].split()[-1]}"
    return names


def _names_in(chunk: str, cased: bool, aside: bool = False) -> list[str]:
    """The names in one piece of a name line between separators; commas part people or notes, except
    after a one-word surname ("ODUYA, Sam", and "Head, John" though "head" is also a role)."""
    first, *others = chunk.split(",")
    rest = [name for name in (_name_words(piece, cased, aside=aside) for piece in others) if name]
    surname = _name_words(first, cased, notes=False, aside=aside)
    if len(surname.split()) == 1 and surname.rstrip(".") not in RANKS and rest:
        return [f"{surname}, {rest[0]}", *rest[1:]]
    return [name for name in (_name_words(first, cased, aside=aside), *rest) if name]


def _name_words(piece: str, cased: bool, notes: bool = True, aside: bool = False) -> str:
    """The words of a name in ``piece``, less a rank before or after it and (unless ``notes`` is False)
    a piece that only says who someone is, or in an aside each such word: "" when it names no one."""
    words = [word for word in piece.split() if not any(char.isdigit() for char in word)]
    if cased:  # beside a name, a word without a capital is a note only when it says who someone is ("Sam oduya"
        # is a name, typed carelessly); in brackets, where notes are written, any word without one is ("(street name)")
        words = [w for w in words if any(c.isupper() for c in w) or not (aside or _is_relation(w))]
    if aside:
        words = [word for word in words if not _is_relation(word)]
    while len(words) > 1 and words[0].rstrip(".") in RANKS:
        words = words[1:]
    while len(words) > 1 and words[-1].rstrip(".") in RANKS:  # "Tom Hale PO"
        words = words[:-1]
    if notes and all(_is_relation(word) for word in re.split(r"[\s\-]+", " ".join(words))):
        return ""  # "Victim", "Partner", "Ex-Partner"
    return " ".join(words)


def _is_relation(word: str) -> bool:
    return all(re.sub(r"[^a-z]", "", fold(w).lower()) in RELATIONS for w in word.split("-"))


def forenames_first(name: str) -> str:
    """A name as it is read: "BLACKWOOD, Jordan" (the surname-first form of probation and police records)
    is "Jordan BLACKWOOD", so that its surname is the last part, as initials and "Mr B" are made from it.
    A suffix after the comma ("Blackwood, Jr") is not a forename."""
    surname, comma, forenames = name.partition(",")
    rest = re.sub(r"[^a-z]", "", fold(forenames).lower())
    if not comma or not re.search(r"[^\W\d_]", surname) or not rest or rest in SUFFIXES:
        return name
    return f"{forenames.strip()} {surname.strip()}"


def name_parts(name: str) -> list[str]:
    """The parts of a name, folded to lower-case ASCII: "Zoë O'Brien-Hale" is zoe, obrien, hale."""
    words = re.split(r"[\s,.\-_/]+", fold(forenames_first(name)).lower().replace("'", ""))
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
    def _surname_size(self) -> int:
        """How many of the parts are the surname: two for "Zoë Blackwood-Smith", else one."""
        words = forenames_first(self.name).split()
        surname = name_parts(words[-1]) if words else []
        if len(surname) < len(self.parts) and tuple(self.parts[-len(surname) :]) == tuple(surname):
            return len(surname)
        return 1

    @cached_property
    def _run_together(self) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        """The name written as one word, as in a username, a web address or a hashtag: (whole, some, initialled).
        Whole: every part, forenames first or surname first ("jordanleeblackwood", "blackwoodjordanlee").
        Some: two of its parts, in order or with the surname's part first ("jordanblackwood" without the
        middle name, "zoesmith" and "smithzoe" for Zoë Blackwood-Smith), and a familiar form of a forename with a
        surname's part ("samoduya", "oduyasammy" for Samuel Oduya). Initialled: an initial for a forename
        or the surname ("jblackwood", "jordanb", "blackwoodj"), anywhere when the rest has 6 letters or more
        (``MIN_INITIALLED_PART``), else only in an email address or username: with a shorter rest they are
        often words ("along" is A. Long, "flight" F. Light)."""
        if len(self.parts) < 2:
            return frozenset(), frozenset(), frozenset()
        size = self._surname_size
        forenames, surnames = self.parts[:-size], self.parts[-size:]
        first, surname = "".join(forenames), "".join(surnames)
        whole = frozenset({first + surname, surname + first})
        some = {one + other for one, other in itertools.combinations(self.parts, 2)}
        some |= {other + one for one in (*forenames, *self._familiar_forms) for other in surnames}
        some |= {familiar + other for familiar in self._familiar_forms for other in surnames}
        initialled = {forenames[0][0] + "".join(self.parts[1:]), first + surname[0], surname + forenames[0][0]}
        initialled |= {forenames[0][0] + part for part in surnames} | {part + forenames[0][0] for part in surnames}
        some -= whole | self._part_set
        return whole, frozenset(some), frozenset(initialled - whole - some - self._part_set)

    @cached_property
    def _fuzzy_parts(self) -> tuple[str, ...]:
        return tuple(part for part in self._part_set if len(part) >= FUZZY_MIN_LENGTH)

    def matches(self, paragraph: Paragraph) -> Iterator[Match]:
        found = list(self._matches(paragraph))
        yield from found
        tagged = f"a hashtag, username or web address that contains part of the name of {self.whose}"
        for start, end in self._in_tags(paragraph):
            if not any(m.start < end and start < m.start + len(m.span) for m in found):  # once for each
                found.append(self._span_match(tagged, "tagged", paragraph, start, end))
                yield found[-1]
        inside = f"a word that contains part of the name of {self.whose}"
        for start, end in self._inside_words(paragraph):
            if not any(m.start < end and start < m.start + len(m.span) for m in found):
                yield self._span_match(inside, "inside", paragraph, start, end)

    def _matches(self, paragraph: Paragraph) -> Iterator[Match]:
        if not self.parts:
            return
        covered: set[int] = set()
        for start, end in self._full_names(paragraph):
            covered.update(range(start, end))
            yield self._match(f"the name of {self.whose}", "full", paragraph, start, end, self.full_reviewable)
        for start, end, how in sorted(self._parts(paragraph)):
            if not covered.intersection(range(start, end)):
                covered.update(range(start, end))
                yield self._match(how, "part", paragraph, start, end, True)
        joined = f"a word that runs together parts or initials of the name of {self.whose}"
        for index, whole in self._joined(paragraph):
            if index not in covered:
                yield self._match(joined, "joined", paragraph, index, index + 1, not whole or self.full_reviewable)
        single = f"a word that matches part of the name of {self.whose}"
        for start, end in self._camel_pieces(paragraph, self._part_set):
            yield self._span_match(single, "part", paragraph, start, end)
        familiar = f"a familiar or full form of the forename of {self.whose}"
        for index in self._familiar(paragraph):
            if index not in covered:
                yield self._match(familiar, "familiar", paragraph, index, index + 1, True)
        for start, end in self._camel_pieces(paragraph, self._familiar_forms):  # "#RIPSam"
            yield self._span_match(familiar, "familiar", paragraph, start, end)
        for start, end in self._initials(paragraph):
            yield self._match(f"initials that match the name of {self.whose}", "initials", paragraph, start, end, True)
        misspelt = f"a word that looks like a misspelling of part of the name of {self.whose}"
        for index in self._misspellings(paragraph, covered):
            yield self._match(misspelt, "fuzzy", paragraph, index, index + 1, True)
        disguised = f"a word that spells part of the name of {self.whose} with digits, symbols or look-alike letters"
        for start, end in self._disguised(paragraph):
            yield self._span_match(disguised, "disguised", paragraph, start, end)

    def _match(self, what: str, kind: str, paragraph: Paragraph, start: int, end: int, reviewable: bool) -> Match:
        words = paragraph.words
        return self._span_match(what, kind, paragraph, words[start].start, words[end - 1].end, reviewable)

    def _span_match(
        self, what: str, kind: str, paragraph: Paragraph, start: int, end: int, reviewable: bool = True
    ) -> Match:
        span = paragraph.text[start:end]
        return Match(what, f"{self.code}.{kind}", " ".join(self.parts), start, span, reviewable)

    # --- the whole name, in order or surname first --------------------------------------------

    def _full_names(self, paragraph: Paragraph) -> Iterator[tuple[int, int]]:
        if len(self.parts) < 2:
            return
        size = len(self.parts)
        for order in dict.fromkeys((self.parts, (self.parts[-1], *self.parts[:-1]))):
            for index in paragraph.positions.get(order[0], ()):
                if index + size <= len(paragraph.words) and all(
                    _is_form_of(paragraph.words[index + k].lower, order[k]) and _close(paragraph, index + k)
                    for k in range(1, size)
                ):
                    yield index, index + size

    # --- parts, also written split up -----------------------------------------------------------

    def _parts(self, paragraph: Paragraph) -> Iterator[tuple[int, int, str]]:
        single = f"a word that matches part of the name of {self.whose}"
        split = f"letters that spell part of the name of {self.whose} with spaces or marks between them"
        for part in self._part_set:
            for index in paragraph.positions.get(part, ()):
                if _case_allows(paragraph.words[index].text, part) or (
                    len(part) >= MIN_TAGGED_PART and _in_an_address(paragraph, index)
                ):
                    yield index, index + 1, single
            for start, end in split_spellings(paragraph, part):
                yield start, end, split

    def _joined(self, paragraph: Paragraph) -> Iterator[tuple[int, bool]]:
        """Words that run the name together: (index, whether it is the whole name)."""
        whole, some, initialled = self._run_together
        for form in whole:
            for index in paragraph.positions.get(form, ()):
                yield index, True
        for form in some:
            for index in paragraph.positions.get(form, ()):
                yield index, False
        for form in initialled:
            for index in paragraph.positions.get(form, ()):
                if len(form) - 1 >= MIN_INITIALLED_PART or _in_an_address(paragraph, index):  # less the initial
                    yield index, False

    def _in_tags(self, paragraph: Paragraph) -> Iterator[tuple[int, int]]:
        """Hashtags, usernames, email and web addresses with a part of the name inside a longer word, where
        no capital marks where it begins ("#justiceforzoe", "@zoe_b_1990", "www.blackwoodappeal.org"): a
        part of 3 letters or more, in any case, as such words are read as names run together."""
        parts = [part for part in self._part_set if len(part) >= MIN_TAGGED_PART]
        for start, end, lower in paragraph.tagged:
            if any(part in lower for part in parts):
                yield start, end

    @cached_property
    def _familiar_forms(self) -> frozenset[str]:
        """The other forms of each forename (of the name, if it is one word): its familiar forms ("Sam", "Sammy"
        for Samuel), the full names it may be short for ("Margaret" for Maggie) and their familiar forms
        ("Peggy"), from the ``nicknames`` package's list."""
        namer = _nick_namer()
        forenames = self.parts[: -self._surname_size] if len(self.parts) > 1 else self.parts
        forms: set[str] = set()
        for forename in forenames:
            full = namer.canonicals_of(forename) | {forename}
            forms |= full | {nickname for name in full for nickname in namer.nicknames_of(name)}
        return frozenset(form for form in forms if form.isalpha() and form not in self._part_set | NOT_FAMILIAR)

    def _familiar(self, paragraph: Paragraph) -> Iterator[int]:
        """Capitalised words that are another form of a forename; in lower case many are everyday words
        ("will", "bill", "pat")."""
        for form in self._familiar_forms:
            for index in paragraph.positions.get(form, ()):
                if paragraph.words[index].is_capitalised:
                    yield index

    def _inside_words(self, paragraph: Paragraph) -> Iterator[tuple[int, int]]:
        """Words with a long part inside them, where no capital marks where it begins: in capitals or mixed
        ("RIPJORDAN", "RIPjordan") and in lower case ("teamblackwood"). A capitalised word is another word
        ("Jordanian"), and shorter parts are inside too many ("blacksmith", ``MIN_INSIDE_PART``)."""
        parts = [part for part in self._part_set if len(part) >= MIN_INSIDE_PART]
        if not parts:
            return
        for word in paragraph.words:
            if not word.is_letters or word.text.istitle():
                continue
            least = MIN_INSIDE_LOWER_CASE_PART if word.text.islower() else MIN_INSIDE_PART
            if any(len(p) >= least and p in word.lower and p != word.lower for p in parts):
                yield word.start, word.end

    @staticmethod
    def _camel_pieces(paragraph: Paragraph, parts: frozenset[str]) -> Iterator[tuple[int, int]]:
        """``parts`` run into a word in camel case: "#JusticeForZoe", "RIPSamOduya"."""
        for start, end, piece in paragraph.camel_pieces:
            lower = piece.lower()
            if any(_case_allows(piece, part) for part in parts.intersection((lower, *singulars(lower)))):
                yield start, end

    # --- initials: "J.B.", "J B", "JB", "Mr B", "the B family" ---------------------------------------------------

    @cached_property
    def _initial_forms(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The name's initials ("ZSJ", and "ZS" for a double-barrelled surname; "JLB" and the first and last,
        "JB", for a name of three parts) and the surname's initial after a title ("J", and "S" and "SJ" for
        Smith-Jones: "Ms S", "Ms S-J", "Ms SJ", "the SJ family")."""
        words = forenames_first(self.name).split()
        surname = name_parts(words[-1]) if words else []
        if not surname or tuple(self.parts[-len(surname) :]) != tuple(surname):
            surname = [self.parts[-1]]
        forenames = "".join(part[0] for part in self.parts[: len(self.parts) - len(surname)])
        last, first = "".join(part[0] for part in surname), forenames[:1]
        letters = (forenames + last, forenames + last[0], first + last, first + last[0])
        after_title = (surname[-1][0], surname[0][0], last)
        return tuple(dict.fromkeys(f.upper() for f in letters)), tuple(dict.fromkeys(after_title))

    def _initials(self, paragraph: Paragraph) -> Iterator[tuple[int, int]]:
        every, surnames = self._initial_forms
        words = paragraph.words
        for letters in (letters for letters in every if len(letters) >= 2):
            for index in paragraph.positions.get(letters.lower(), ()):
                if words[index].text == letters and paragraph.stands_alone(index, index + 1):
                    yield index, index + 1
            for index in paragraph.positions.get(letters[0].lower(), ()):
                if self._spelt_initials(paragraph, index, letters):
                    yield index, index + len(letters)
        for initial in (initial.upper() for initial in surnames):
            for title in (*TITLES, *(rank.lower() for rank in RANKS)):
                for index in paragraph.positions.get(title, ()):
                    if self._surname_initial_at(paragraph, index + 1, initial):
                        yield index, index + 2
            for noun in FAMILY_WORDS:  # "the B family", as "Mr B" is the surname's initial after a title
                for index in paragraph.positions.get(noun, ()):
                    if (
                        index >= 2
                        and words[index - 2].lower == "the"
                        and paragraph.gap(index) == " "
                        and self._surname_initial_at(paragraph, index - 1, initial)
                    ):
                        yield index - 2, index + 1

    @staticmethod
    def _spelt_initials(paragraph: Paragraph, index: int, letters: str) -> bool:
        run = paragraph.words[index : index + len(letters)]
        return (
            "".join(w.text for w in run) == letters
            and all(len(w.text) == 1 for w in run)
            and all(_initial_gap(paragraph, k) for k in range(index + 1, index + len(letters)))
            and paragraph.stands_alone(index, index + len(letters))
        )

    @staticmethod
    def _surname_initial_at(paragraph: Paragraph, index: int, surname: str) -> bool:
        """Whether word ``index`` is the surname's initial after a title: "Mr B", "Ms. B."."""
        words = paragraph.words
        return (
            index < len(words)
            and words[index].text == surname
            and _initial_gap(paragraph, index)
            and paragraph.stands_alone(index - 1, index + 1)
        )

    # --- misspellings and disguises --------------------------------------------------------------

    def _misspellings(self, paragraph: Paragraph, covered: set[int]) -> Iterator[int]:
        if not self._fuzzy_parts:
            return
        for word, indexes in paragraph.capitalised.items():
            if word in self._part_set or self._part_set.intersection(singulars(word)):
                continue
            if any(_similar(word, part) for part in self._fuzzy_parts):
                yield from (index for index in indexes if index not in covered)

    def _disguised(self, paragraph: Paragraph) -> Iterator[tuple[int, int]]:
        """Words with digits or symbols standing for letters ("Bl4ckw00d", "Sm1th", "J@ckson")."""
        for start, end, word in paragraph.disguised:
            if word in self._part_set or (
                len(word) >= FUZZY_MIN_LENGTH and any(_similar(word, part) for part in self._fuzzy_parts)
            ):
                yield start, end


@cache
def _nick_namer() -> NickNamer:
    from nicknames import NickNamer  # its list is read by the workers that check a publication, not by every one

    return NickNamer()


def split_spellings(paragraph: Paragraph, part: str) -> Iterator[tuple[int, int]]:
    """Runs of two or more close pieces that spell ``part`` (or its plural): "Black wood", "S.m.i.t.h".
    Only runs that start with a prefix of the part are followed, so this costs little."""
    words = paragraph.words
    for length in range(1, len(part)):
        prefix = part[:length]
        for start in paragraph.positions.get(prefix, ()):
            if words[start].lower != prefix:
                continue
            text, end = prefix, start + 1
            while end < len(words) and part.startswith(text) and len(text) < len(part):
                if not paragraph.follows_closely(end):
                    break
                text, end = text + words[end].lower, end + 1
            if text == part or part in singulars(text):
                yield start, end


def _in_an_address(paragraph: Paragraph, index: int) -> bool:
    """Whether word ``index`` is glued to an @ or a digit, as in an email address or a username."""
    word, text = paragraph.words[index], paragraph.text
    before = text[word.start - 1] if word.start else ""
    after = text[word.end] if word.end < len(text) else ""
    return before == "@" or after == "@" or after.isdigit() or before.isdigit()


def _case_allows(written: str, part: str) -> bool:
    """Lower case matches only parts of 4 letters or more; 2-letter parts need a capital."""
    if written.islower():
        return len(part) >= MIN_LOWER_CASE_PART
    return len(part) >= 3 or written[:1].isupper()


def _similar(word: str, part: str) -> bool:
    if abs(len(word) - len(part)) > 2 or (word[0] != part[0] and word[-1] != part[-1]):
        return False  # a cheap filter first: most words are far from every part
    from rapidfuzz.distance import OSA  # loaded by the workers that check a publication, not by every one

    return OSA.normalized_similarity(word, part, score_cutoff=FUZZY_THRESHOLD) >= FUZZY_THRESHOLD


def _is_form_of(word: str, part: str) -> bool:
    forms = (word, *singulars(word))
    return part in forms or any(stem in forms for stem in singulars(part))


def _close(paragraph: Paragraph, index: int) -> bool:
    """Whether word ``index`` follows the one before it closely (a space, a hyphen, an apostrophe)."""
    gap = paragraph.gap(index)
    return len(gap) <= MAX_GAP and "\n" not in gap and not any(c in gap for c in ".!?;:")


def _initial_gap(paragraph: Paragraph, index: int) -> bool:
    """Whether word ``index`` follows an initial as the next initial would: "J.B.", "J. B", "J B", and
    in a double-barrelled surname "S-J"."""
    return re.fullmatch(r"\.? ?|\.?-", paragraph.gap(index)) is not None
