"""The restricted Python in which diagram scripts and expressions run.

Diagrams are untrusted input. Every script, condition, timer, DMN and multi-instance expression is
compiled with RestrictedPython (no names or attributes starting with ``_``, guarded item and
attribute access) and checked for statements we never allow (imports, ``while`` loops, ``global``).
Only the builtins and the vetted function library below are visible.
"""

from __future__ import annotations

import ast
import datetime as dt
import functools
import operator
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from types import CodeType, ModuleType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta
from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.PrintCollector import PrintCollector
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .. import working_days
from .budget import DIAGRAM_CODE, Budget, run_diagram_code

MAX_RANGE = 10_000
MAX_SEQUENCE = 1_000_000  # items (or characters) one operator may build
MAX_INT_BITS = 100_000  # about 30,000 digits
MAX_FORMAT_WIDTH = 10_000
# pow(base, exponent, modulus) takes about (exponent bits) x (modulus bits)² steps, in one C call: allow
# the work of an RSA-4096 power (a quarter of a second), not the hours of two 100,000-bit numbers
MAX_MODULAR_WORK = 4096**3
MAX_DATA_DEPTH = 40
MAX_DATA_NODES = 200_000
MAX_INSTANCES = 200  # of one multi-instance task
MIN_CYCLE_SECONDS = 3600  # a recurring timer repeats at most hourly
CONDITION_BUDGET = Budget(cpu_seconds=1.0, memory_bytes=64 * 1024 * 1024)  # a condition checked outside a step
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
UNSAFE_BUILTINS = {
    "setattr",
    "delattr",
    "__build_class__",
    "id",
    "hash",
    "_getattr_",
    # a script that could name these could catch the budget's interruption and run on
    "BaseException",
    "KeyboardInterrupt",
    "SystemExit",
    "GeneratorExit",
}
TEXTS = (str, bytes, bytearray)
SEQUENCES = (*TEXTS, list, tuple)
DATA_LEAVES = (str, int, float, bool, type(None), dt.date, dt.datetime, dt.timedelta)
_PRINTF_FIELD = re.compile(r"[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?")


class UnsafeCode(ValueError):
    """Source that the restricted compiler or our statement check refuses."""


def _limited_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise ValueError(f"range() is limited to {MAX_RANGE} items")
    return result


def _too_big(what: str) -> ValueError:
    return ValueError(f"{what} would be too large for a diagram script")


def guarded_add(left: Any, right: Any) -> Any:
    sequences = isinstance(left, SEQUENCES) and isinstance(right, SEQUENCES)
    if sequences and len(left) + len(right) > MAX_SEQUENCE:
        raise _too_big("the joined text or list")
    return left + right


def guarded_mul(left: Any, right: Any) -> Any:
    for sequence, times in ((left, right), (right, left)):
        if isinstance(sequence, SEQUENCES) and isinstance(times, int) and len(sequence) * times > MAX_SEQUENCE:
            raise _too_big("the repeated text or list")
    if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
        raise _too_big("the product")
    return left * right


def guarded_pow(base: Any, exponent: Any, modulo: Any = None) -> Any:
    if modulo is not None:
        return _modular_pow(base, exponent, modulo)
    integers = isinstance(base, int) and isinstance(exponent, int)
    if integers and exponent > 1 and exponent * abs(base).bit_length() > MAX_INT_BITS:
        raise _too_big("the power")
    return pow(base, exponent)


def _modular_pow(base: Any, exponent: Any, modulo: Any) -> Any:
    integers = isinstance(exponent, int) and isinstance(modulo, int)
    if integers and abs(exponent).bit_length() * abs(modulo).bit_length() ** 2 > MAX_MODULAR_WORK:
        raise _too_big("the modular power")
    return pow(base, exponent, modulo)


def guarded_sum(items: Iterable[Any], /, start: Any = 0) -> Any:
    """sum(), joining lists or tuples in one pass up to MAX_SEQUENCE items: Python's sum copies the list so
    far at every step, quadratic work in one C call. Numbers are summed by Python's own, which refuses text."""
    if not isinstance(start, list | tuple):
        return sum(items, start)
    kind, joined = type(start), list(start)
    for item in items:
        if not isinstance(item, kind):  # as start + item would
            raise TypeError(f'can only concatenate {kind.__name__} (not "{type(item).__name__}") to {kind.__name__}')
        if len(joined) + len(item) > MAX_SEQUENCE:
            raise _too_big("the joined list")
        joined.extend(item)
    return joined if kind is list else tuple(joined)


def guarded_lshift(value: Any, places: Any) -> Any:
    if isinstance(value, int) and isinstance(places, int) and value.bit_length() + places > MAX_INT_BITS:
        raise _too_big("the shifted number")
    return value << places


def guarded_mod(left: Any, right: Any) -> Any:
    if isinstance(left, TEXTS):
        text = left if isinstance(left, str) else left.decode("latin-1")  # bytes: the same format, one byte a letter
        for width, precision in _printf_widths(text):
            if "*" in (width, precision) or max(int(width or 0), int(precision or 0)) > MAX_FORMAT_WIDTH:
                raise _too_big("the formatted text")
    return left % right


def _printf_widths(text: str) -> Iterator[tuple[str, str]]:
    """The width and precision of each conversion of a %-format, read as Python reads them: after its
    mapping key, if any (up to the bracket closing the first, brackets inside counted), and with '%%'
    a conversion too (a literal '%': what follows it is text)."""
    start = text.find("%")
    while start >= 0:
        position = start + 1
        if text.startswith("(", position):
            position = _after_mapping_key(text, position)
        field = _PRINTF_FIELD.match(text, position)
        assert field is not None  # every part of the pattern is optional
        yield field.group(1) or "", field.group(2) or ""
        start = text.find("%", field.end() + 1)  # after the conversion's letter


def _after_mapping_key(text: str, opening: int) -> int:
    depth = 0
    for index in range(opening, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return index + 1
    return len(text)


def guarded_getattr(obj: Any, name: str, default: Any = None, getattr: Any = getattr) -> Any:  # noqa: A002
    """RestrictedPython's attribute guard, with the text (and bytes) methods that can build huge values
    bounded, whether called on a value ('a'.ljust(n)) or on its type (str.ljust('a', n))."""
    value = safer_getattr(obj, name, default, getattr)
    if name not in _RESULT_SIZES:
        return value
    if isinstance(obj, TEXTS):
        return _bounded(obj, name, value)
    if obj in TEXTS:
        return lambda text, *args, **kwargs: _bounded(text, name, functools.partial(value, text))(*args, **kwargs)
    return value


def _bounded(text: Any, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` of ``text``, refusing beforehand a call whose result would be longer than MAX_SEQUENCE:
    it would be built in one C call, which the budget's watchdog cannot interrupt."""

    def call(*args: Any, **kwargs: Any) -> Any:
        if not isinstance(text, TEXTS):
            return method(*args, **kwargs)  # str.ljust(5, 2): the method's own error
        if name == "join" and args:
            args = (list(args[0]), *args[1:])  # counted, then joined: an iterator is read once
        if _RESULT_SIZES[name](text, *args, **kwargs) > MAX_SEQUENCE:
            raise _too_big(f"the text {name}() would make")
        return method(*args, **kwargs)

    return call


def _padded_size(text: Any, width: Any, *fill: Any) -> int:
    return max(len(text), operator.index(width))


def _expanded_size(text: Any, tabsize: Any = 8) -> int:
    tab = "\t" if isinstance(text, str) else b"\t"
    return len(text) + text.count(tab) * max(operator.index(tabsize), 0)


def _replaced_size(text: Any, old: Any, new: Any, count: Any = -1) -> int:
    found = text.count(old)  # len(text) + 1 for an empty ``old``, as replace inserts it
    if operator.index(count) >= 0:
        found = min(found, count)
    return len(text) + found * (len(new) - len(old))


def _joined_size(separator: Any, items: list[Any]) -> int:
    return len(separator) * max(len(items) - 1, 0) + sum(len(item) for item in items if isinstance(item, TEXTS))


def _translated_size(text: Any, table: Any, *delete: Any) -> int:
    if not isinstance(text, str):
        return len(text)  # bytes are translated one for one
    size = 0
    for character, times in Counter(text).items():
        try:
            new = table[ord(character)]
        except LookupError:
            new = character
        size += times * (len(new) if isinstance(new, str) else 1)
    return size


def _hex_size(data: Any, *separator: Any, **named: Any) -> int:
    return len(data) * (3 if separator or named else 2)


_RESULT_SIZES: dict[str, Callable[..., int]] = {
    "ljust": _padded_size,
    "rjust": _padded_size,
    "center": _padded_size,
    "zfill": _padded_size,
    "expandtabs": _expanded_size,
    "replace": _replaced_size,
    "join": _joined_size,
    "translate": _translated_size,
    "hex": _hex_size,
}


def _inplace(op: str, left: Any, right: Any) -> Any:
    operations: dict[str, Callable[[Any, Any], Any]] = {
        "+=": guarded_add,
        "-=": lambda a, b: a - b,
        "*=": guarded_mul,
        "/=": lambda a, b: a / b,
        "//=": lambda a, b: a // b,
        "%=": guarded_mod,
        "**=": guarded_pow,
    }
    if op not in operations:
        raise ValueError(f"operator {op} is not allowed")
    return operations[op](left, right)


def add_months(day: str, months: int) -> str:
    return (working_days.as_date(day) + relativedelta(months=int(months))).isoformat()


# Who completed the task (or sent the message) that the engine is running diagram code for: what
# ``get_current_user()`` answers. Set by the service around each step; the dry run has no one.
_current_user: ContextVar[str | None] = ContextVar("sfo_current_user", default=None)
_TIME_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}")


@contextmanager
def acting_user(username: str | None) -> Iterator[None]:
    token = _current_user.set(username)
    try:
        yield
    finally:
        _current_user.reset(token)


def get_current_user() -> dict[str, str]:
    """SpiffArena's helper, as far as this service shares it: the user's name, nothing personal."""
    return {"username": _current_user.get() or "system"}


def get_localtime(*args: Any, **kwargs: Any) -> dt.datetime:
    """SpiffArena's helper: a date-time (or ISO text) in the named time zone, e.g. Europe/London; called
    as ``get_localtime(moment, zone)`` or ``get_localtime(datetime=moment, timezone=zone)``."""
    moment = kwargs.get("datetime", args[0] if args else None)
    time_zone = kwargs.get("timezone", args[1] if len(args) > 1 else None)
    if not isinstance(time_zone, str) or not _TIME_ZONE.fullmatch(time_zone):
        raise ValueError(f"{time_zone!r} is not a time zone name such as Europe/London")
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"there is no time zone called {time_zone}") from None
    value = dt.datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if not isinstance(value, dt.datetime):
        raise ValueError("get_localtime needs a date-time or ISO date-time text")
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(zone)


def naive_or_in(moment: dt.datetime, tz: dt.tzinfo | None) -> dt.datetime:
    """``datetime.now(tz)`` of a moment: in ``tz`` when given, else naive in the server's local zone."""
    return moment.astimezone(tz) if tz is not None else moment.astimezone().replace(tzinfo=None)


class _DatetimeOnTheServiceClock(type):
    """The type of the ``datetime`` diagram code sees. Everything it offers is ``datetime``'s own, so it
    builds, parses and checks values as ``datetime`` does, and what it makes is a plain ``datetime`` that the
    engine can store; only ``now``, ``today`` and ``utcnow`` (defined on each class) read the service clock."""

    def __instancecheck__(cls, value: Any) -> bool:
        return isinstance(value, dt.datetime)

    def __call__(cls, *args: Any, **kwargs: Any) -> dt.datetime:
        return dt.datetime(*args, **kwargs)

    def __getattr__(cls, name: str) -> Any:
        return getattr(dt.datetime, name)


def service_datetime(now: Callable[[], dt.datetime]) -> type:
    """``datetime`` for diagram code, reading ``now``: SpiffArena's models call ``datetime.now()``, and a dry
    run or a test must see the engine's time there, as timers and ``time.time()`` do."""

    def now_in(tz: dt.tzinfo | None = None) -> dt.datetime:
        return naive_or_in(now(), tz)

    return _DatetimeOnTheServiceClock(
        "datetime",
        (),
        {
            "now": staticmethod(now_in),
            "today": staticmethod(lambda: now_in()),
            "utcnow": staticmethod(lambda: now().astimezone(dt.UTC).replace(tzinfo=None)),
        },
    )


class ServiceTime:
    """The part of Python's ``time`` module a diagram may use: the service clock, and no ``sleep``."""

    def __init__(self, now: Callable[[], dt.datetime]):
        self._now = now

    def time(self) -> float:
        return self._now().timestamp()

    def strftime(self, pattern: str) -> str:
        return self._now().strftime(str(pattern)[:200])

    def sleep(self, seconds: float) -> None:
        raise ValueError("time.sleep is not available: to wait, draw a timer event")


def timer_value(value: Any) -> Any:
    """What a timer expression gives, as the engine reads timers: SpiffArena's models compute them with
    ``timedelta`` and ``datetime``, which become an ISO duration or date-time here."""
    if isinstance(value, dt.timedelta):
        return f"PT{max(0, int(value.total_seconds()))}S"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _import_strptime(name: str, *args: Any, **kwargs: Any) -> ModuleType:
    """``datetime.strptime`` imports the ``_strptime`` module when first used, through the builtins of
    the code calling it; diagram code itself cannot import (nor name ``__import__``)."""
    if name != "_strptime":
        raise ImportError("imports are not allowed")
    import _strptime

    return _strptime


def _builtins() -> dict[str, Any]:
    names = {k: v for k, v in safe_builtins.items() if k not in UNSAFE_BUILTINS}
    names["__import__"] = _import_strptime
    names.update(
        range=_limited_range,
        pow=guarded_pow,
        list=list,
        tuple=tuple,
        dict=dict,
        set=set,
        frozenset=frozenset,
        sorted=sorted,
        reversed=reversed,
        enumerate=enumerate,
        zip=zip,
        map=map,
        filter=filter,
        min=min,
        max=max,
        sum=guarded_sum,
        any=any,
        all=all,
    )
    return names


def base_globals() -> dict[str, Any]:
    """Guards and builtins every restricted script sees."""
    return {
        "__builtins__": _builtins(),
        "_getattr_": guarded_getattr,
        "_add_": guarded_add,
        "_mul_": guarded_mul,
        "_pow_": guarded_pow,
        "_lshift_": guarded_lshift,
        "_mod_": guarded_mod,
        "_getitem_": lambda obj, key: obj[key],
        "_getiter_": iter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": full_write_guard,
        "_inplacevar_": _inplace,
        "_print_": PrintCollector,
        "_apply_": lambda func, *args, **kwargs: func(*args, **kwargs),
    }


def function_library(
    now: Callable[[], dt.datetime],
    notify: Callable[[str, str], None],
    settings: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The vetted functions diagram code may call; ``now`` is the service clock, ``settings`` the
    process's settings (of the version the case runs on). The last group is SpiffArena's safe set
    (``print`` too, in CALLABLE_NAMES: what it prints is kept out of logs and data, which may hold
    personal data), so that its models run here."""
    known = dict(settings or {})

    def setting(name: str) -> Any:
        if name not in known:
            raise ValueError(f"the process has no setting {name!r}")
        return known[name]

    return {
        "setting": setting,
        "today": lambda: now().astimezone(working_days.LONDON).date().isoformat(),
        "now": lambda: now().isoformat(),
        "add_working_days": working_days.add_working_days,
        "working_days_between": working_days.working_days_between,
        "is_working_day": working_days.is_working_day,
        "due_reminder_at": working_days.due_reminder_at,
        "overdue_at": working_days.overdue_at,
        "add_months": add_months,
        "notify": notify,
        "datetime": service_datetime(now),
        "timedelta": dt.timedelta,
        "time": ServiceTime(now),
        "get_current_user": get_current_user,
        "get_localtime": get_localtime,
    }


CATCHABLE_ERRORS = frozenset(
    name for name, value in _builtins().items() if isinstance(value, type) and issubclass(value, Exception)
)


def holds(condition: str, values: dict[str, Any]) -> bool:
    """Whether a restricted condition holds on plain values (case data or a message payload), without the
    clock or notices. A condition that fails, for example on a value that is not set yet, does not hold."""
    scope = {**base_globals(), **function_library(_no_clock, _no_notice), **values}
    try:
        code = compile_expression(condition)
        return bool(run_diagram_code(CONDITION_BUDGET, lambda: eval(code, scope)))  # noqa: S307 - restricted code
    except Exception:  # noqa: BLE001 - any failure (going over its budget too) means the condition does not hold
        return False


def _no_clock() -> dt.datetime:
    raise ValueError("this condition cannot read the clock")


def _no_notice(kind: str, target: str) -> None:
    raise ValueError("this condition cannot send notices")


LIBRARY_NAMES = frozenset(function_library(dt.datetime.now, lambda kind, task: None))
CALLABLE_NAMES = LIBRARY_NAMES | frozenset(_builtins()) | {"print"}


def check_statements(source: str, mode: str) -> None:
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as error:
        raise UnsafeCode(f"syntax error on line {error.lineno}: {error.msg}") from None
    for node in ast.walk(tree):
        message = _node_problem(node)
        if message is not None:
            raise UnsafeCode(f"line {getattr(node, 'lineno', 1)}: {message}")
    unknown = sorted(_called_names(tree) - _defined_names(tree) - CALLABLE_NAMES)
    if unknown:
        raise UnsafeCode(f"calls {', '.join(unknown)}, which {'is' if len(unknown) == 1 else 'are'} not available here")


def _node_problem(node: ast.AST) -> str | None:
    for node_type, message in FORBIDDEN_NODES.items():
        if isinstance(node, node_type):
            return message
    if isinstance(node, ast.ExceptHandler) and not _catches_only_errors(node.type):
        return "catch a named error, such as ValueError or KeyError ('except:' alone is not allowed)"
    if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
        return _format_spec_problem(node.format_spec)
    return None


def _catches_only_errors(caught: ast.expr | None) -> bool:
    names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
    return all(isinstance(n, ast.Name) and n.id in CATCHABLE_ERRORS for n in names)


def _format_spec_problem(spec: ast.expr) -> str | None:
    parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
    if not all(isinstance(p, ast.Constant) for p in parts):
        return "a format specification must be fixed text"
    widths = [int(w) for p in parts for w in re.findall(r"\d+", str(p.value))]  # type: ignore[attr-defined]
    return "a format width or precision is too large" if widths and max(widths) > MAX_FORMAT_WIDTH else None


def _called_names(tree: ast.AST) -> set[str]:
    return {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def _defined_names(tree: ast.AST) -> set[str]:
    """Names a script defines itself (functions, variables, parameters): it may call those."""
    names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    names |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments) for a in (*n.args, *n.kwonlyargs)}
    return names


class _GuardedOperators(RestrictingNodeTransformer):
    """RestrictedPython's checks, with the operators that can build huge values routed through guards."""

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        guard = _GUARDED_OPERATORS.get(type(node.op))
        if guard is None:
            return node
        call = ast.Call(func=ast.Name(guard, ast.Load()), args=[node.left, node.right], keywords=[])
        return ast.fix_missing_locations(ast.copy_location(call, node))


_GUARDED_OPERATORS = {ast.Add: "_add_", ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_", ast.Mod: "_mod_"}


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> CodeType:
    check_statements(source, "eval")
    result = compile_restricted_eval(source, filename=DIAGRAM_CODE, policy=_GuardedOperators)
    if result.errors or result.code is None:
        raise UnsafeCode("; ".join(result.errors) or "could not be compiled")
    return result.code


@lru_cache(maxsize=4096)
def compile_script(source: str) -> CodeType:
    check_statements(source, "exec")
    result = compile_restricted_exec(source, filename=DIAGRAM_CODE, policy=_GuardedOperators)
    if result.errors or result.code is None:
        raise UnsafeCode("; ".join(result.errors) or "could not be compiled")
    return result.code


def check_data(values: dict[str, Any]) -> None:
    """What a script leaves in task data must be data: plain values, not too deep, not too many, and
    not referring to itself (the engine copies and stores it)."""
    nodes = 0
    stack: list[tuple[Any, int]] = [(value, 1) for value in values.values()]
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > MAX_DATA_NODES:
            raise ValueError(f"the script left more than {MAX_DATA_NODES:,} values in the case data")
        if depth > MAX_DATA_DEPTH:
            raise ValueError(
                f"the script left data nested more than {MAX_DATA_DEPTH} levels deep (or referring to itself)"
            )
        if isinstance(value, dict):
            if not all(isinstance(key, str) for key in value):
                raise ValueError("the script left a dictionary whose keys are not all text")
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list | tuple):
            stack.extend((item, depth + 1) for item in value)
        elif not isinstance(value, DATA_LEAVES):
            raise ValueError(f"the script left a {type(value).__name__} in the case data, which cannot be stored")


def check_instance_count(value: Any) -> None:
    if isinstance(value, int) and value > MAX_INSTANCES:
        raise ValueError(f"a multi-instance task may run at most {MAX_INSTANCES} instances, not {value:,}")


def check_cycle(value: Any) -> None:
    """A recurring timer (ISO 8601 'R/...') may repeat at most hourly."""
    _, _, every = TimerEventDefinition.parse_iso_recurring_interval(str(value))
    if every.total_seconds() < MIN_CYCLE_SECONDS:
        raise ValueError(f"a recurring timer may repeat at most every hour; '{value}' repeats more often")


def is_data_value(name: str, value: Any, hidden: Iterable[str]) -> bool:
    """Whether a name left behind by a script belongs in task data."""
    return not (name.startswith("_") or name in hidden or callable(value) or isinstance(value, ModuleType))
