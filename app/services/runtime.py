"""The per-application engine, clock and parsed-model cache that use cases share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from threading import Lock
from typing import Any, ParamSpec, TypeVar

from cachetools import LRUCache
from flask import Flask, current_app
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..clock import SystemClock
from ..engine import Engine, ProcessModel, parse_process_model
from ..engine.budget import Budget
from ..extensions import db
from ..models import ProcessDefinition, ProcessInstance
from ..working_days import as_date
from .errors import CaseStopped, Conflict, StepAbandoned

P = ParamSpec("P")
R = TypeVar("R")
# PostgreSQL's serialization failure and deadlock (the database undid one of two clashing transactions),
# and lock_timeout (another transaction held the case for longer than a request may wait).
CONCURRENCY_SQLSTATES = ("40001", "40P01", "55P03")
CONCURRENT_CHANGE = "The case was changed by someone else at the same time. Reload it and try again."
# Set while a request's own transaction encloses the use case (see ``request_transaction``).
_enclosed: ContextVar[bool] = ContextVar("sfo_enclosed_transaction", default=False)


# Parsed models kept per process (about 1 MB each for the SFO review): the versions that cases still
# run on are few; a version used less recently than this many others is parsed again when next used.
MODELS_KEPT = 8


class Runtime:
    def __init__(self, clock: Any, budget: Budget):
        self.clock = clock
        self.engine = Engine(clock, budget)
        self._models: LRUCache[str, ProcessModel] = LRUCache(maxsize=MODELS_KEPT)
        self._models_lock = Lock()  # the threads of a worker share the models

    def model_for(self, definition: ProcessDefinition) -> ProcessModel:
        """The parsed model of a deployed version, parsed once per process and kept by checksum."""
        checksum = definition.checksum
        with self._models_lock:
            model = self._models.get(checksum)  # a read makes it the most recently used
            if model is not None:
                return model
        from .groups import known_groups  # groups read the runtime's clock: imported when first used

        groups = known_groups()
        # A deployed version runs whatever groups became since: its lanes resolve as they can.
        model = parse_process_model(
            definition.files(), groups.titles, definition.key, groups.lane_names, strict_lanes=False
        )
        with self._models_lock:
            self._models[checksum] = model
        return model


def model_of_instance(instance: Any) -> ProcessModel:
    return runtime().model_for(instance.definition)


def init_runtime(app: Flask, clock: Any = None) -> None:
    budget = Budget(app.config["SFO_STEP_CPU_SECONDS"], app.config["SFO_STEP_MEMORY_MB"] * 1024 * 1024)
    app.extensions["sfo.runtime"] = Runtime(clock or SystemClock(), budget)


def runtime() -> Runtime:
    return current_app.extensions["sfo.runtime"]


def now() -> dt.datetime:
    return runtime().clock.now()


def london_today() -> dt.date:
    """Today's date in London: the day deadlines fall on and the process's own ``today()`` gives (the
    date in UTC is a day behind from midnight to 1am in British Summer Time)."""
    return as_date(now())


def transactional(func: Callable[P, R]) -> Callable[P, R]:
    """One use case, one transaction: commit on success, roll back on any error."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction():
            return func(*args, **kwargs)

    return wrapper


@contextmanager
def loaded_values_kept() -> Iterator[None]:
    """Commits inside leave what this request has loaded as it is, rather than expiring it to be read
    again: for a use case that changes only what it has just set on the loaded rows itself."""
    session = db.session()
    expiring, session.expire_on_commit = session.expire_on_commit, False
    try:
        yield
    finally:
        session.expire_on_commit = expiring


@contextmanager
def transaction() -> Iterator[None]:
    if _enclosed.get():  # the enclosing request transaction commits or rolls back the use case with it
        yield
        return
    try:
        yield
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict(CONCURRENT_CHANGE) from None
    except IntegrityError:
        db.session.rollback()
        raise Conflict("This clashes with a record that already exists.") from None
    except DBAPIError as error:
        db.session.rollback()
        if _sqlstate(error) in CONCURRENCY_SQLSTATES:
            raise Conflict(CONCURRENT_CHANGE) from None
        raise
    except StepAbandoned as abandoned:
        db.session.rollback()
        if _record_stopped_case(abandoned):
            raise CaseStopped(
                f"The case could not move on ({abandoned.message}). Nothing was changed; the case is now in error "
                "for a manager to look at."
            ) from None
        raise CaseStopped(
            f"The case could not be started ({abandoned.message}). Nothing was created; tell the process owner."
        ) from None
    except BaseException:
        db.session.rollback()
        raise


@contextmanager
def request_transaction() -> Iterator[None]:
    """One transaction around a use case and the answer built from it (and the idempotency record of
    that answer): either all of it commits or none of it does, so no answer is lost after a commit."""
    with transaction():
        token = _enclosed.set(True)
        try:
            yield
        finally:
            _enclosed.reset(token)


def _record_stopped_case(abandoned: StepAbandoned) -> bool:
    """Keep the case as it was before the abandoned step and put it in error, where monitoring shows it;
    false when the case did not exist before the step (its start was abandoned)."""
    from .audit import record_event

    row = db.session.get(ProcessInstance, abandoned.instance_id, with_for_update={"key_share": True})
    if row is None:
        return False
    row.status, row.error_element, row.error_message = "error", abandoned.element_id, abandoned.message
    row.updated_at = now()
    record_event(
        row, "system", "error", f"{abandoned.element_id} failed: {abandoned.message}", element=abandoned.element_id
    )
    db.session.commit()
    return True


def _sqlstate(error: DBAPIError) -> str | None:
    return getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
