"""Answer patterns (JSON Schema ``pattern``) are matched with RE2, in time linear in the answer.

Python's ``re`` backtracks: on a crafted answer a pattern such as ``(a+)+$`` takes time exponential in the
answer's length, in one C call that nothing interrupts. RE2 (Google's matcher) has no backtracking, so no
pattern a process owner writes can hold a worker. It does not take backreferences or lookaround: a
pattern using them is refused when the form is deployed, as is ``patternProperties`` (its patterns are
matched against the answers' own keys by the validator, with Python's matcher).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

import re2

MAX_PATTERN = 1000  # characters of one pattern
_OPTIONS = re2.Options()
_OPTIONS.max_mem = 1 << 20  # bytes for a compiled pattern: bounds what ``x{1000}{1000}`` would take
_OPTIONS.log_errors = False


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> Any:
    return re2.compile(pattern, options=_OPTIONS)


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot check answers, or None when it can."""
    if len(pattern) > MAX_PATTERN:
        return f"is longer than {MAX_PATTERN} characters"
    try:
        _compiled(pattern)
    except re2.error as error:
        return f"cannot be used ({error}; backreferences and lookaround are not supported)"
    try:
        re.compile(pattern)  # as checking the schema does (JSON Schema's "regex" format)
    except RecursionError:
        return "is nested too deeply"
    except re.error as error:
        return f"cannot be used ({error})"
    return None


def matches(pattern: str, answer: str) -> bool:
    """Whether ``answer`` contains a match of ``pattern`` (JSON Schema's ``pattern`` is not anchored).
    A form deployed before patterns were checked may hold one RE2 cannot take: Python's matcher checks it,
    as it did then, rather than the form failing."""
    try:
        compiled = _compiled(pattern)
    except re2.error:
        return re.search(pattern, answer) is not None
    return compiled.search(answer) is not None


def schema_pattern_problems(schema: Any) -> list[str]:
    """A sentence for each pattern of the schema that cannot be used, saying where it is."""
    return list(_problems(schema, ""))


def _problems(node: Any, where: str) -> Iterator[str]:
    if isinstance(node, list):
        for number, item in enumerate(node):
            yield from _problems(item, f"{where}[{number}]")
        return
    if not isinstance(node, dict):
        return
    pattern = node.get("pattern")
    if isinstance(pattern, str) and (problem := pattern_problem(pattern)) is not None:
        yield f"the pattern '{pattern[:60]}' at {where or 'the top'} {problem}"
    if "patternProperties" in node:
        yield f"patternProperties at {where or 'the top'} is not supported in forms: name each field instead"
    for key, value in node.items():
        if key not in ("pattern", "patternProperties", "const", "default", "enum", "examples"):
            yield from _problems(value, f"{where}.{key}" if where else key)
