"""Time the checks that hostile input used to make slow: finding a definition's main BPMN file in a
crafted file, and checking a diagram with thousands of gateways.

python bench/hostile_inputs.py

Prints the time of the old approach (a pattern over the text; every gateway scanning every flow) beside
the current one, on the same input.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.engine.definitions import check_flow, main_bpmn_file, parse_xml  # noqa: E402

NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def crafted_file(size: int = 109_000) -> str:
    """Thousands of '<process' openings and no '>' at all: each opening makes [^>]* scan to the end."""
    chunk = "<process id=x "
    return chunk * (size // len(chunk))


def old_main_file(files: dict[str, str], key: str) -> str:
    declares = re.compile(r"<(?:\w+:)?process\b[^>]*\bid=[\"']" + re.escape(key) + r"[\"']")
    names = sorted(files)
    return next((n for n in names if declares.search(files[n])), names[0])


def many_gateways(count: int) -> bytes:
    parts = [f'<definitions xmlns="{NS}"><process id="p" isExecutable="true"><startEvent id="s"/>']
    previous = "s"
    for i in range(count):
        parts.append(f'<exclusiveGateway id="g{i}" default="d{i}"/>')
        parts.append(f'<sequenceFlow id="in{i}" sourceRef="{previous}" targetRef="g{i}"/>')
        parts.append(f'<sequenceFlow id="d{i}" sourceRef="g{i}" targetRef="e{i}"/><endEvent id="e{i}"/>')
        parts.append(
            f'<sequenceFlow id="c{i}" sourceRef="g{i}" targetRef="m{i}"><conditionExpression>x</conditionExpression>'
        )
        parts.append(f'</sequenceFlow><task id="m{i}"/>')
        previous = f"m{i}"
    parts.append("</process></definitions>")
    return "".join(parts).encode()


def old_gateway_scan(root: object, count: int) -> None:
    flows = {f.get("id"): f for f in root.iter(f"{{{NS}}}sequenceFlow")}  # type: ignore[attr-defined]
    for gateway in root.iter(f"{{{NS}}}exclusiveGateway"):  # type: ignore[attr-defined]
        [f for f in flows.values() if f.get("sourceRef") == gateway.get("id")]


def timed(label: str, work: object) -> None:
    began = time.perf_counter()
    work()  # type: ignore[operator]
    print(f"{label:58} {time.perf_counter() - began:9.3f} s")


def main() -> None:
    declares = f'<definitions xmlns="{NS}"><process id="sfo_review"/></definitions>'
    files = {"a_crafted.bpmn": crafted_file(), "b_main.bpmn": declares}
    print(f"crafted file: {len(files['a_crafted.bpmn']):,} characters")
    timed("main file, old pattern over the text", lambda: old_main_file(files, "sfo_review"))
    timed("main file, parsed XML (now)", lambda: main_bpmn_file(files, "sfo_review"))
    for count in (300, 3000):
        content = many_gateways(count)
        root = parse_xml(content, "many.bpmn")
        timed(f"{count:,} gateways, old scan of every flow per gateway", lambda r=root, n=count: old_gateway_scan(r, n))
        timed(f"{count:,} gateways, all flow checks (now)", lambda r=root: check_flow(r, "many.bpmn"))


if __name__ == "__main__":
    main()
