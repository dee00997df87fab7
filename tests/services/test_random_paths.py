"""Random walks through the real SFO model, as a fleet of workers would run it.

Each example starts one case and then takes random steps: a random ready task completed with random
choices (in any order, parallel tasks included), a court outcome sent at a random moment, time passing
so that reminders, escalations and chases fire. Before every step the model the service uses is either
a fresh copy (as a new worker process would parse it) or the copy the previous step used (as one
long-lived worker keeps it), and the state is always reloaded from the database. After every step:
- the case is never in error, and an open case waits for a person, a timer or a message;
- engine state, task rows, status, timer and audit trail agree (``consistency.problems_of``);
- a refused step changed nothing;
- a closed case ended where its choices say.

The number of examples is ``SFO_PATH_EXAMPLES`` (default 15, each of up to 80 steps); raise it for a
longer hunt. A failing example is shrunk by hypothesis and printed as the list of steps.
"""

from __future__ import annotations

import itertools
import os
import pickle
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from app.extensions import db
from app.models import ProcessInstance
from app.services import consistency, instances, tasks
from app.services.errors import ServiceError
from app.services.runtime import Runtime, runtime
from app.services.sample_data import sample_for
from app.services.timers import fire_due_timers
from tests.conftest import START
from tests.people import People
from tests.sfo_case import notification

EXAMPLES = int(os.environ.get("SFO_PATH_EXAMPLES", "15"))
COURT_OUTCOMES = ("convicted_sfo", "convicted_other", "acquitted", "discontinued", "other")
REVIEW_TYPES = ("domestic_homicide_review", "safeguarding_adults_review", "mappa_serious_case_review")
OPEN = ("running", "waiting", "suspended")
_references = itertools.count(1)


class ModelSupply:
    """Gives the runtime either a fresh copy of the parsed model or the one the last step used."""

    def __init__(self) -> None:
        self.parse = Runtime.model_for  # the service's own, before the test replaces it
        self.steps = 0
        self.ends: dict[str, int] = {}
        self.pristine: dict[str, bytes] = {}
        self.current: dict[str, Any] = {}
        self.fresh = True

    def model_for(self, definition: Any) -> Any:
        if definition.checksum not in self.pristine:
            self.pristine[definition.checksum] = pickle.dumps(self.parse(runtime(), definition))
        if self.fresh or definition.checksum not in self.current:
            self.current[definition.checksum] = pickle.loads(self.pristine[definition.checksum])  # noqa: S301
            self.fresh = False
        return self.current[definition.checksum]


def _choices(data: st.DataObject, schema: dict[str, Any], people: People) -> dict[str, Any]:
    """Random answers for the fields that steer the process; plausible text for the rest."""
    answers: dict[str, Any] = {}
    for name, field in (schema.get("properties") or {}).items():
        if field.get("x-sfo-user-group") == "reviewer":
            reviewers = [people.reviewer.username, people.other_reviewer.username]
            answers[name] = data.draw(st.sampled_from(reviewers), label=name)
            continue
        options = [o["const"] for o in field.get("oneOf") or [] if "const" in o] or field.get("enum")
        if field.get("type") == "boolean" and not options:
            options = [True, False]
        if options:  # the first option is the usual one (eligible, approve...): take it more often
            answers[name] = data.draw(st.sampled_from([*options, options[0], options[0]]), label=name)
        elif name == "other_reviews":
            count = data.draw(st.integers(0, 3), label="other reviews")
            answers[name] = [
                {"agency": f"Agency {i}", "review_type": REVIEW_TYPES[i % len(REVIEW_TYPES)]} for i in range(count)
            ]
    return answers


class SfoPaths(RuleBasedStateMachine):
    def __init__(self, people: People, definition: Any, clock: Any, supply: ModelSupply) -> None:
        super().__init__()
        self.people, self.definition, self.clock, self.supply = people, definition, clock, supply
        self.clock.set(START)
        self.row: ProcessInstance | None = None
        self.decisions: dict[str, Any] = {}
        self.outcomes: list[str] = []

    # --- steps ---------------------------------------------------------------------------------

    @precondition(lambda self: self.row is None)
    @rule(data=st.data())
    def start(self, data: st.DataObject) -> None:
        reference = f"RAND-{next(_references):05d}"
        self.row = instances.start_case(
            self.people.provider,
            "sfo_review",
            reference,
            notification(reference, "north-probation", self.definition, other_reviews=[]),
        )

    @precondition(lambda self: self.row is not None)
    @rule(data=st.data(), fresh=st.booleans())
    def someone_else_completes_a_ready_task(self, data: st.DataObject, fresh: bool) -> None:
        self.complete_a_ready_task(data, fresh)  # a second rule: people act more often than courts or clocks

    @precondition(lambda self: self.row is not None)
    @rule(data=st.data(), fresh=st.booleans())
    def complete_a_ready_task(self, data: st.DataObject, fresh: bool) -> None:
        ready = instances.tasks_of(self._row(), "ready")
        if not ready:
            return
        task = data.draw(st.sampled_from(sorted(ready, key=lambda t: (t.bpmn_id, t.id))), label="task")
        self.supply.fresh = fresh
        form = tasks.form_of(task)
        assert form is not None, task.bpmn_id
        answers = _choices(data, form.schema, self.people)
        submitted = sample_for(form.schema, answers, self.clock.now().date())
        user = self._doer(task)
        self._refused_changes_nothing(lambda: tasks.complete_task(user, task.id, submitted), (task.bpmn_id, submitted))

    def _doer(self, task: Any) -> Any:
        if task.bpmn_id == "approve_publication":  # someone other than the anonymiser
            return self.people.approver
        if task.lane == "reviewer":
            return next(p for p in (self.people.reviewer, self.people.other_reviewer) if p.username == task.assignee)
        return self.people.for_lane(task.lane)

    @precondition(lambda self: self.row is not None)
    @rule(outcome=st.sampled_from([*COURT_OUTCOMES, "convicted_sfo", "convicted_sfo"]), fresh=st.booleans())
    def court_outcome_arrives(self, outcome: str, fresh: bool) -> None:
        self.supply.fresh = fresh
        payload = {"court_outcome": outcome, "outcome_date": self.clock.now().date().isoformat()}

        def send() -> None:
            instances.deliver_message(self.people.team, "court-outcome", self._row().business_key, payload)
            self.outcomes.append(outcome)

        self._refused_changes_nothing(send, ("court-outcome", outcome))

    @precondition(lambda self: self.row is not None)
    @rule(days=st.integers(1, 95), fresh=st.booleans())
    def time_passes(self, days: int, fresh: bool) -> None:
        self.supply.fresh = fresh
        self.clock.advance(days=days)
        fire_due_timers()
        consistency.sweep_stalled_cases()

    # --- checks --------------------------------------------------------------------------------

    def _row(self) -> ProcessInstance:
        assert self.row is not None
        db.session.expire_all()
        return db.session.get(ProcessInstance, self.row.id)  # type: ignore[return-value]

    def _refused_changes_nothing(self, step: Any, what: Any) -> None:
        before = (self._row().lock_version, self._row().status)
        try:
            step()
        except ServiceError:
            assert (self._row().lock_version, self._row().status) == before, f"a refused step changed the case: {what}"
            return
        self.supply.steps += 1
        if what[0] != "court-outcome":
            self.decisions.update({k: v for k, v in what[1].items() if not isinstance(v, list | dict)})
            self.decisions[f"done:{what[0]}"] = what[1]

    @invariant()
    def never_in_error_and_always_waiting_for_something(self) -> None:
        if self.row is None:
            return
        row = self._row()
        assert row.status != "error", f"{row.error_element}: {row.error_message}"
        if row.status in OPEN:
            assert consistency.problems_of(row) == []

    @invariant()
    def a_closed_case_ended_where_its_choices_say(self) -> None:
        if self.row is None or self._row().status != "completed":
            return
        assert self._row().outcome == self._expected_outcome(), (self.decisions, self.outcomes)
        self.supply.ends[str(self._row().outcome)] = self.supply.ends.get(str(self._row().outcome), 0) + 1
        assert instances.tasks_of(self._row(), "ready") == []

    def _expected_outcome(self) -> str:
        if self.decisions.get("eligible") is False:
            return "Not an SFO"
        return "Published" if "done:publish_report" in self.decisions else "Closed unpublished"


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_random_paths_through_the_sfo_model_keep_every_case_moving(people, sfo_definition, clock, monkeypatch):
    supply = ModelSupply()
    monkeypatch.setattr(Runtime, "model_for", lambda self, definition: supply.model_for(definition))
    run_state_machine_as_test(
        lambda: SfoPaths(people, sfo_definition, clock, supply),
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=80,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    print(f"{supply.steps} steps taken; ends reached (checked after each later step too): {supply.ends}")
