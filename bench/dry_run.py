"""Time the dry run of the SFO model (bpmn/ + forms/) and list the end events it reaches.

python bench/dry_run.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.engine.definitions import parse_process_model  # noqa: E402
from app.engine.dryrun import DRY_RUN_START, dry_run  # noqa: E402
from app.models.users import LANE_GROUPS  # noqa: E402
from app.services.definitions import read_library  # noqa: E402
from app.services.sample_data import sample_for  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    model = parse_process_model(read_library(ROOT / "bpmn", ROOT / "forms"), LANE_GROUPS)
    start_form = model.start_form()
    start = sample_for(start_form.schema, {}, DRY_RUN_START.date()) if start_form else {}
    times, report = [], None
    for _ in range(runs):
        began = time.perf_counter()
        report = dry_run(model, start, sample_for)
        times.append(time.perf_counter() - began)
    assert report is not None
    print(f"dry run of sfo_review: median {statistics.median(times):.2f} s, max {max(times):.2f} s over {runs} runs")
    print(
        f"states explored: {report.states}; paths: {len(report.paths)} {report.counts()}; truncated: {report.truncated}"
    )
    print(f"end events reached: {', '.join(report.reached)}")
    print(f"end events not reached: {', '.join(report.unreached) or 'none'}")
    print(f"blocking paths: {len(report.blocking)}")


if __name__ == "__main__":
    main()
