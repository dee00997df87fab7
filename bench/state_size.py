"""Engine state size of an SFO case through rework and chase loops, with and without compaction, and
the time of one step (load, complete a task, save) at QA round 20.

python bench/state_size.py [--rounds 20] [--runs 50]

In process, no database: the figure is the engine's share of a request (the JSON the service stores).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.clock import FrozenClock  # noqa: E402
from app.engine import Engine, Instance, parse_process_model  # noqa: E402
from app.models.users import LANE_GROUPS  # noqa: E402
from app.services.definitions import read_library  # noqa: E402
from app.services.sample_data import sample_for  # noqa: E402

START = dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC)


class Case:
    def __init__(self, compacting: bool) -> None:
        self.clock = FrozenClock(START)
        self.engine = Engine(self.clock)
        self.model = parse_process_model(read_library(ROOT / "bpmn", ROOT / "forms"), LANE_GROUPS)
        self.compacting = compacting
        form = self.model.start_form()
        assert form is not None
        instance = self.engine.new_instance(self.model, sample_for(form.schema, {"other_reviews": []}, START.date()))
        instance.run()
        self.state = self._dump(instance)

    def _dump(self, instance: Instance) -> str:
        if self.compacting:
            instance.compact()
        return self.engine.dump(instance)

    def ready(self) -> list[str]:
        return [t.bpmn_id for t in self.engine.load(self.model, self.state).ready_human_tasks()]

    def do(self, bpmn_id: str, **answers: Any) -> float:
        began = time.perf_counter()
        instance = self.engine.load(self.model, self.state)
        task = next(t for t in instance.ready_human_tasks() if t.bpmn_id == bpmn_id)
        assert task.form is not None
        instance.complete_task(task.id, sample_for(task.form.schema, answers, self.clock.now().date()))
        self.state = self._dump(instance)
        return time.perf_counter() - began

    def wait(self, days: int) -> None:
        self.clock.advance(days=days)
        instance = self.engine.load(self.model, self.state)
        instance.run()
        self.state = self._dump(instance)


def to_drafting(case: Case) -> None:
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer="reviewer1")
    case.do("write_terms_of_reference", other_reviews=[{"agency": "CSP", "review_type": "domestic_homicide_review"}])
    case.do("liaise_with_other_review")
    case.do("gather_evidence")


def qa_round(case: Case) -> None:
    case.do("draft_report")
    if "quality_assure_report" in case.ready():
        case.do("quality_assure_report", qa_decision="return")
    if "resolve_qa_returns" in case.ready():
        case.do("resolve_qa_returns", qa_decision="return")


def measure(compacting: bool, rounds: int, runs: int) -> dict[str, Any]:
    case = Case(compacting)
    to_drafting(case)
    mid = len(case.state)
    for _ in range(rounds):
        qa_round(case)
    after_rounds = len(case.state)
    times = []
    for _ in range(runs):  # the same step again and again, from the state at round N
        saved = case.state
        times.append(case.do("draft_report"))
        case.state = saved
    qa_round(case)
    case.do("draft_report")
    case.do(
        "quality_assure_report" if "quality_assure_report" in case.ready() else "resolve_qa_returns",
        qa_decision="approve",
    )
    case.do("record_provider_response")
    at_check = len(case.state)
    for _ in range(rounds):  # chase rounds: three months pass, the team records that nothing is known yet
        case.wait(95)
        if "chase_court_outcome" in case.ready():
            case.do("chase_court_outcome", outcome_known=False)
        if "review_long_wait" in case.ready():
            case.do("review_long_wait", long_wait_decision="keep_waiting")
    return {
        "mid": mid,
        "after_rounds": after_rounds,
        "at_check": at_check,
        "after_chases": len(case.state),
        "step_ms": statistics.median(times) * 1000,
        "step_p95_ms": sorted(times)[int(len(times) * 0.95) - 1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    print(
        f"{'':22}{'mid-process':>12}{f'QA x{args.rounds}':>12}{'at check':>12}{f'chase x{args.rounds}':>12}"
        f"{'step p50':>12}{'step p95':>12}"
    )
    for label, compacting in (("without compaction", False), ("with compaction", True)):
        m = measure(compacting, args.rounds, args.runs)
        print(
            f"{label:22}{m['mid']:>12,}{m['after_rounds']:>12,}{m['at_check']:>12,}{m['after_chases']:>12,}"
            f"{m['step_ms']:>10.2f}ms{m['step_p95_ms']:>10.2f}ms"
        )
    print("sizes are bytes of stored engine state; a step is load + complete 'draft_report' + save, in process")


if __name__ == "__main__":
    main()
