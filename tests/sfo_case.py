"""Drive one case of the real SFO model through the services, task by task, as the right people."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.demo import notification_dates
from app.models import ProcessInstance, User
from app.services import instances, tasks
from app.services.definitions import model_of
from app.services.runtime import now
from app.services.sample_data import sample_for
from tests.conftest import make_user


@dataclass
class People:
    provider: User
    other_provider: User
    team: User
    reviewer: User
    other_reviewer: User
    qa: User
    publication: User
    manager: User
    approver: User  # a second member of the publication team: who anonymises cannot approve

    @classmethod
    def create(cls) -> People:
        return cls(
            provider=make_user("provider", organisation="north-probation"),
            other_provider=make_user("provider", organisation="south-probation"),
            team=make_user("sfo-team"),
            reviewer=make_user("reviewer"),
            other_reviewer=make_user("reviewer"),
            qa=make_user("quality-assurer"),
            publication=make_user("publication"),
            manager=make_user("manager"),
            approver=make_user("publication"),
        )

    def for_lane(self, lane: str | None) -> User:
        return {
            "provider": self.provider, "sfo-team": self.team, "reviewer": self.reviewer,
            "quality-assurer": self.qa, "publication": self.publication, "manager": self.manager,
        }[lane or "sfo-team"]


def notification(reference: str, organisation: str, definition: Any, **answers: Any) -> dict[str, Any]:
    form = model_of(definition).start_form()
    assert form is not None
    data = sample_for(form.schema, {"other_reviews": []}, now().date())
    data.update(notification_dates(now().date()), case_reference=reference, provider_org=organisation)
    data.update(answers)
    return data


class SfoCase:
    def __init__(self, people: People, definition: Any, reference: str = "SFO-2027-001", **answers: Any):
        self.people = people
        self.row: ProcessInstance = instances.start_case(
            people.provider, "sfo_review", reference,
            notification(reference, people.provider.organisation or "", definition, **answers),
        )

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
        approving = bpmn_id == "approve_publication"  # someone other than the anonymiser
        user = as_user or (self.people.approver if approving else self.people.for_lane(task.lane))
        return tasks.complete_task(user, task.id, data)

    def court_outcome(self, outcome: str) -> ProcessInstance:
        payload = {"court_outcome": outcome, "outcome_date": now().date().isoformat()}
        return instances.deliver_message(self.people.team, "court-outcome", self.row.business_key, payload)

    def to_conviction_check(self, other_reviews: list[dict[str, str]] | None = None) -> None:
        """Eligible, scoped, liaised, drafted, approved first time, and answered by the provider."""
        self.do("confirm_eligibility", eligible=True)
        self.do("allocate_reviewer", reviewer=self.people.reviewer.username)
        self.do("write_terms_of_reference", other_reviews=other_reviews or [])
        for _ in other_reviews or []:
            self.do("liaise_with_other_review")
        self.do("gather_evidence")
        self.do("draft_report")
        self.do("quality_assure_report", qa_decision="approve")
        self.do("record_provider_response")
