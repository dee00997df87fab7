"""A CPU-time and memory budget for each engine step and the diagram code it runs.

The restricted compiler refuses what is plainly dangerous and guards the operators that build huge
values, but a pure-Python loop needs no operator to run for ever, and an engine step can be made to
create a million tasks. A watchdog thread, one per process, watches every thread running under a
budget: when the thread's own CPU time, or the process's resident memory, grows past the budget, it
raises ``BudgetExceeded`` in that thread (CPython's asynchronous exception, delivered at the next
bytecode boundary, so loops cannot escape it). The exception derives from ``BaseException``, and the
restricted compiler refuses handlers that could catch it, so diagram code unwinds.

Where the exception lands decides what is left:
- in diagram code (the usual case: that is where time goes), the environment turns it into an
  ordinary script error (``ScriptTooCostly``); SpiffWorkflow marks that element in error and the case
  can be corrected and retried;
- anywhere else in the step (the engine creating a million tasks), only after a grace period in which
  the thread did not enter diagram code; the step's state is then half-changed and is thrown away
  (``StepTooCostly``).

A process-wide address-space limit (``limit_process_memory``) backs this up for one allocation in C.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import os
import resource
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import CodeType, FrameType
from typing import TypeVar

T = TypeVar("T")
DIAGRAM_CODE = "<diagram>"  # the file name the restricted compiler gives diagram code
_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICK_SECONDS = 0.01
_GRACE_SECONDS = 0.25  # how long to wait for the thread to be in diagram code before stopping the engine itself


@dataclass(frozen=True)
class Budget:
    cpu_seconds: float
    memory_bytes: int


class BudgetExceeded(BaseException):  # noqa: N818 - raised into running code, not a programming error
    """Raised into a thread that went over its budget."""


class ScriptTooCostly(Exception):  # noqa: N818 - its message is shown to process owners as it is
    """Diagram code used more CPU time or memory than it may."""


class StepTooCostly(ScriptTooCostly):
    """An engine step used more CPU time or memory than it may; its state is not usable."""


_statm: tuple[int, int] | None = None  # (process id, descriptor of its /proc/PID/statm), kept open


def _resident_bytes() -> int:
    """The process's resident memory. Read at the start of every engine step, so the file stays open and is
    read again from its start (an eighth of the time of opening it each time); a forked child opens its own."""
    global _statm
    pid = os.getpid()
    if _statm is None or _statm[0] != pid:
        if _statm is not None:
            os.close(_statm[1])  # the parent's, inherited through fork
        _statm = (pid, os.open(f"/proc/{pid}/statm", os.O_RDONLY | os.O_CLOEXEC))
    return int(os.pread(_statm[1], 128, 0).split()[1]) * _PAGE


@dataclass(eq=False)
class _Watch:
    budget: Budget
    anchor: FrameType  # the frame of the call the budget covers
    thread_id: int = field(default_factory=threading.get_ident)
    clock_id: int = 0
    cpu_at_start: float = 0.0
    memory_at_start: int = 0
    exceeded: str | None = None
    exceeded_at: float = 0.0
    handled: bool = False  # the diagram code's error stands for it: stop raising

    def __post_init__(self) -> None:
        self.clock_id = time.pthread_getcpuclockid(self.thread_id)
        self.cpu_at_start = time.clock_gettime(self.clock_id)
        self.memory_at_start = _resident_bytes()


class _Watchdog:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.wake = threading.Condition(self.lock)
        self.watches: list[_Watch] = []
        self.pid: int | None = None

    def watch(self, watch: _Watch) -> None:
        with self.lock:
            if self.pid != os.getpid():  # none yet, or a forked child: threads do not survive fork
                self.pid = os.getpid()
                threading.Thread(target=self._run, name="sfo-budget-watchdog", daemon=True).start()
            self.watches.append(watch)
            if len(self.watches) == 1:
                self.wake.notify()

    def unwatch(self, watch: _Watch) -> None:
        with self.lock:
            if watch in self.watches:
                self.watches.remove(watch)
            if watch.exceeded:  # an exception raised but not yet delivered must not land after the code ran
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(watch.thread_id), None)

    def _run(self) -> None:
        with self.lock:
            while True:
                while not self.watches:
                    self.wake.wait()
                for watch in list(self.watches):
                    self._check(watch)
                self.wake.wait(_TICK_SECONDS)

    def _check(self, watch: _Watch) -> None:
        if watch.exceeded is None:
            used = time.clock_gettime(watch.clock_id) - watch.cpu_at_start
            grown = _resident_bytes() - watch.memory_at_start
            if used > watch.budget.cpu_seconds:
                watch.exceeded = f"used more than {watch.budget.cpu_seconds:g} s of CPU time"
            elif grown > watch.budget.memory_bytes:
                watch.exceeded = f"used more than {watch.budget.memory_bytes // (1024 * 1024)} MB of memory"
            watch.exceeded_at = time.monotonic()
        if watch.exceeded and not watch.handled and _interruptible(watch):
            # Raised again on every tick until the thread has left the code the budget covers.
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(watch.thread_id), ctypes.py_object(BudgetExceeded)
            )


def _interruptible(watch: _Watch) -> bool:
    """Whether to raise now: the thread is inside the covered call, in diagram code (or has stayed out
    of it for the grace period), and not in this module's own bookkeeping nor in a finaliser or garbage
    collector callback (an exception there cannot unwind the step: it is dropped and handed to
    ``sys.unraisablehook``, which is no part of the step either)."""
    frame = sys._current_frames().get(watch.thread_id)
    if frame is None or frame.f_code.co_filename == __file__:
        return False
    in_diagram_code = frame.f_code.co_filename == DIAGRAM_CODE
    if not in_diagram_code and time.monotonic() - watch.exceeded_at < _GRACE_SECONDS:
        return False
    not_the_step = {_code_of(callback) for callback in (*gc.callbacks, sys.unraisablehook)}
    while frame is not None:
        if frame is watch.anchor:
            return True
        if frame.f_code in not_the_step or frame.f_code.co_name == "__del__":
            return False
        frame = frame.f_back
    return False


def _code_of(function: object) -> CodeType | None:
    while isinstance(function, functools.partial):  # pytest's unraisable hook is one
        function = function.func
    return getattr(function, "__code__", None)


_watchdog = _Watchdog()
_current = threading.local()


def run_within_budget(budget: Budget, code: Callable[[], T]) -> T:
    """Run ``code`` (an engine step, or diagram code on its own) under the budget.

    Interrupted outside diagram code, it raises ``StepTooCostly``; diagram code over the budget raises
    ``ScriptTooCostly`` from ``run_diagram_code``, which ``code`` may let through or report as it likes.
    """
    watch = _Watch(budget, sys._getframe())
    outer = getattr(_current, "watch", None)
    _current.watch = watch
    _watchdog.watch(watch)
    try:
        try:
            return code()
        finally:
            _current.watch = outer
            _unwatch(watch)
    except BudgetExceeded:
        _unwatch(watch)
        raise StepTooCostly(f"the step {watch.exceeded or 'went over its budget'}") from None


def run_diagram_code(budget: Budget, code: Callable[[], T]) -> T:
    """Run diagram code under the budget of the step it is part of (or under ``budget`` on its own)."""
    watch = getattr(_current, "watch", None)
    if watch is None:
        return run_within_budget(budget, lambda: run_diagram_code(budget, code))
    try:
        return code()
    except BudgetExceeded:
        watch.handled = True
        raise ScriptTooCostly(f"the diagram code {watch.exceeded or 'went over its budget'}") from None


def _unwatch(watch: _Watch) -> None:
    for _ in range(100):
        try:
            _watchdog.unwatch(watch)
            return
        except BudgetExceeded:
            continue


def limit_process_memory(megabytes: int | None) -> None:
    """Cap this process's address space, so an allocation no guard foresaw fails instead of the machine."""
    if megabytes:
        limit = megabytes * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        soft = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
