import datetime as dt

import pytest

from app.engine.runtime import RestrictedEnvironment
from app.engine.sandbox import UnsafeCode, compile_expression, compile_script, function_library

NOW = dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC)


def _environment(sent=None):
    return RestrictedEnvironment(
        function_library(lambda: NOW, lambda kind, task: sent.append((kind, task)) if sent is not None else None)
    )


@pytest.mark.parametrize(
    "source",
    [
        "import os",
        "from os import path",
        "x = ().__class__.__bases__[0].__subclasses__()",
        "while True:\n    pass",
        "global x\nx = 1",
        "x = _secret",
        "class A:\n    pass",
    ],
)
def test_unsafe_scripts_are_refused(source):
    with pytest.raises(UnsafeCode):
        compile_script(source)


@pytest.mark.parametrize("source", ["().__class__", "getattr(x, '__class__')", "x._private", "__import__('os')"])
def test_unsafe_expressions_are_refused_or_fail(source):
    environment = _environment()
    with pytest.raises((UnsafeCode, NameError, AttributeError)):
        environment.evaluate(source, {"x": 1})


def test_scripts_update_task_data_and_can_use_the_library():
    sent = []
    environment = _environment(sent)
    data = {"first_court_appearance": "2027-03-01", "items": [1, 2, 3]}
    environment.execute(
        "due = add_working_days(first_court_appearance, 5)\n"
        "total = 0\nfor i in items:\n    total += i\n"
        "names = [str(i) for i in range(3)]\n"
        "notify('reminder', 'triage')\n",
        data,
    )
    assert data["due"] == "2027-03-08" and data["total"] == 6 and data["names"] == ["0", "1", "2"]
    assert "add_working_days" not in data and not any(k.startswith("_") for k in data)
    assert sent == [("reminder", "triage")]
    assert environment.evaluate("today()", {}) == "2027-03-01"


def test_range_is_bounded():
    with pytest.raises(ValueError):
        _environment().execute("x = list(range(10 ** 9))", {})


def test_expression_cache_compiles_once():
    assert compile_expression("a + 1") is compile_expression("a + 1")


@pytest.mark.parametrize(
    "source", ["open('/etc/passwd')", "x = eval('1')", "exec('x = 1')", "y = compile('1', 'f', 'eval')"]
)
def test_calls_to_functions_outside_the_library_are_refused_at_deploy(source):
    with pytest.raises(UnsafeCode, match="not available here"):
        compile_script(source)


def test_functions_a_script_defines_may_be_called():
    compile_script(
        "def double(n):\n    return n * 2\nx = double(2)\ny = sorted([3, 1])\nz = add_working_days(today(), 1)"
    )
