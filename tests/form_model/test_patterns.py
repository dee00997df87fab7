"""Answer patterns are matched with RE2, in time linear in the answer: the patterns that would make
Python's backtracking matcher take exponential time check a crafted answer at once, and a pattern RE2
cannot take is refused when the form is deployed."""

import json
import time

import pytest

from app.form_model.patterns import matches, pattern_problem, schema_pattern_problems
from app.services.forms import validate_form_data

CATASTROPHIC_FOR_BACKTRACKING = [
    "(a+)+$",
    "^(\\d+)*$",
    "^(\\w+\\s?)+$",
    "(.*a){12}$",
    "^(?:x+x+)+y$",
    "(a|aa)+$",
    "^(a|b|ab)*c$",
    "^(a?){25}a{25}$",
    "(\\s*,?\\s*)+$",
    "\\d+\\d+x",
    "^.*.*.*.*=$",
    "^.+@.+\\..+$",
]
FORMS_PATTERNS = [
    "^\\s*[Rr]-[0-9A-Fa-f]{8}\\s*$",
    "^[A-Za-z0-9][A-Za-z0-9/_-]*$",
    "^\\S(.*\\S)?$",
    "^[A-Z][0-9]{6}$",
    "^[0-9]{2}([0-9]{2})?/[0-9]{1,7}[A-Z]$",
]
CRAFTED = ["a" * 50_000 + "!", "1" * 50_000, " ," * 25_000 + "!", "x" * 50_000, "@." * 25_000]


@pytest.mark.parametrize("pattern", CATASTROPHIC_FOR_BACKTRACKING + FORMS_PATTERNS)
def test_any_usable_pattern_checks_a_crafted_long_answer_at_once(pattern):
    assert pattern_problem(pattern) is None
    schema = {"type": "object", "properties": {"crn": {"type": "string", "title": "CRN", "pattern": pattern}}}
    began = time.perf_counter()
    for answer in CRAFTED:
        validate_form_data(schema, {"crn": answer})
    assert time.perf_counter() - began < 1  # Python's re takes minutes to years on the first ones


def test_patterns_keep_their_meaning():
    assert matches("^[A-Z][0-9]{6}$", "X123456") and not matches("^[A-Z][0-9]{6}$", "X12345")
    assert matches("[0-9]", "a1b")  # not anchored unless the pattern says so, as JSON Schema has it
    schema = {"type": "object", "properties": {"crn": {"type": "string", "title": "CRN", "pattern": "^[A-Z]$"}}}
    assert validate_form_data(schema, {"crn": "ab"}) == {"crn": ["CRN is not in the expected format"]}
    assert validate_form_data(schema, {"crn": "A"}) == {}


@pytest.mark.parametrize(
    "pattern",
    [
        "(",
        "a{2,1}",
        "(?P<a>x)(?P=a)+",
        "^(?=.*\\d).+$",
        "(?<!x)y",
        "x" * 1001,
        "((a{1000}){1000}){1000}",
        "(" * 499 + ")" * 499,
    ],
)
def test_a_broken_or_unsupported_pattern_is_a_problem_not_a_crash(pattern):
    assert pattern_problem(pattern) is not None


def test_a_form_deployed_before_with_a_lookahead_still_checks_its_answers():
    schema = {
        "type": "object",
        "properties": {"code": {"type": "string", "title": "Code", "pattern": "^(?=.*\\d)[a-z0-9]+$"}},
    }
    assert validate_form_data(schema, {"code": "abc1"}) == {}
    assert validate_form_data(schema, {"code": "abc"}) == {"code": ["Code is not in the expected format"]}


def test_a_pattern_too_deep_for_python_s_parser_is_refused_at_deploy_not_a_crash():
    from tests.engine.test_definitions import _files, _problems

    files = _files()
    deep = "(" * 499 + ")" * 499  # RE2 takes it; checking the schema would compile it with Python's re
    files["triage.schema.json"] = json.dumps(
        {"type": "object", "properties": {"a": {"type": "string", "pattern": deep}}}
    )
    assert any("nested too deeply" in problem for problem in _problems(files))


def test_deploying_names_each_unusable_pattern_and_refuses_pattern_properties():
    schema = {
        "type": "object",
        "properties": {
            "crn": {"type": "string", "pattern": "^(?=x)x$"},
            "rows": {"type": "array", "items": {"type": "object", "patternProperties": {"^x": {"type": "string"}}}},
            "fine": {"type": "string", "pattern": "^[a-z]+$", "enum": ["a"], "default": "(?=x)"},
        },
    }
    problems = schema_pattern_problems(schema)
    assert len(problems) == 2
    assert problems[0].startswith("the pattern '^(?=x)x$' at properties.crn cannot be used")
    assert problems[1].startswith("patternProperties at properties.rows.items is not supported")
