"""What changed between two versions of a process: elements, conditions, timers, forms."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .definitions import BPMN_NS, parse_xml

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_SKIP = {"incoming", "outgoing", "flowNodeRef", "laneSet", "lane", "definitions", "collaboration", "participant"}


@dataclass(frozen=True)
class Change:
    element_id: str
    kind: str  # added, removed, changed
    element_type: str
    name: str
    details: tuple[str, ...] = ()


@dataclass
class Comparison:
    elements: list[Change] = field(default_factory=list)
    files: list[Change] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.elements and not self.files

    def summary(self) -> str:
        counts = {k: sum(1 for c in self.elements if c.kind == k) for k in ("added", "removed", "changed")}
        parts = [f"{n} element(s) {k}" for k, n in counts.items() if n]
        parts += [f"{c.element_id} {c.kind}" for c in self.files]
        return "; ".join(parts) + "." if parts else "No change."


def describe_elements(bpmn_files: dict[str, str]) -> dict[str, dict[str, str]]:
    """Each diagram element by id: its type and what this service reads from it."""
    elements: dict[str, dict[str, str]] = {}
    for name in sorted(bpmn_files):
        root = parse_xml(bpmn_files[name].encode(), name)
        for node in root.iter():
            if not isinstance(node.tag, str) or etree.QName(node).namespace != BPMN_NS or not node.get("id"):
                continue
            kind = etree.QName(node).localname
            if kind in _SKIP or kind.endswith("EventDefinition") or kind in ("conditionExpression", "message"):
                continue
            elements[node.get("id")] = _facts(node, kind)
    return elements


def _text(node: Any, path: str) -> str:
    found = node.find(path, {"bpmn": BPMN_NS, "spiff": SPIFF_NS})
    return (found.text or "").strip() if found is not None else ""


def _facts(node: Any, kind: str) -> dict[str, str]:
    facts = {"type": kind, "name": node.get("name") or ""}
    for label, path in (
        ("documentation", "bpmn:documentation"),
        ("script", "bpmn:script"),
        ("condition", "bpmn:conditionExpression"),
        ("timer", "bpmn:timerEventDefinition/*"),
    ):
        value = _text(node, path)
        if value:
            facts[label] = value
    if kind == "sequenceFlow":
        facts["flow"] = f"{node.get('sourceRef')} → {node.get('targetRef')}"
    message = node.find(f"{{{BPMN_NS}}}messageEventDefinition")
    if message is not None or node.get("messageRef"):
        facts["message"] = (message.get("messageRef") if message is not None else node.get("messageRef")) or ""
    for prop in node.iter(f"{{{SPIFF_NS}}}property"):
        facts[prop.get("name") or ""] = prop.get("value") or ""
    if node.get("default"):
        facts["default"] = node.get("default")
    return facts


def compare(old: dict[str, Any], new: dict[str, Any]) -> Comparison:
    """``old`` and ``new``: {"bpmn": {file: xml}, "forms": {file: json}, "dmn": {file: xml}}."""
    before, after = describe_elements(old["bpmn"]), describe_elements(new["bpmn"])
    result = Comparison()
    for element_id in sorted(set(before) | set(after)):
        a, b = before.get(element_id), after.get(element_id)
        facts = b or a or {}
        if a is None or b is None:
            kind = "added" if a is None else "removed"
            result.elements.append(Change(element_id, kind, facts["type"], facts["name"]))
        elif a != b:
            details = tuple(
                _difference(key, a.get(key, ""), b.get(key, ""))
                for key in sorted(set(a) | set(b))
                if a.get(key) != b.get(key)
            )
            result.elements.append(Change(element_id, "changed", b["type"], b["name"], details))
    for group in ("forms", "dmn"):
        result.files.extend(_file_changes(old.get(group) or {}, new.get(group) or {}))
    return result


def _difference(key: str, before: str, after: str) -> str:
    if not before:
        return f"{key} set to “{after}”"
    if not after:
        return f"{key} “{before}” removed"
    return f"{key} changed from “{before}” to “{after}”"


def _file_changes(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    changes = []
    for name in sorted(set(before) | set(after)):
        if name not in before:
            changes.append(Change(name, "added", "file", name))
        elif name not in after:
            changes.append(Change(name, "removed", "file", name))
        elif json.dumps(before[name], sort_keys=True) != json.dumps(after[name], sort_keys=True):
            changes.append(Change(name, "changed", "file", name))
    return changes
