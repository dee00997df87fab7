"""Answer patterns (JSON Schema ``pattern`` and ``patternProperties``) that Python's matcher can check in
reasonable time, whatever the answer.

Python's ``re`` backtracks: on a crafted answer a pattern such as ``(a+)+$`` takes time exponential in the
answer's length, and ``\\d+\\d+x`` tried at every position of a long answer takes its cube, in one C call
that nothing interrupts. Such patterns are refused when the form is deployed, by a deliberately cautious
reading of the pattern as Python parses it. A pattern is refused when

- a repeat that can run many times (``+``, ``*``, ``{10,}``) holds another such repeat, can repeat an empty
  match, or holds alternatives that can begin with the same character: ``(a+)+``, ``(a?){25}``,
  ``(a|ab)*``;
- two such repeats in one sequence can match the same character, with nothing required between them that
  only one of them matches: ``\\d+\\d+``, ``.*.*=``, ``.+@.+``.

(The maintained detector on PyPI, dlint's, misses ``(a|aa)+$`` and ``\\d+\\d+\\d+x``; neither part is hard.)
Answers longer than ``MAX_MATCHED`` characters are not matched at all (``app.services.forms``): even a
safe pattern tried at every position of a long answer takes time.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

# Python's own reading of a pattern, as the matcher will run it (no public interface offers it)
codes: Any = importlib.import_module("re._constants")
parser: Any = importlib.import_module("re._parser")

MAX_MATCHED = 1000  # characters of an answer matched against a pattern
MANY = 10  # a repeat that may run this many times or more can multiply the ways to match
_REPEATS = (codes.MAX_REPEAT, codes.MIN_REPEAT, codes.POSSESSIVE_REPEAT)
_ZERO_WIDTH = (codes.AT, codes.ASSERT, codes.ASSERT_NOT)
# Characters standing for every class a pattern can name; the pattern's own literals and range ends are
# added, so two classes that share a character share one of these.
_SAMPLES = "0 9\t\n\r\x0b\x85\xa0\u2000\u3000_aAzZé!-.@/\x00\x7f\uffff\U0001f600"
_CATEGORIES = {
    codes.CATEGORY_DIGIT: r"\d",
    codes.CATEGORY_NOT_DIGIT: r"\D",
    codes.CATEGORY_SPACE: r"\s",
    codes.CATEGORY_NOT_SPACE: r"\S",
    codes.CATEGORY_WORD: r"\w",
    codes.CATEGORY_NOT_WORD: r"\W",
}


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be used to check answers, or None when it can."""
    try:
        parsed = parser.parse(pattern)
    except (re.error, RecursionError, OverflowError) as error:
        return f"is not a pattern Python can read ({error})"
    try:
        return _Reading(parsed).problem()
    except RecursionError:
        return "is nested too deeply to check"


def schema_pattern_problems(schema: Any) -> Iterator[str]:
    """A sentence for each pattern of a form's JSON Schema that cannot be used to check answers."""
    for where, pattern in _patterns(schema, ""):
        problem = pattern_problem(pattern)
        if problem is not None:
            shown = pattern if len(pattern) <= 60 else pattern[:57] + "..."
            place = where or "the form"
            yield f"the pattern {shown!r} at {place} {problem}: a crafted answer could take hours to check"


_VALUES = ("const", "enum", "default", "examples")  # answers, not schemas: a "pattern" key there is data


def _patterns(node: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, list):
        for number, item in enumerate(node):
            yield from _patterns(item, f"{where}.{number}".lstrip("."))
        return
    if not isinstance(node, dict):
        return
    if isinstance(node.get("pattern"), str):
        yield where, node["pattern"]
    if isinstance(node.get("patternProperties"), dict):
        yield from ((where, key) for key in node["patternProperties"])
    for key, value in node.items():
        if key not in _VALUES:
            yield from _patterns(value, f"{where}.{key}".lstrip("."))


@dataclass(frozen=True)
class _Reading:
    """A parsed pattern, and what each of its parts can match."""

    parsed: Any  # re._parser.SubPattern

    def problem(self) -> str | None:
        for items in _sequences(list(self.parsed)):
            problem = self._repeat_problem(items) or self._sequence_problem(items)
            if problem is not None:
                return problem
        return None

    def _repeat_problem(self, items: list[Any]) -> str | None:
        for op, av in items:
            if op not in _REPEATS or not _many(av):
                continue
            body = list(av[2])
            if self._nullable(body):
                return "repeats something that can match nothing, such as (a?){25}"
            if self._longest_chain(_flattened(body) * 2) > 1:  # one turn's repeat running on into the next
                return "can split an answer between repeats inside a repeat in many ways, such as (a+)+ or (\\w+\\s?)+"
            if any(op == codes.BRANCH and self._alternatives_overlap(av) for op, av in _parts(body)):
                return "repeats alternatives that can begin with the same character, such as (a|ab)*"
        return None

    def _sequence_problem(self, items: list[Any]) -> str | None:
        """Each of k repeats in a row that can take the same characters multiplies the ways to split an
        answer by its length: n to the k, times n again when the pattern is tried at every position."""
        if self._longest_chain(_flattened(items)) + (0 if self.anchored else 1) > 2:
            return (
                "has repeats in a row that can match the same characters, such as \\d+\\d+ (put something only "
                "one of them can match between them, or begin the pattern with ^)"
            )
        return None

    def _longest_chain(self, items: list[Any]) -> int:
        """The most repeats in a row each of which can go on where the one before stopped."""
        longest, chain, before = 0, 0, frozenset[str]()
        for op, av in items:
            starts = self._first([(op, av)])
            if _holds_many(op, av):
                chain = chain + 1 if starts & before else 1
                before, longest = self._chars([(op, av)]), max(longest, chain)
            elif not self._item_nullable(op, av) and not starts & before:
                chain, before = 0, frozenset()  # a character the repeats before cannot take: they stop here
        return longest

    @cached_property
    def anchored(self) -> bool:
        """Whether the pattern can only match at the start of the answer (else it is tried at each position)."""
        items = list(self.parsed)
        starts = (codes.AT_BEGINNING, codes.AT_BEGINNING_STRING)
        multiline = self.parsed.state.flags & re.MULTILINE
        return bool(items) and items[0][0] == codes.AT and items[0][1] in starts and not multiline

    def _alternatives_overlap(self, av: Any) -> bool:
        """Whether two alternatives can begin alike; one that can match nothing begins like what follows it."""
        alternatives = [list(alternative) for alternative in av[1]]
        if any(self._nullable(alternative) for alternative in alternatives):
            return True
        starts = [self._first(alternative) for alternative in alternatives]
        return any(starts[i] & starts[j] for i in range(len(starts)) for j in range(i + 1, len(starts)))

    def _nullable(self, items: list[Any]) -> bool:
        return all(self._item_nullable(op, av) for op, av in items)

    def _item_nullable(self, op: Any, av: Any) -> bool:
        if op in _ZERO_WIDTH or op == codes.GROUPREF:
            return True
        if op in _REPEATS:
            return av[0] == 0 or self._nullable(list(av[2]))
        if op == codes.BRANCH:
            return any(self._nullable(list(alternative)) for alternative in av[1])
        if op in (codes.SUBPATTERN, codes.ATOMIC_GROUP, codes.GROUPREF_EXISTS):
            return any(self._nullable(list(body)) for body in _bodies(op, av))
        return False

    def _first(self, items: list[Any]) -> frozenset[str]:
        """The characters a match of ``items`` can begin with."""
        first: frozenset[str] = frozenset()
        for op, av in items:
            first |= self._chars([(op, av)], first_only=True)
            if not self._item_nullable(op, av):
                break
        return first

    def _chars(self, items: list[Any], first_only: bool = False) -> frozenset[str]:
        """The characters (of the samples) that ``items`` can match anywhere (or first)."""
        chars: frozenset[str] = frozenset()
        for op, av in items:
            if op == codes.GROUPREF:
                chars |= self.samples
            elif op in (*_REPEATS, codes.SUBPATTERN, codes.ATOMIC_GROUP, codes.BRANCH, codes.GROUPREF_EXISTS):
                for body in _bodies(op, av):
                    chars |= self._first(list(body)) if first_only else self._chars(list(body))
            elif op not in _ZERO_WIDTH:
                chars |= frozenset(c for c in self.samples if self._matches(op, av, c))
        return chars

    def _matches(self, op: Any, av: Any, char: str) -> bool:
        if self.parsed.state.flags & re.IGNORECASE:
            return any(self._matches_exactly(op, av, c) for c in {char, char.lower(), char.upper()})
        return self._matches_exactly(op, av, char)

    def _matches_exactly(self, op: Any, av: Any, char: str) -> bool:
        if op == codes.LITERAL:
            return ord(char) == av
        if op == codes.NOT_LITERAL:
            return ord(char) != av
        if op == codes.IN:
            negated = bool(av) and av[0][0] == codes.NEGATE
            return negated != any(_in_class(kind, value, char) for kind, value in av)
        return True  # ANY, and whatever else consumes a character: any character, to be safe

    @cached_property
    def samples(self) -> frozenset[str]:
        own = {chr(value) for value in _literals(list(self.parsed))}
        return frozenset(_SAMPLES) | own


def _in_class(kind: Any, value: Any, char: str) -> bool:
    if kind == codes.LITERAL:
        return ord(char) == value
    if kind == codes.RANGE:
        return value[0] <= ord(char) <= value[1]
    if kind == codes.CATEGORY:
        return re.fullmatch(_CATEGORIES.get(value, "."), char, re.DOTALL) is not None
    return False


def _many(av: Any) -> bool:
    return av[1] == codes.MAXREPEAT or av[1] >= MANY


def _holds_many(op: Any, av: Any) -> bool:
    return any(inner in _REPEATS and _many(args) for inner, args in _parts([(op, av)]))


def _bodies(op: Any, av: Any) -> list[Any]:
    if op in _REPEATS:
        return [av[2]]
    if op == codes.SUBPATTERN:
        return [av[3]]
    if op == codes.ATOMIC_GROUP:
        return [av]
    if op == codes.BRANCH:
        return list(av[1])
    if op == codes.GROUPREF_EXISTS:
        return [body for body in av[1:] if body is not None]
    if op in (codes.ASSERT, codes.ASSERT_NOT):
        return [av[1]]
    return []


def _parts(items: list[Any]) -> Iterator[tuple[Any, Any]]:
    """Every part of ``items``, at any depth."""
    for op, av in items:
        yield op, av
        for body in _bodies(op, av):
            yield from _parts(list(body))


def _sequences(items: list[Any]) -> Iterator[list[Any]]:
    """``items`` and every sequence inside them (a group's, an alternative's, a repeat's)."""
    yield items
    for op, av in items:
        for body in _bodies(op, av):
            yield from _sequences(list(body))


def _flattened(items: list[Any]) -> list[Any]:
    """A sequence with its plain groups opened: ``(\\d+)(\\d+)`` is ``\\d+\\d+``."""
    flat: list[Any] = []
    for op, av in items:
        flat.extend(_flattened(list(av[3])) if op == codes.SUBPATTERN else [(op, av)])
    return flat


def _literals(items: list[Any]) -> Iterator[int]:
    for op, av in _parts(items):
        if op in (codes.LITERAL, codes.NOT_LITERAL):
            yield av
        elif op == codes.IN:
            for kind, value in av:
                if kind == codes.LITERAL:
                    yield value
                elif kind == codes.RANGE:
                    yield from value
