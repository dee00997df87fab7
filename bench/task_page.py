"""The task pages that show what is decided on, among 10,000 cases: server time in PostgreSQL.

Loads 10,000 cases with ``api_latency``'s loader (template cases driven through the real services, then
cloned in bulk), then measures, in process with the Flask test client, the quality assurance task page
(the draft report, compared word by word with the version quality assurance last decided on) and the
approve-publication page (the public page as it will be published, with the redaction log). Prints p50,
p95 and n for each, and whether the p50 target is met.

    python bench/task_page.py --database-url postgresql://postgres@127.0.0.1:5432/sfo_task_bench
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api_latency import APPROVER, QA  # noqa: E402
from monitoring import add_load_arguments, loaded_app, measure, percentile, signed_in_client  # noqa: E402

from app.extensions import db  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/sfo_task_bench"
TARGET_MS = 25.0  # issue 12: task page (with the report shown) server time
PAGES = (
    ("Quality assure the report", "quality_assure_report", QA),
    ("Approve publication", "approve_publication", APPROVER),
)


def ready_task(app, bpmn_id: str) -> str | None:  # type: ignore[no-untyped-def]
    with app.app_context(), db.engine.connect() as connection:
        found = connection.scalar(
            text("SELECT id FROM task WHERE bpmn_id = :b AND state = 'ready' ORDER BY id LIMIT 1"), {"b": bpmn_id}
        )
        return str(found) if found else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    add_load_arguments(parser, DEFAULT_URL)
    args = parser.parse_args(argv)
    app = loaded_app(args)
    with app.app_context(), db.engine.connect() as connection:
        cases = connection.scalar(text("SELECT count(*) FROM process_instance"))
    print(f"  {cases:,} cases")
    print(
        f"\nServer time in process (Flask test client), ms; {args.requests} requests each after {args.warmup} warm-up"
    )
    print(f"  {'page':<32} {'n':>4} {'p50':>8} {'p95':>8}")
    for label, bpmn_id, username in PAGES:
        task_id = ready_task(app, bpmn_id)
        if task_id is None:
            print(f"  {label:<32} no ready task of this kind in the loaded cases")
            continue
        client = signed_in_client(app, username)
        samples = measure(app, client, f"/tasks/{task_id}", args.requests, args.warmup)
        p50 = statistics.median(samples)
        verdict = "met" if p50 <= TARGET_MS else "MISSED"
        print(
            f"  {label:<32} {len(samples):>4} {p50:>8.1f} {percentile(samples, 95):>8.1f}"
            f"  target <= {TARGET_MS:.0f} ms {verdict}",
            flush=True,
        )


if __name__ == "__main__":
    main()
