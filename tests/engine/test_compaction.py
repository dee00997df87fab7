"""The lowest common ancestor that compaction keeps the tree from, on a hand-made tree."""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.compaction import _lowest_common_ancestor


@dataclass(eq=False)
class Node:
    name: str
    parent: Node | None = None


def _tree() -> dict[str, Node]:
    """root - a - b - c - d (a long chain), with e under b and f under root."""
    nodes: dict[str, Node] = {"root": Node("root")}
    for name, parent in (("a", "root"), ("b", "a"), ("c", "b"), ("d", "c"), ("e", "b"), ("f", "root")):
        nodes[name] = Node(name, nodes[parent])
    return nodes


def test_the_lowest_common_ancestor_of_tasks_at_any_depth():
    n = _tree()
    assert _lowest_common_ancestor([n["d"]]) is n["d"]
    assert _lowest_common_ancestor([n["d"], n["e"]]) is n["b"]
    assert _lowest_common_ancestor([n["e"], n["d"]]) is n["b"]
    assert _lowest_common_ancestor([n["d"], n["c"]]) is n["c"]  # one is the other's ancestor
    assert _lowest_common_ancestor([n["c"], n["d"], n["e"]]) is n["b"]
    assert _lowest_common_ancestor([n["d"], n["e"], n["f"]]) is n["root"]
    assert _lowest_common_ancestor([n["d"], n["f"], n["e"]]) is n["root"]  # nothing is higher than the root
    assert _lowest_common_ancestor([n["d"], n["d"]]) is n["d"]
