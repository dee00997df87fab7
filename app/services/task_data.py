"""A ready task's own data as the engine holds it, kept in each process so that showing a task does not
load the case's whole engine state (most of the time of ``GET /tasks/<id>``).

A case's engine state and data are written only with a new lock version (the ORM counts every update of
the row; nothing updates it otherwise), so the case's id, lock version and last change, and the task's id,
name one task's data for good, in every process and thread. Only what was read from committed rows is
kept or used: a session that has flushed writes of its own may hold a lock version that a rollback would
undo and another transaction then reuse for other contents, and a row changed in the session is not the
version its lock version names.

What is kept is where the task's data differs from the case's data of that version (a liaison task's own
review, a date the process set: usually a few fields), copied in and out, so the cache stays small and no
reader can change what another reads.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

from cachetools import LRUCache
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, SessionTransaction

from ..models import Task

# Tasks whose data differs from their case's; a few hundred bytes each, so a few MB at most per process.
CACHED_TASKS = 4096
_FLUSHED = "sfo_flushed_in_transaction"
_MISSING = object()

_cache: LRUCache[tuple[Any, ...], dict[str, Any]] = LRUCache(maxsize=CACHED_TASKS)
_lock = threading.Lock()


def task_values_over_case(task: Task, load: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Values to lay over the case data to make the ready task's data: all of it as ``load`` reads it from
    the engine or, when it was read before for this version of the case, only where it differs."""
    instance = task.instance
    if not _reads_committed_rows(instance):
        return load()
    key = (instance.id, instance.lock_version, instance.updated_at, task.id)
    with _lock:
        own = _cache.get(key)
    if own is not None:
        return copy.deepcopy(own)
    data = load()
    case_data = instance.data or {}
    own = copy.deepcopy({k: v for k, v in data.items() if case_data.get(k, _MISSING) != v})
    with _lock:
        _cache[key] = own
    return data


def _reads_committed_rows(instance: Any) -> bool:
    state = inspect(instance)
    session = state.session
    return session is not None and state.persistent and not state.modified and not session.info.get(_FLUSHED)


def forget_all() -> None:
    """Empty the cache (tests that rewrite rows behind the ORM's back)."""
    with _lock:
        _cache.clear()


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: Any) -> None:
    session.info[_FLUSHED] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_flush(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction: its writes are committed or undone
        session.info.pop(_FLUSHED, None)
