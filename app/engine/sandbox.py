"""The restricted Python in which diagram scripts and expressions run.

Diagrams are untrusted input. Every script, condition, timer, DMN and multi-instance expression is
compiled with RestrictedPython (no names or attributes starting with ``_``, guarded item and
attribute access) and checked for statements we never allow (imports, ``while`` loops, ``global``).
Only the builtins and the vetted function library below are visible.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable, Iterable
from functools import lru_cache
from types import CodeType, ModuleType
from typing import Any

from dateutil.relativedelta import relativedelta
from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.PrintCollector import PrintCollector

from . import calendar

MAX_RANGE = 10_000
FORBIDDEN_NODES: dict[type, str] = {
    ast.Import: "imports are not allowed",
    ast.ImportFrom: "imports are not allowed",
    ast.While: "'while' loops are not allowed; loop over a list instead",
    ast.Global: "'global' is not allowed",
    ast.Nonlocal: "'nonlocal' is not allowed",
    ast.AsyncFunctionDef: "async code is not allowed",
    ast.Await: "async code is not allowed",
    ast.ClassDef: "classes are not allowed",
}
UNSAFE_BUILTINS = {"setattr", "delattr", "__build_class__", "id", "hash", "_getattr_"}


class UnsafeCode(ValueError):
    """Source that the restricted compiler or our statement check refuses."""


def _limited_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise ValueError(f"range() is limited to {MAX_RANGE} items")
    return result


def _inplace(op: str, left: Any, right: Any) -> Any:
    operations: dict[str, Callable[[Any, Any], Any]] = {
        "+=": lambda a, b: a + b,
        "-=": lambda a, b: a - b,
        "*=": lambda a, b: a * b,
        "/=": lambda a, b: a / b,
        "//=": lambda a, b: a // b,
        "%=": lambda a, b: a % b,
    }
    if op not in operations:
        raise ValueError(f"operator {op} is not allowed")
    return operations[op](left, right)


def add_months(day: str, months: int) -> str:
    return (calendar.as_date(day) + relativedelta(months=int(months))).isoformat()


def _builtins() -> dict[str, Any]:
    names = {k: v for k, v in safe_builtins.items() if k not in UNSAFE_BUILTINS}
    names.update(
        range=_limited_range,
        list=list, tuple=tuple, dict=dict, set=set, frozenset=frozenset,
        sorted=sorted, reversed=reversed, enumerate=enumerate, zip=zip, map=map, filter=filter,
        min=min, max=max, sum=sum, any=any, all=all,
    )
    return names


def base_globals() -> dict[str, Any]:
    """Guards and builtins every restricted script sees."""
    return {
        "__builtins__": _builtins(),
        "_getattr_": safer_getattr,
        "_getitem_": lambda obj, key: obj[key],
        "_getiter_": iter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": full_write_guard,
        "_inplacevar_": _inplace,
        "_print_": PrintCollector,
        "_apply_": lambda func, *args, **kwargs: func(*args, **kwargs),
    }


def function_library(now: Callable[[], dt.datetime], notify: Callable[[str, str], None]) -> dict[str, Any]:
    """The vetted functions diagram code may call; ``now`` is the service clock."""
    return {
        "today": lambda: now().astimezone(calendar.LONDON).date().isoformat(),
        "now": lambda: now().isoformat(),
        "add_working_days": calendar.add_working_days,
        "working_days_between": calendar.working_days_between,
        "is_working_day": calendar.is_working_day,
        "due_reminder_at": calendar.due_reminder_at,
        "overdue_at": calendar.overdue_at,
        "add_months": add_months,
        "notify": notify,
    }


def holds(condition: str, values: dict[str, Any]) -> bool:
    """Whether a restricted condition holds on plain values (case data or a message payload), without the
    clock or notices. A condition that fails, for example on a value that is not set yet, does not hold."""
    scope = {**base_globals(), **function_library(_no_clock, _no_notice), **values}
    try:
        return bool(eval(compile_expression(condition), scope))  # noqa: S307 - restricted code
    except Exception:  # noqa: BLE001 - any failure means the condition does not hold
        return False


def _no_clock() -> dt.datetime:
    raise ValueError("this condition cannot read the clock")


def _no_notice(kind: str, target: str) -> None:
    raise ValueError("this condition cannot send notices")


LIBRARY_NAMES = frozenset(function_library(dt.datetime.now, lambda kind, task: None))
CALLABLE_NAMES = LIBRARY_NAMES | frozenset(_builtins())


def check_statements(source: str, mode: str) -> None:
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as error:
        raise UnsafeCode(f"syntax error on line {error.lineno}: {error.msg}") from None
    for node in ast.walk(tree):
        for node_type, message in FORBIDDEN_NODES.items():
            if isinstance(node, node_type):
                raise UnsafeCode(f"line {getattr(node, 'lineno', 1)}: {message}")
    unknown = sorted(_called_names(tree) - _defined_names(tree) - CALLABLE_NAMES)
    if unknown:
        raise UnsafeCode(f"calls {', '.join(unknown)}, which {'is' if len(unknown) == 1 else 'are'} not available here")


def _called_names(tree: ast.AST) -> set[str]:
    return {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def _defined_names(tree: ast.AST) -> set[str]:
    """Names a script defines itself (functions, variables, parameters): it may call those."""
    names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    names |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments) for a in (*n.args, *n.kwonlyargs)}
    return names


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> CodeType:
    check_statements(source, "eval")
    result = compile_restricted_eval(source)
    if result.errors or result.code is None:
        raise UnsafeCode("; ".join(result.errors) or "could not be compiled")
    return result.code


@lru_cache(maxsize=4096)
def compile_script(source: str) -> CodeType:
    check_statements(source, "exec")
    result = compile_restricted_exec(source)
    if result.errors or result.code is None:
        raise UnsafeCode("; ".join(result.errors) or "could not be compiled")
    return result.code


def is_data_value(name: str, value: Any, hidden: Iterable[str]) -> bool:
    """Whether a name left behind by a script belongs in task data."""
    return not (
        name.startswith("_") or name in hidden or callable(value) or isinstance(value, ModuleType)
    )
