"""Fuzz every operation of the API from its own OpenAPI document (schemathesis), against the real app on
the test database, with a token per role so that authorised paths run, not only the 401s.

Bounded and reproducible: a fixed number of examples per operation, mode and role (``SFO_FUZZ_EXAMPLES``,
default 10), derandomised (the same examples every run), no example database, no shrinking. A
failure lists every operation that answered 5xx, broke its documented schema, status or content type,
or accepted data its schema forbids.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from app.services import instances
from tests.api.helpers import API
from tests.conftest import make_user

EXAMPLES = int(os.environ.get("SFO_FUZZ_EXAMPLES", "10"))
ROLES = ("manager", "provider", "process-owner", "sfo-team")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# The whole run's bound besides the counts: an example that takes longer than this has hung.
DEADLINE_MS = 20_000


@dataclass
class Run:
    requests: int = 0
    examples: int = 0


@pytest.fixture
def world(app, small_definition):  # type: ignore[no-untyped-def]
    """A token per role and one case with a ready task, whose ids the known-objects pass uses."""
    users = {role: make_user(role) for role in ROLES}
    from app.services.users import create_token

    tokens = {role: create_token(user.username) for role, user in users.items()}
    row = instances.start_case(users["provider"], "small", "FUZZ-1", {"provider_org": "north-probation"})
    task = instances.tasks_of(row, "ready")[0]
    known = {"instance_id": row.id, "task_id": task.id, "key": "small", "version": 1}
    return tokens, known


def _fuzz(operation: Any, strategy: Any, tokens: dict[str, str], run: Run) -> None:
    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=DEADLINE_MS,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def each(case: Any) -> None:
        run.examples += 1
        for role, token in tokens.items():
            headers = {"Authorization": f"Bearer {token}"}
            response = case.call(headers=headers)
            run.requests += 1
            case.validate_response(response, checks=CHECKS, headers=headers)

    each()


def test_no_operation_answers_5xx_or_breaks_its_schema(app, world, capsys):
    tokens, known = world
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 18
    run, failures = Run(), []
    for operation in operations:
        # The token is sent per role below: pinning the header keeps the negative pass from "breaking" a
        # header the call then replaces (which would report a valid request as accepted bad data).
        pinned = {"Authorization": "Bearer replaced-per-role"}
        passes = [(mode, operation.as_strategy(generation_mode=mode, headers=pinned)) for mode in GenerationMode]
        path_names = {p.name for p in operation.path_parameters}
        if path_names:  # the same again on objects that exist, so that the found-and-allowed paths run too
            given_ids = {name: value for name, value in known.items() if name in path_names}
            passes.append(("existing objects", operation.as_strategy(path_parameters=given_ids)))
        for mode, strategy in passes:
            try:
                _fuzz(operation, strategy, tokens, run)
            except Unsatisfiable:
                continue  # nothing of the operation can be made invalid (say, one free-text path segment)
            except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - every failure is listed at the end
                failures.append(f"{operation.label} ({mode}): {str(failure)[:1500]}")
    with capsys.disabled():
        print(f"\nfuzz: {len(operations)} operations, {run.examples} examples, {run.requests} requests")
    assert not failures, "\n\n".join(failures)
