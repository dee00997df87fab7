"""``@operation`` shares one instance of each schema between requests and threads (app/api/operations.py)."""

from __future__ import annotations

import threading
from typing import Any

from marshmallow import Schema
from marshmallow.fields import Nested

from app.api.operations import shared
from app.api.schemas import InstanceSchema, TaskPageSchema


def _declared(app: Any) -> set[type[Schema]]:
    schemas: set[type[Schema]] = set()
    for view in app.view_functions.values():
        spec = getattr(view, "operation", None)
        if spec is not None:
            answers = [spec.query, spec.body, spec.response, *dict(spec.other_responses).values()]
            schemas |= {schema for schema in answers if schema is not None}
    return schemas


def _unmade_nested(schema: Schema) -> list[str]:
    """Nested fields whose schema marshmallow would still make on first use (``_schema`` unset)."""
    unmade, pending = [], [(name, field) for name, field in schema.fields.items()]
    while pending:
        name, field = pending.pop()
        if isinstance(field, Nested):
            if field._schema is None:
                unmade.append(name)
            else:
                unmade += [f"{name}.{inner}" for inner in _unmade_nested(field._schema)]
        for attribute in ("inner", "key_field", "value_field"):
            inner_field = getattr(field, attribute, None)
            if inner_field is not None:
                pending.append((f"{name}[]", inner_field))
    return unmade


def test_every_schema_an_operation_declares_is_made_once_with_its_nested_schemas(app):
    declared = _declared(app)
    assert InstanceSchema in declared and TaskPageSchema in declared
    for schema_class in declared:
        schema = shared(schema_class)
        assert shared(schema_class) is schema
        assert _unmade_nested(schema) == [], schema_class.__name__


def test_a_shared_schema_dumps_the_same_from_many_threads_as_a_new_one():
    page = {
        "items": [
            {"id": f"t{i}", "name": "Triage", "candidate_groups": ["sfo-team"], "state": "ready"} for i in range(50)
        ],
        "total": 50,
        "page": 1,
        "per_page": 50,
    }
    expected = TaskPageSchema().dump(page)
    results: list[Any] = []

    def dump() -> None:
        results.extend(shared(TaskPageSchema).dump(page) for _ in range(20))

    threads = [threading.Thread(target=dump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 160 and all(result == expected for result in results)
