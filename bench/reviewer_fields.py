"""How many answers a reviewer gives for a typical case, with the forms before issue 15 (kept in
tests/data/sfo_before_issue_15) and now: terms of reference, one liaison, evidence, and the draft report
(a redraft after a return starts from the answers given, so the draft counts once).

python bench/reviewer_fields.py [--reviews 1] [--findings 3] [--failures 3] [--recommendations 2]

A typical case: one other agency's review, three things that should have been done differently, three
failures, two recommendations. Read-only fields and optional fields left empty are not counted.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BEFORE = ROOT / "tests" / "data" / "sfo_before_issue_15"
REVIEWER_FORMS = ("terms_of_reference", "liaison", "gather_evidence", "draft_report")


def answers(schema: dict[str, Any], counts: dict[str, int]) -> int:
    """Answers in one submission: each required field, each list item's required fields times its count."""
    total = 0
    required = set(schema.get("required") or [])
    for name, field in (schema.get("properties") or {}).items():
        if not isinstance(field, dict) or field.get("readOnly") or name not in required and name not in counts:
            continue
        if field.get("type") == "array" and isinstance(field.get("items"), dict) and field["items"].get("properties"):
            total += counts.get(name, 0) * answers(field["items"], {})
        else:
            total += 1
    return total


def form(folder: Path, name: str) -> dict[str, Any]:
    path = folder / f"{name}.schema.json"
    return json.loads((path if path.exists() else ROOT / "forms" / path.name).read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=1)
    parser.add_argument("--findings", type=int, default=3)
    parser.add_argument("--failures", type=int, default=3)
    parser.add_argument("--recommendations", type=int, default=2)
    args = parser.parse_args()
    counts = {
        "other_reviews": args.reviews,
        "done_differently": args.findings,
        "failures": args.failures,
        "recommendations": args.recommendations,
    }
    times = {"terms_of_reference": 1, "liaison": args.reviews, "gather_evidence": 1, "draft_report": 1}
    for label, folder in (("before", BEFORE), ("now", ROOT / "forms")):
        per_form = {name: answers(form(folder, name), counts) * times[name] for name in REVIEWER_FORMS}
        detail = ", ".join(f"{name} {n}" for name, n in per_form.items())
        print(f"{label:6} {sum(per_form.values()):4} answers ({detail})")


if __name__ == "__main__":
    sys.exit(main())
