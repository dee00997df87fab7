"""Answer patterns that would make Python's backtracking matcher take exponential or high-polynomial time
are refused when the form is deployed; the patterns forms use are not."""

import re
import time

import pytest

from app.form_model.patterns import pattern_problem

CATASTROPHIC = [
    "(a+)+$",  # a repeat inside a repeat
    "^(\\d+)*$",
    "^(\\w+\\s?)+$",
    "(.*a){12}$",
    "^(?:x+x+)+y$",
    "(a|a)*$",  # alternatives that can begin alike, repeated
    "(a|aa)+$",
    "^(a|b|ab)*c$",
    "^(a?){25}a{25}$",  # a repeat of something that can match nothing
    "(\\s*,?\\s*)+$",
    "\\d+\\d+x",  # two repeats in a row over the same characters: every split of the answer is tried
    "^\\d+\\d*\\d+\\d+\\d+$",
    "^.*.*.*.*=$",
    "^.+@.+\\..+$",
    "(\\d+|x)\\d+$",
    "(?i)[a-z]+[A-Z]+!",
]
SAFE = [
    "^\\s*[Rr]-[0-9A-Fa-f]{8}\\s*$",  # the patterns of the SFO forms
    "^[A-Za-z0-9][A-Za-z0-9/_-]*$",
    "^\\S(.*\\S)?$",
    "^[A-Z][0-9]{6}$",
    "^[0-9]{2}([0-9]{2})?/[0-9]{1,7}[A-Z]$",
    "^\\d{4}-\\d{2}-\\d{2}$",
    "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$",
    "^(ab|cd)+$",
    "^([A-Z]{2}\\d{2} ?)+$",
    "^\\d+(\\.\\d+)?$",
    "^[a-z]+( [a-z]+)*$",
]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_patterns_that_backtrack_catastrophically_are_refused(pattern):
    assert pattern_problem(pattern) is not None


@pytest.mark.parametrize("pattern", SAFE)
def test_patterns_forms_use_are_accepted(pattern):
    assert pattern_problem(pattern) is None


@pytest.mark.parametrize("pattern", SAFE)
def test_an_accepted_pattern_checks_the_longest_answer_quickly(pattern):
    began = time.perf_counter()
    for answer in ("a" * 1000, "1" * 1000, " " * 1000, "@." * 500, "a " * 500, "aB" * 500):
        re.search(pattern, answer)
    assert time.perf_counter() - began < 0.5


@pytest.mark.parametrize("pattern", ["(", "a{2,1}", "(" * 5000 + ")" * 5000, "(?P<a>x)(?P=a)+"])
def test_a_broken_or_unreadable_pattern_is_a_problem_not_a_crash(pattern):
    assert pattern_problem(pattern) is not None
