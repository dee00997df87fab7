"""The date of birth in any common English way of writing it.

Spans that look like dates are found with two broad patterns (numbers with separators, and
numbers around a month's name, the year last or, in four digits, first), then each is read by
python-dateutil, day first as in England and month first as in the United States ("05/17/1990").
A span matches when some reading gives the same day, month and year (a two-digit year matching the
last two digits). The day and the year may be written in words ("the seventeenth of May 1990",
"seventeen May nineteen ninety", "nineteen hundred and ninety", "two thousand and five") and the parts
joined by "the", "of", "in" and "on" ("May the 17th, 1990", "the 17th of May in 1990", "in 1990 on
the 17th of May", "May 1990, on the 17th"). A day and month without the year are not matched.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from dateutil import parser

from .matches import Match
from .text import Paragraph

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_UNITS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")
_TEENS = ("tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth")
_ORDINALS = {
    **{word: number for number, word in enumerate((*_UNITS, *_TEENS, "eighteenth", "nineteenth"), start=1)},
    **{
        f"{tens}{unit}": base + number
        for tens, base in (("twenty", 20), ("thirty", 30))
        for number, unit in enumerate(_UNITS, start=1)
    },
    "twentieth": 20,
    "thirtieth": 30,
}
_SINGLE_WORDS = "|".join(word for word in _ORDINALS if not word.startswith(("twenty", "thirty")))
_ORDINAL_WORD = rf"(?:(?:twenty|thirty)[\s\-]?(?:{'|'.join(_UNITS)})|{_SINGLE_WORDS})"
# Numbers from one to ninety-nine in words, each word ending where a word does ("seven" is not "seventeen").
_ONES = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TEEN_WORDS = ("thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TEN_TO_19 = ("ten", "eleven", "twelve", *_TEEN_WORDS)
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_CARDINALS = {
    **{word: number for number, word in enumerate(_ONES, start=1)},
    **{word: number for number, word in enumerate(_TEN_TO_19, start=10)},
    **{word: number * 10 for number, word in enumerate(_TENS, start=2)},
}
_ONE_WORD = rf"(?:{'|'.join(_ONES)})\b"
_SMALL = rf"(?:{'|'.join((*_TEN_TO_19, *_ONES))})\b"  # the longer first: "seventeen" before "seven"


def _tens_and_ones(tens: tuple[str, ...]) -> str:
    return rf"(?:(?:{'|'.join(tens)})(?:[\s\-]?{_ONE_WORD})?\b|{_SMALL})"


_ONE_TO_99 = _tens_and_ones(_TENS)
_CARDINAL_DAY = _tens_and_ones(("twenty", "thirty"))  # up to thirty-nine: dateutil refuses a day past the month's
_WORD_GAP = r"[\s\-]+"
# A year in words: "nineteen ninety", "nineteen oh five", "nineteen hundred and ninety", "two thousand and
# five", "twenty twelve".
_YEAR_IN_WORDS = (
    rf"(?:(?:nineteen|twenty){_WORD_GAP}"
    rf"(?:hundred(?:{_WORD_GAP}(?:and{_WORD_GAP})?{_ONE_TO_99})?|oh{_WORD_GAP}{_ONE_WORD}|{_ONE_TO_99})"
    rf"|two{_WORD_GAP}thousand(?:{_WORD_GAP}(?:and{_WORD_GAP})?{_ONE_TO_99})?)"
)
_DAY = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_ORDINAL_WORD}|{_CARDINAL_DAY})"
_ORDINAL_DAY = rf"(?:\d{{1,2}}(?:st|nd|rd|th)|{_ORDINAL_WORD})"
_YEAR = rf"(?:(?:'|\u2019)?\d{{2}}(?:\d{{2}})?|{_YEAR_IN_WORDS})"
_GAP = r"[\s,\-/.]*"
_THE = rf"(?:the{_GAP})?"
_TO_YEAR = rf"(?:(?:in|of){_GAP}{_THE}(?:year{_GAP})?)?"  # "17th May in 1990", "17 May of the year 1990"
_FULL_YEAR = rf"(?:\d{{4}}|{_YEAR_IN_WORDS})"  # a year written first has all four digits ("1990 May 17")
_NAMED = re.compile(
    # first the month and year, then the day as an ordinal ("May 1990, on the 17th"; "May 1990, 17 people" is no
    # date): tried first, as the next would take "May 1990" for the 19th of May '90
    rf"(?<![A-Za-z0-9])(?:{_MONTH}{_GAP}{_TO_YEAR}{_FULL_YEAR}{_GAP}(?:on{_GAP})?{_THE}{_ORDINAL_DAY}"
    rf"|{_DAY}{_GAP}(?:day{_GAP})?(?:of{_GAP})?{_MONTH}{_GAP}{_TO_YEAR}{_YEAR}"
    rf"|{_MONTH}{_GAP}{_THE}{_DAY}{_GAP}{_TO_YEAR}{_YEAR}"
    rf"|{_FULL_YEAR}{_GAP}(?:on{_GAP})?{_THE}(?:{_MONTH}{_GAP}{_THE}{_DAY}|{_DAY}{_GAP}(?:day{_GAP})?(?:of{_GAP})?{_MONTH}))"
    rf"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_NUMBER_WORD = re.compile(  # the longer first: "sixty" before "six", "seventeen" before "seven"
    "|".join(sorted((*_CARDINALS, "hundred", "thousand", "and", "oh"), key=len, reverse=True))
)
_DAY_IN_WORDS = re.compile(rf"\b(?:{_ORDINAL_WORD}|{_CARDINAL_DAY})", re.IGNORECASE)
_YEAR_WORDS = re.compile(_YEAR_IN_WORDS, re.IGNORECASE)
_LINKING_WORDS = re.compile(r"(?i)\b(?:day|the|in|year)\b")  # dateutil skips "of" and "on" itself
# The separators are atomic ("(?>...)"): a run of spaces is split one way only, where trying every split
# took time quadratic in its length.
_NUMERIC = re.compile(r"(?<![\d.])\d{1,4}(?>\s*[./\-]\s*|\s+)\d{1,2}(?>\s*[./\-]\s*|\s+)'?\d{2,4}(?!\d)")
_COMPACT = re.compile(r"(?<!\d)\d{6}(?:\d{2})?(?!\d)")
_DEFAULTS = (dt.datetime(1904, 1, 1), dt.datetime(1908, 2, 2))  # two leap years, different days


@dataclass(frozen=True)
class DateOfBirthMatcher:
    born: dt.date

    def matches(self, paragraph: Paragraph) -> Iterator[Match]:
        spans: dict[tuple[int, int], None] = {}
        for text in paragraph.number_readings:  # as written, and with "199O" read as 1990
            for pattern in (_NAMED, _NUMERIC):
                for found in pattern.finditer(text):
                    if self._is_birthday(found.group()):
                        spans[found.span()] = None
            for found in _COMPACT.finditer(text):
                if found.group() in self._compact_forms():
                    spans[found.span()] = None
        for start, end in spans:
            yield self._match(start, paragraph.text[start:end])

    def _match(self, start: int, span: str) -> Match:
        return Match("a date that matches the person's date of birth", "dob", self.born.isoformat(), start, span, True)

    def _is_birthday(self, span: str) -> bool:
        text = _YEAR_WORDS.sub(lambda m: str(_year_value(m.group())), span)  # before "twenty" is read as a day
        text = _DAY_IN_WORDS.sub(lambda m: str(_day_value(m.group())), text)
        text = _LINKING_WORDS.sub(" ", text.replace("'", " ").replace("\u2019", " "))  # "17th day of May"
        two_digit_year = re.search(r"\d{3,4}", text) is None
        return any(self._same(reading, two_digit_year) for reading in _readings(text))

    def _same(self, reading: dt.date, two_digit_year: bool) -> bool:
        if (reading.month, reading.day) != (self.born.month, self.born.day):
            return False
        return reading.year % 100 == self.born.year % 100 if two_digit_year else reading.year == self.born.year

    def _compact_forms(self) -> set[str]:
        d, m, y = f"{self.born.day:02d}", f"{self.born.month:02d}", f"{self.born.year:04d}"
        return {d + m + y, y + m + d, m + d + y, d + m + y[2:]}


def _words(text: str) -> list[str]:
    """The number words in ``text``, however they are joined ("twentyone", "twenty-one", "twenty one")."""
    return _NUMBER_WORD.findall(text.lower())


def _number_value(words: list[str]) -> int:
    """One to ninety-nine from its words ("ninety", "one")."""
    return sum(_CARDINALS.get(word, 0) for word in words)


def _day_value(written: str) -> int:
    """A day in words as a number: "seventeenth", "twenty-first", "seventeen", "thirty one"."""
    joined = re.sub(r"[\s\-]+", "", written.lower())
    if joined in _ORDINALS:
        return _ORDINALS[joined]
    return _number_value(_words(written))


def _year_value(written: str) -> int:
    """A year in words as a number: "nineteen ninety" 1990, "nineteen oh five" 1905, "nineteen hundred and
    ninety" 1990, "two thousand and five" 2005, "twenty twelve" 2012."""
    words = [word for word in _words(written) if word not in ("and", "oh")]
    if words[:2] == ["two", "thousand"]:
        return 2000 + _number_value(words[2:])
    century = _CARDINALS[words[0]] * 100
    rest = words[2:] if words[1:2] == ["hundred"] else words[1:]
    return century + _number_value(rest)


def _readings(text: str) -> Iterator[dt.date]:
    """Every full date that ``text`` can be read as (day first, then month first)."""
    for dayfirst in (True, False):
        try:
            first, second = (parser.parse(text, dayfirst=dayfirst, default=d) for d in _DEFAULTS)
        except (ValueError, OverflowError):
            continue
        if first == second:  # no part came from the defaults: the span is a whole date
            yield first.date()
