"""The check itself: which identifiers a case has, and what a piece of text to be published still
contains. Messages say where (the field and paragraph) and what kind of identifier, never the value.

A match the publication team has reviewed and kept is known by its reference: a short hash of the
field, the kind of identifier, the identifier, the matched text and the sentence it is in. So a
review covers that one occurrence; the same word in another sentence or field is a new match.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..reports import parse_date
from .addresses import PhraseMatcher, address_matchers
from .dates import DateOfBirthMatcher
from .matches import Match, Matcher
from .names import NameMatcher, people
from .numbers import CaseReferenceMatcher, CrnMatcher, PncMatcher, tails_in
from .text import (
    Paragraph,
    english_paragraphs,
    fold,
    invisible_characters,
    ordinal,
    paragraphs,
    raw_paragraphs,
    transliterate,
)

# The keys of the other cases' references (``reference_keys``) that the text may hold, or a lookup of them that
# ``with_other_cases`` asks with the texts to check: only the cases whose reference may be in them are read.
OTHER_CASES = "other_case_keys"
LOGGED_NAMES = {"person": "the person on probation", "victim": "a victim", "staff": "a member of staff"}


@dataclass(frozen=True)
class Finding:
    path: str  # the form field, e.g. "anonymised_summary"
    message: str
    reference: str | None = None  # set when the team may keep it after review
    invisible: bool = False  # an invisible or control character rather than an identifier
    says_what_to_do: bool = False  # the message is whole: no advice is added to it


def _lines(value: Any) -> list[str]:
    return [line.strip() for text in _values(value) for line in text.splitlines() if line.strip()]


def _people(value: Any) -> list[str]:
    """The people a name field names, one line or more each: ``names.people``."""
    return [name for line in _lines(value) for name in people(line)]


def identifiers(case: dict[str, Any], redaction_log: Any = None) -> list[Matcher]:
    """A matcher for every name and identifier in the case data and the redaction log's originals, and for
    the case's reference and those of the other cases (``OTHER_CASES``).

    Each field may hold one value or a list of them: every value the service ever recorded for it
    (``publication_record.CaseRecord.identity``), so changing or blanking the case data later does not
    take a name out of the check.
    """
    found: list[Any] = []
    found += [m for name in _people(case.get("person_name")) for m in _names(name, "the person on probation", "person")]
    found += [
        m for alias in _people(case.get("person_aliases")) for m in _names(alias, "the person on probation", "alias")
    ]
    found += [DateOfBirthMatcher(born) for born in filter(None, map(parse_date, _values(case.get("date_of_birth"))))]
    found += [CrnMatcher(crn) for crn in _values(case.get("crn"))]
    found += [PncMatcher(pnc) for pnc in _values(case.get("pnc"))]
    found += [m for address in _values(case.get("person_address")) for m in address_matchers(address)]
    found += [m for name in _people(case.get("victim_names")) for m in _names(name, "a victim", "victim")]
    found += [m for name in _people(case.get("staff_names")) for m in _names(name, "a member of staff", "staff")]
    found.append(
        CaseReferenceMatcher.of(_values(case.get("case_reference")), "the case's reference", "reference", False)
    )
    # Naming another case tells the reader of a case that may never be published; a reference may read like
    # other text, so the team may keep such a match after review.
    others = case.get(OTHER_CASES) or ()
    if hasattr(others, "keys_in"):
        raise TypeError("Look the other cases' references up first: with_other_cases(case, texts).")
    others = frozenset(others)
    found.append(CaseReferenceMatcher(others, "the reference of another case", "reference.other", True))
    for entry in redaction_log if isinstance(redaction_log, list) else []:
        if isinstance(entry, dict) and str(entry.get("original") or "").strip():
            found += _logged(str(entry.get("category") or "other"), str(entry["original"]).strip())
    return found


def with_other_cases(case: dict[str, Any], texts: Iterable[str]) -> dict[str, Any]:
    """The case with its ``OTHER_CASES`` looked up for ``texts``, where it holds a lookup (an object with
    ``keys_in(tails)``, given the tails any reference in the texts would have) rather than the keys."""
    lookup: Any = case.get(OTHER_CASES)
    if not hasattr(lookup, "keys_in"):
        return case
    tails = set().union(*(reference_tails_in(text) for text in texts))
    return {**case, OTHER_CASES: lookup.keys_in(tails) if tails else frozenset()}


def reference_tails_in(text: str) -> set[str]:
    """The tails a case reference in ``text`` would have (``numbers.tails_in``), in every reading of the text
    that ``check_text`` matches: as folded, as text in another script reads, and across paragraph breaks."""
    found = paragraphs(text)
    readings = [*found, *english_paragraphs(text), *(paragraph for paragraph, _ in _seams(found))]
    return set().union(*(tails_in(paragraph) for paragraph in readings))


def _names(name: str, whose: str, code: str) -> list[NameMatcher]:
    """A name's matcher, and for a name recorded in another script a second one for its English spelling."""
    english = transliterate(name)
    same = fold(name).lower() == english.lower()
    return [NameMatcher(name, whose, code), *([] if same else [NameMatcher(english, whose, code)])]


def _values(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in values if str(v or "").strip()]


def _logged(category: str, original: str) -> list[Any]:
    """Matchers for a redaction log entry: a name as a name (each person it names, without a note beside
    the name: "Sam Oduya (son)"), an address as an address, else the words."""
    named = [name for name in people(original) if _looks_like_a_name(name)] if category in LOGGED_NAMES else []
    if named:
        return [m for name in named for m in _names(name, LOGGED_NAMES[category], f"log.{category}")]
    if category == "address":
        return address_matchers(original, "an address recorded in the redaction log")
    return [PhraseMatcher(original, "text recorded in the redaction log as removed", "log.other", joined=True)]


def _looks_like_a_name(text: str) -> bool:
    words = text.replace("-", " ").split()
    return 0 < len(words) <= 4 and all(word[:1].isupper() for word in words)


def reference_of(path: str, match: Match, paragraph: Paragraph) -> str:
    sentence = paragraph.sentence_at(match.start)
    key = "\x1f".join((path, match.kind, match.identity, match.span.lower(), sentence))
    return "R-" + hashlib.sha256(key.encode()).hexdigest()[:8].upper()


def check_text(
    path: str, where: str, text: str, matchers: Iterable[Matcher], reviewed: Collection[str] = ()
) -> list[Finding]:
    """Every problem with one piece of text to be published, one finding per paragraph, kind and
    sentence: invisible characters first, then each identifier it still contains."""
    multi = len(raw_paragraphs(text)) > 1
    findings = [
        Finding(
            path,
            f"{_where(where, number, multi)} contains an invisible or control character ({code}). Delete it: "
            "it does not show on the page and can hide a name from this check.",
            invisible=True,
        )
        for number, line in raw_paragraphs(text)
        for code in invisible_characters(line)
    ]
    matchers = list(matchers)
    found = paragraphs(text)
    readings = [*found, *english_paragraphs(text)]  # as folded, and text in another script as it reads
    for paragraph, seam in [*((p, None) for p in readings), *_seams(found)]:
        seen: set[tuple[str, str | None]] = set()
        for match in _distinct(_all_matches(matchers, paragraph)):
            if seam is not None and not match.start < seam < match.start + len(match.span):
                continue  # on one side of the break: found in its own paragraph
            reference = reference_of(path, match, paragraph) if match.reviewable else None
            if reference is not None and reference in reviewed:
                continue
            message = f"{_where(where, paragraph.number, multi)} still contains {match.what}."
            if (message, reference) not in seen:
                seen.add((message, reference))
                findings.append(Finding(path, message, reference))
    return findings


def _seams(found: list[Paragraph]) -> Iterator[tuple[Paragraph, int]]:
    """Where one paragraph ends and the next begins, as one line: the last word of the one (with what
    follows it, "Black-") and the first word of the next. The page shows them one above the other, and
    a name split between them ("Mr Black-" then "wood was ...") still reads as the name. Numbered as
    the first of the two, with where the break is."""
    for before, after in zip(found, found[1:], strict=False):
        if before.words and after.words:
            tail = before.text[before.words[-1].start :].rstrip()
            head = after.text[after.words[0].start : after.words[0].end]
            yield Paragraph(before.number, f"{tail} {head}"), len(tail)


def _all_matches(matchers: list[Matcher], paragraph: Paragraph) -> Iterator[Match]:
    for matcher in matchers:
        yield from matcher.matches(paragraph)


def _distinct(matches: Iterator[Match]) -> list[Match]:
    """Matches in reading order, less those inside a stronger one: a match the team may not keep
    wins over one it may ("X123456" is the CRN, not also its digits), and any identifier wins over
    the same text recorded in the redaction log."""
    found = list(matches)
    strict = [m for m in found if not m.reviewable]
    kept = strict + [m for m in found if m.reviewable and not any(_overlap(m, s) for s in strict)]
    kept = [
        m
        for m in kept
        if not (m.kind.startswith("log.") and any(_overlap(m, o) for o in kept if not o.kind.startswith("log.")))
    ]
    return sorted(kept, key=lambda m: m.start)


def _overlap(one: Match, other: Match) -> bool:
    return one.start < other.start + len(other.span) and other.start < one.start + len(one.span)


def _where(where: str, number: int, multi: bool) -> str:
    return f"{where}, {ordinal(number)} paragraph," if multi else where
