"""What steers the flow: static facts about a model that the exploration needs (the condition variables
still live downstream of each element, the values conditions compare them with, what forms offer)."""

from __future__ import annotations

import ast
import datetime as dt
import re
from typing import Any

from ...form_model.fields import Kind, form_fields
from ...form_model.files import is_ui_schema
from ..definitions import ProcessModel
from ..sandbox import CALLABLE_NAMES

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _names_read(source: str) -> set[str]:
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - CALLABLE_NAMES


def _literals_compared(source: str) -> dict[str, set[Any]]:
    """``name == "value"`` and similar comparisons: the values each name is compared with."""
    found: dict[str, set[Any]] = {}
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        return found
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            names = [o.id for o in operands if isinstance(o, ast.Name)]
            constants = [
                o.value for o in operands if isinstance(o, ast.Constant) and isinstance(o.value, (str, bool, int))
            ]
            for name in names:
                found.setdefault(name, set()).update(constants)
    return found


def _conditions_of(spec: Any) -> list[str]:
    return [
        c.args[0] for c, _ in getattr(spec, "cond_task_specs", []) or [] if c is not None and getattr(c, "args", None)
    ]


def spec_key(spec: Any) -> tuple[str, str]:
    """A task spec's key across the model: names repeat between processes ("Start", "End")."""
    return (spec._wf_spec.name, spec.name)


class FlowAnalysis:
    """Static facts about a model the exploration needs: which condition variables are still live
    downstream of each element, what values conditions compare them with, and what forms offer.

    "Downstream" crosses sub-process boundaries: into a sub-process an element reaches, and out of a
    sub-process's end to what follows the sub-process in its parent."""

    def __init__(self, model: ProcessModel):
        self.model = model
        self.processes = [model.spec, *model.subprocess_specs.values()]
        self.all_specs = [s for p in self.processes for s in p.task_specs.values()]
        self.specs = {s.name: s for s in self.all_specs}
        self.reads = {spec_key(s): set().union(*(_names_read(c) for c in _conditions_of(s))) for s in self.all_specs}
        self.literals: dict[str, set[Any]] = {}
        for spec in self.all_specs:
            for condition in _conditions_of(spec):
                for name, values in _literals_compared(condition).items():
                    self.literals.setdefault(name, set()).update(values)
        self.callers: dict[str, list[Any]] = {}  # sub-process spec name -> the tasks that run it
        for spec in self.all_specs:
            called = getattr(spec, "spec", None)
            if isinstance(called, str) and called in model.subprocess_specs:
                self.callers.setdefault(called, []).append(spec)
        self._inside: dict[str, frozenset[str]] = {}
        self._live: dict[tuple[str, str], frozenset[str]] = {}
        self.form_fields = self._form_fields()
        self.message_keys = self._message_keys()

    def reads_of(self, spec: Any) -> set[str]:
        return self.reads.get(spec_key(spec), set())

    def live_after(self, spec: Any) -> frozenset[str]:
        """Condition variables read anywhere downstream of an element (itself excluded)."""
        key = spec_key(spec)
        if key not in self._live:
            names: set[str] = set()
            seen: set[tuple[str, str]] = set()
            todo = list(self._next(spec))
            while todo:
                current = todo.pop()
                if spec_key(current) in seen:
                    continue
                seen.add(spec_key(current))
                names |= self.reads_of(current) | self._reads_inside(current)
                todo.extend(self._next(current))
            self._live[key] = frozenset(names)
        return self._live[key]

    def _next(self, spec: Any) -> list[Any]:
        """What follows an element; after a sub-process's end, what follows the sub-process."""
        outputs = [o for o in getattr(spec, "outputs", []) if o is not None]
        if outputs or spec._wf_spec is self.model.spec:
            return outputs
        return [o for caller in self.callers.get(spec._wf_spec.name, []) for o in caller.outputs]

    def _reads_inside(self, spec: Any) -> frozenset[str]:
        """Every condition variable read inside the sub-process an element runs (none for other elements)."""
        called = getattr(spec, "spec", None)
        if not isinstance(called, str) or called not in self.model.subprocess_specs:
            return frozenset()
        if called not in self._inside:
            self._inside[called] = frozenset()  # a sub-process that runs itself (never here) stops the recursion
            inner = self.model.subprocess_specs[called].task_specs.values()
            self._inside[called] = frozenset(set().union(*(self.reads_of(s) | self._reads_inside(s) for s in inner)))
        return self._inside[called]

    def abstract(self, name: str, value: Any, today: dt.date) -> Any:
        """A counter beyond every bound its conditions test is as good as any larger one: saturate it,
        so a loop that a person may repeat for ever (keep waiting, return again) is explored once.
        Dates matter by whether they have passed."""
        if isinstance(value, str) and _ISO_DATE.match(value):
            return "future date" if value[:10] > today.isoformat() else "past date"
        if isinstance(value, bool) or not isinstance(value, int):
            return value
        bounds = [v for v in self.literals.get(name, ()) if isinstance(v, int) and not isinstance(v, bool)]
        return min(value, max(bounds) + 1) if bounds else value

    def _form_fields(self) -> dict[str, dict[str, Any]]:
        fields: dict[str, dict[str, Any]] = {}
        for name, form in self.model.forms.items():
            if is_ui_schema(name):
                continue
            for key, schema in (form.get("properties") or {}).items():
                if isinstance(schema, dict):
                    fields.setdefault(key, schema)
        return fields

    def _message_keys(self) -> dict[str, set[str]]:
        """For each message variable, the keys scripts read from it (``var["key"]`` or ``var.get("key")``)."""
        keys: dict[str, set[str]] = {}
        for spec in self.all_specs:
            source = getattr(spec, "script", None)
            if not source:
                continue
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Subscript)
                    and isinstance(node.value, ast.Name)
                    and isinstance(node.slice, ast.Constant)
                ):
                    keys.setdefault(node.value.id, set()).add(str(node.slice.value))
                elif (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "get"
                    and isinstance(node.func.value, ast.Name)
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                ):
                    keys.setdefault(node.func.value.id, set()).add(str(node.args[0].value))
        return keys

    def options(self, name: str, schema: dict[str, Any] | None, today: dt.date) -> list[Any]:
        """The values worth trying for a steering field: the choices its form offers (as the form model
        reads them), both booleans, or two dates."""
        schema = schema or self.form_fields.get(name) or {}
        field = form_fields({"properties": {name: schema}})[0]
        values: list[Any] = [option.value for option in field.options] if field.kind == Kind.CHOICE else []
        kind = schema.get("type")
        if kind == "boolean" or (isinstance(kind, list) and "boolean" in kind):
            values += [True, False]
        elif schema.get("format") == "date":
            values += [today.isoformat(), (today + dt.timedelta(days=60)).isoformat()]
        elif not values:
            values += sorted(self.literals.get(name, set()), key=repr)
            if values and all(isinstance(v, str) for v in values):
                values.append("other")
        return list(dict.fromkeys(values))
