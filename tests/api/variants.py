"""Variants of the small test process (tests/data), made by editing its XML, for deploy and runtime tests."""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
BAD = DATA / "bad"
SMALL_BPMN = (DATA / "small.bpmn").read_text()
FORMS = {path.name: path.read_bytes() for path in sorted(DATA.glob("*.json"))}
TRIAGE_SCRIPT = "<bpmn:script>triage_due = add_working_days(today(), 2)</bpmn:script>"
ELIGIBLE_CONDITION = "<bpmn:conditionExpression>eligible == True</bpmn:conditionExpression>"


def edited(old: str, new: str, bpmn: str = SMALL_BPMN) -> str:
    assert old in bpmn, f"the small process no longer contains {old!r}"
    return bpmn.replace(old, new)


def with_key(key: str, bpmn: str = SMALL_BPMN) -> str:
    """The same diagram as another process (its own key, versions and cases)."""
    return edited(
        '<bpmn:process id="small"',
        f'<bpmn:process id="{key}"',
        edited('processRef="small"', f'processRef="{key}"', bpmn),
    )


def files(bpmn: str = SMALL_BPMN, name: str = "small.bpmn", **forms: dict) -> dict[str, bytes]:  # type: ignore[type-arg]
    """The diagram with the small process's forms; keyword forms replace or add form files by stem."""
    result = {name: bpmn.encode(), **FORMS}
    for stem, schema in forms.items():
        result[f"{stem}.schema.json"] = json.dumps(schema).encode()
    return result


def renamed(title: str) -> str:
    return edited('name="Small test process"', f'name="{title}"')


def script_importing_os() -> str:
    return edited(TRIAGE_SCRIPT, "<bpmn:script>import os\ntriage_due = add_working_days(today(), 2)</bpmn:script>")


def condition_reaching_class() -> str:
    return edited(ELIGIBLE_CONDITION, "<bpmn:conditionExpression>eligible.__class__ == bool</bpmn:conditionExpression>")


def user_task_with_missing_form() -> str:
    return edited('value="triage.schema.json"', 'value="missing.schema.json"')


def failing_until(day: str, organisation: str) -> str:
    """The eligibility condition divides by zero for ``organisation``'s cases before ``day`` (ISO): such a
    case goes into error, and retry heals it from that day. It fails on the data of a real case, not on
    the dry run's sample data (whose provider is no real organisation), so it deploys like any model."""
    condition = f'eligible == (1 / (1 if today() &gt;= "{day}" or provider_org != "{organisation}" else 0) == 1)'
    return with_key(
        "small_fragile", edited(ELIGIBLE_CONDITION, f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>")
    )


def dead_end() -> str:
    """Both gateway branches meet at a parallel join: only one ever arrives, so the case never ends."""
    bpmn = edited(
        '<bpmn:endEvent id="end_not_eligible" name="Not an SFO"><bpmn:incoming>f_no</bpmn:incoming></bpmn:endEvent>',
        '<bpmn:parallelGateway id="stuck_join"><bpmn:incoming>f4</bpmn:incoming><bpmn:incoming>f_no</bpmn:incoming>'
        "<bpmn:outgoing>f_end</bpmn:outgoing></bpmn:parallelGateway>"
        '<bpmn:sequenceFlow id="f_end" sourceRef="stuck_join" targetRef="end_done"/>',
    )
    bpmn = edited(
        "<bpmn:flowNodeRef>end_not_eligible</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>stuck_join</bpmn:flowNodeRef>", bpmn
    )
    bpmn = edited(
        '<bpmn:endEvent id="end_done" name="Done"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>',
        '<bpmn:endEvent id="end_done" name="Done"><bpmn:incoming>f_end</bpmn:incoming></bpmn:endEvent>',
        bpmn,
    )
    bpmn = edited(
        'sourceRef="wait_outcome" targetRef="end_done"', 'sourceRef="wait_outcome" targetRef="stuck_join"', bpmn
    )
    bpmn = edited(
        'sourceRef="eligible_gateway" targetRef="end_not_eligible"',
        'sourceRef="eligible_gateway" targetRef="stuck_join"',
        bpmn,
    )
    return with_key("stuck", bpmn)


def triage_by_reviewer() -> dict[str, bytes]:
    """Triage in the reviewer lane (so it goes to the reviewer named on the start form)."""
    bpmn = edited("<bpmn:flowNodeRef>triage</bpmn:flowNodeRef>", "")
    bpmn = edited(
        '<bpmn:lane id="lane_manager"',
        '<bpmn:lane id="lane_reviewer" name="reviewer"><bpmn:flowNodeRef>triage</bpmn:flowNodeRef></bpmn:lane>\n'
        '      <bpmn:lane id="lane_manager"',
        bpmn,
    )
    start = json.loads(FORMS["start.schema.json"])
    start["properties"]["reviewer"] = {"type": "string", "title": "Reviewer", "x-sfo-user-group": "reviewer"}
    return files(with_key("small_review", bpmn), start=start)


# Hostile scripts for the dry run: pure Python that the restricted compiler accepts. Three nested loops of
# range(10000) never end in practice; the list of lists grows until the memory limit stops it.
CPU_BURNER = (
    "n = 0\nfor i in range(10000):\n    for j in range(10000):\n        for k in range(10000):\n            n = n + 1"
)
MEMORY_HOG = "hog = []\nfor i in range(10000):\n    for j in range(10000):\n        hog.append([i] * 10000)"


def with_triage_script(source: str, key: str = "small") -> str:
    """The small process whose first script runs ``source`` before it sets the triage deadline."""
    script = f"<bpmn:script>{source}\ntriage_due = add_working_days(today(), 2)</bpmn:script>"
    bpmn = edited(TRIAGE_SCRIPT, script)
    return with_key(key, bpmn) if key != "small" else bpmn
