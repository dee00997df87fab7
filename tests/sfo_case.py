"""Drive one case of the real SFO model through the services, task by task, as the right people."""

from __future__ import annotations

from typing import Any

from app.demo import notification_dates
from app.models import ProcessInstance, User
from app.services import instances, messages, tasks
from app.services.definitions import model_of
from app.services.forms import fixed_lists
from app.services.runtime import now, runtime
from app.services.sample_data import sample_for
from tests.people import People


def notification(reference: str, organisation: str, definition: Any, **answers: Any) -> dict[str, Any]:
    form = model_of(definition).start_form()
    assert form is not None
    data = sample_for(form.schema, {"other_reviews": []}, now().date())
    data.update(notification_dates(now().date()), case_reference=reference, provider_org=organisation)
    data.update(answers)
    return data


class SfoCase:
    """With ``reparse=True`` every step runs on a freshly parsed model (the parsed-model cache is emptied
    first), and the state is always reloaded from the database: as if each step ran in a new process."""

    def __init__(
        self, people: People, definition: Any, reference: str = "SFO-2027-001", *, reparse: bool = False, **answers: Any
    ):
        self.people = people
        self.reparse = reparse
        self._fresh()
        self.row: ProcessInstance = instances.start_case(
            people.provider,
            "sfo_review",
            reference,
            notification(reference, people.provider.organisation or "", definition, **answers),
        )

    def _fresh(self) -> None:
        if self.reparse:
            runtime()._models.clear()

    def ready(self, *, managers: bool = False) -> list[str]:
        rows = instances.tasks_of(self.row, "ready")
        return sorted(t.bpmn_id for t in rows if managers or t.lane != "manager")

    def task(self, bpmn_id: str):  # type: ignore[no-untyped-def]
        matches = [t for t in instances.tasks_of(self.row, "ready") if t.bpmn_id == bpmn_id]
        assert matches, f"{bpmn_id} is not ready; ready: {self.ready(managers=True)}"
        return matches[0]

    def do(self, bpmn_id: str, as_user: User | None = None, **answers: Any) -> ProcessInstance:
        task = self.task(bpmn_id)
        form = tasks.form_of(task)
        assert form is not None
        data = sample_for(form.schema, answers, now().date())
        prefill = tasks.prefill_of(task)
        for name in fixed_lists(form.schema, form.ui_schema):  # one answer for each row the process set
            if name not in answers and isinstance(prefill.get(name), list):
                sample = sample_for(form.schema["properties"][name]["items"], {}, now().date())
                data[name] = [{**sample, **row} for row in prefill[name]]
        approving = bpmn_id == "approve_publication"  # someone other than the anonymiser
        user = as_user or (self.people.approver if approving else self.people.for_lane(task.lane))
        self._fresh()
        return tasks.complete_task(user, task.id, data)

    def court_outcome(self, outcome: str, **extra: Any) -> ProcessInstance:
        payload = {"court_outcome": outcome, "outcome_date": now().date().isoformat(), **extra}
        self._fresh()
        return instances.deliver_message(self.people.team, "court-outcome", self.row.business_key, payload)

    def add_review(
        self, agency: str, review_type: str = "domestic_homicide_review", as_user: User | None = None
    ) -> ProcessInstance:
        self._fresh()
        return messages.add_other_review(as_user or self.people.reviewer, self.row.id, agency, review_type)

    def finish(self, **answers: Any) -> None:
        """Complete every ready task that is not a manager's, with the given answers, until the case closes."""
        for _ in range(20):
            ready = self.ready()
            if self.row.status == "completed" or not ready:
                return
            self.do(ready[0], **answers)

    def to_conviction_check(self, other_reviews: list[dict[str, str]] | None = None) -> None:
        """Eligible, scoped, liaised, drafted, approved first time, and answered by the provider (from the
        stage the case is at)."""
        first = STAGE_STEPS.index(self.row.stage) if self.row.stage in STAGE_STEPS else len(STAGE_STEPS)
        for stage in STAGE_STEPS[first:]:
            self.through(stage, other_reviews)

    def to_stage(self, stage: str, other_reviews: list[dict[str, str]] | None = None) -> None:
        """Drive the case from where it is until ``stage`` is its current stage (one of STAGE_STEPS, or
        conviction-check)."""
        first = STAGE_STEPS.index(self.row.stage) if self.row.stage in STAGE_STEPS else len(STAGE_STEPS)
        for name in STAGE_STEPS[first:]:
            if self.row.stage == stage:
                return
            self.through(name, other_reviews)
        assert self.row.stage == stage, f"reached {self.row.stage}, not {stage}"

    def through(self, stage: str, other_reviews: list[dict[str, str]] | None = None) -> None:
        if stage == "eligibility":
            self.do("confirm_eligibility", eligible=True)
        elif stage == "scoping":
            if "allocate_reviewer" in self.ready():
                self.do("allocate_reviewer", reviewer=self.people.reviewer.username)
            self.do("write_terms_of_reference", other_reviews=other_reviews or [])
        elif stage == "liaison":
            for _ in other_reviews or []:
                self.do("liaise_with_other_review")
            self.do("gather_evidence")
        elif stage == "drafting":
            self.do("draft_report")
        elif stage == "quality-assurance":
            self.do("quality_assure_report", qa_decision="approve")
        elif stage == "provider-response":
            self.do("record_provider_response")


STAGE_STEPS = ("eligibility", "scoping", "liaison", "drafting", "quality-assurance", "provider-response")
