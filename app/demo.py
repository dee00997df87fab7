"""Demo users and cases at different stages, for trying the service out (``sfo demo``).

Cases are driven through the real services: each ready task is completed by a user of its lane with
answers generated from its form, steered by a few choices (eligible, QA decision, court outcome).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select

from .extensions import db
from .models import ProcessInstance, Task, User
from .services import instances, messages, tasks
from .services.definitions import latest_definition, model_of
from .services.errors import ServiceError
from .services.publication_record import CaseRecord, duty_conflict
from .services.runtime import london_today
from .services.sample_data import sample_for
from .services.users import create_user, get_user

PROCESS_KEY = "sfo_review"
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105  (printed by `sfo demo`; refused in production)
DEMO_USERS: tuple[tuple[str, str, str, str | None], ...] = (
    ("provider.north", "provider", "Priya North (North Probation SFO lead)", "north-probation"),
    ("provider.south", "provider", "Sam South (South Probation SFO lead)", "south-probation"),
    ("casemanager", "sfo-team", "Casey Manning (SFO case manager)", None),
    ("reviewer1", "reviewer", "Robin Reed (reviewer)", None),
    ("reviewer2", "reviewer", "Rowan Black (reviewer)", None),
    ("qa1", "quality-assurer", "Quinn Ash (quality assurance)", None),
    ("publisher", "publication", "Pat Lee (publications)", None),
    ("publisher2", "publication", "Parveen Shah (publications)", None),  # approves what publisher anonymised
    ("manager", "manager", "Morgan Hale (head of SFO reviews)", None),
    ("owner", "process-owner", "Olu Grant (process owner)", None),
    ("admin", "admin", "Ada Min (administrator)", None),
)


@dataclass(frozen=True)
class Event:
    """Something from outside that happens to a demo case once it reaches a stage ("closed": once it closed)."""

    at: str
    message: str  # court-outcome or other-review-added
    payload: dict[str, Any]


@dataclass(frozen=True)
class Scenario:
    reference: str
    organisation: str
    stop_at: str | None  # the stage the case is left at; None runs it to the end
    choices: dict[str, Any] = field(default_factory=dict)
    events: tuple[Event, ...] = ()


SCENARIOS = (
    Scenario("DEMO-001", "north-probation", "eligibility"),
    Scenario("DEMO-002", "north-probation", "scoping", {"reviewer": "reviewer1"}),
    Scenario("DEMO-003", "south-probation", "liaison", {"reviewer": "reviewer2"}),
    Scenario("DEMO-004", "north-probation", "drafting", {"reviewer": "reviewer1"}),
    Scenario("DEMO-005", "south-probation", "quality-assurance", {"reviewer": "reviewer2"}),
    Scenario("DEMO-006", "north-probation", "provider-response", {"reviewer": "reviewer1"}),
    Scenario("DEMO-007", "south-probation", "conviction-check", {"reviewer": "reviewer2"}),
    Scenario("DEMO-008", "north-probation", "publication", {"reviewer": "reviewer1", "court_outcome": "convicted_sfo"}),
    Scenario("DEMO-009", "south-probation", None, {"eligible": False}),
    Scenario("DEMO-010", "north-probation", None, {"reviewer": "reviewer2", "court_outcome": "acquitted"}),
    Scenario("DEMO-011", "south-probation", None, {"reviewer": "reviewer2", "court_outcome": "convicted_sfo"}),
    # A guilty plea during scoping: the outcome is kept and the conviction check will not wait for it.
    Scenario(
        "DEMO-012",
        "north-probation",
        "drafting",
        {"reviewer": "reviewer1"},
        (Event("scoping", "court-outcome", {"court_outcome": "convicted_sfo"}),),
    ),
    # A Domestic Homicide Review commissioned after scoping: its own liaison task, alongside drafting.
    Scenario(
        "DEMO-013",
        "south-probation",
        "drafting",
        {"reviewer": "reviewer2", "other_reviews": []},
        (
            Event(
                "drafting",
                "other-review-added",
                {"agency": "Southshire Safety Partnership", "review_type": "domestic_homicide_review"},
            ),
        ),
    ),
    # Acquitted and closed unpublished, then convicted at a retrial: publication reopened on the same case.
    Scenario(
        "DEMO-014",
        "north-probation",
        "publication",
        {"reviewer": "reviewer1", "court_outcome": "acquitted"},
        (Event("closed", "court-outcome", {"court_outcome": "convicted_sfo"}),),
    ),
)
BASE_CHOICES = {
    "eligible": True,
    "qa_decision": "approve",
    "publish_approved": True,
    "reviewer": "reviewer1",
    "other_reviews": [{"agency": "Community Safety Partnership", "review_type": "domestic_homicide_review"}],
}


def load_demo() -> list[str]:
    if current_app.config["SFO_ENV"] == "production":
        raise SystemExit("Refusing to load demo data when SFO_ENV=production.")
    lines = [_ensure_user(*spec) for spec in DEMO_USERS]
    definition = latest_definition(PROCESS_KEY)
    if definition is None:
        return [*lines, f"No {PROCESS_KEY} process is deployed: run `sfo init` first."]
    for scenario in SCENARIOS:
        lines.append(_ensure_case(scenario))
    lines.append(f"Demo users share the password: {DEMO_PASSWORD}")
    return lines


def _ensure_user(username: str, role: str, name: str, organisation: str | None) -> str:
    if get_user(username) is not None:
        return f"User {username} exists."
    create_user(
        username, role, DEMO_PASSWORD, organisation=organisation, display_name=name, email=f"{username}@example.org"
    )
    return f"Created {role} user {username}."


def _ensure_case(scenario: Scenario) -> str:
    existing = db.session.scalar(select(ProcessInstance).where(ProcessInstance.business_key == scenario.reference))
    if existing is not None:
        return f"Case {scenario.reference} exists ({existing.status}, {existing.stage})."
    provider = _first_user("provider", scenario.organisation)
    start_form = model_of(latest_definition(PROCESS_KEY)).start_form()  # type: ignore[arg-type]
    data = sample_for(start_form.schema if start_form else {}, {**BASE_CHOICES, **scenario.choices}, london_today())
    data.update(
        notification_dates(london_today()), case_reference=scenario.reference, provider_org=scenario.organisation
    )
    row = instances.start_case(provider, PROCESS_KEY, scenario.reference, data)
    choices = {**BASE_CHOICES, **scenario.choices}
    for event in scenario.events:
        drive_case(row, choices, None if event.at == "closed" else event.at)
        _send(row, event)
    drive_case(row, choices, scenario.stop_at)
    return f"Case {scenario.reference}: {row.status}, stage {row.stage}."


def _send(row: ProcessInstance, event: Event) -> None:
    if event.message == "other-review-added":
        reviewer = get_user(row.reviewer or "") or _first_user("reviewer")
        messages.add_other_review(reviewer, row.id, event.payload["agency"], event.payload["review_type"])
        return
    payload = {**event.payload, "outcome_date": london_today().isoformat()}
    messages.deliver_message(_first_user("manager"), event.message, row.business_key, payload)


def notification_dates(today: dt.date) -> dict[str, str]:
    """Dates that make a plausible, eligible notification made today."""
    return {
        "supervision_start": (today - dt.timedelta(days=400)).isoformat(),
        "supervision_end": (today + dt.timedelta(days=300)).isoformat(),
        "offence_date": (today - dt.timedelta(days=10)).isoformat(),
        "charge_date": (today - dt.timedelta(days=8)).isoformat(),
        "first_court_appearance": (today - dt.timedelta(days=2)).isoformat(),
        "date_of_birth": "1990-05-17",
    }


def drive_case(row: ProcessInstance, choices: dict[str, Any], stop_at: str | None, max_steps: int = 60) -> None:
    """Complete the case's ready tasks with generated answers until it reaches ``stop_at`` (or ends)."""
    for _ in range(max_steps):
        if row.status not in ("running", "waiting") or (stop_at and row.stage == stop_at):
            return
        ready = [t for t in instances.tasks_of(row, "ready") if t.lane != "manager"]
        if not ready:
            if not _deliver_court_outcome(row, choices):
                return
            continue
        _complete_with_sample(ready[0], choices)


def _complete_with_sample(task: Task, choices: dict[str, Any]) -> None:
    user = _worker_for(task)
    form = tasks.form_of(task)
    answers = sample_for(form.schema if form else {}, choices, london_today())
    tasks.complete_task(user, task.id, answers)


def _deliver_court_outcome(row: ProcessInstance, choices: dict[str, Any]) -> bool:
    manager = _first_user("manager")
    outcome = {
        "court_outcome": choices.get("court_outcome", "convicted_sfo"),
        "outcome_date": london_today().isoformat(),
    }
    try:
        messages.deliver_message(manager, "court-outcome", row.business_key, outcome)
    except ServiceError:
        return False
    return True


def _worker_for(task: Task) -> User:
    if task.assignee:
        user = get_user(task.assignee)
        if user is not None:
            return user
    candidates = _users(task.lane or "sfo-team", task.organisation if task.lane == "provider" else None)
    record = CaseRecord(task.instance)
    allowed = [user for user in candidates if duty_conflict(user, record, task.bpmn_id) is None]
    if not allowed:
        raise SystemExit(f"No demo user of {task.lane} may do {task.bpmn_id}; run `sfo demo` on an empty database.")
    return allowed[0]


def _users(role: str, organisation: str | None = None) -> list[User]:
    query = select(User).where(User.role == role, User.active.is_(True)).order_by(User.id)
    if organisation is not None:
        query = query.where(User.organisation == organisation)
    return list(db.session.scalars(query))


def _first_user(role: str, organisation: str | None = None) -> User:
    users = _users(role, organisation)
    if not users:
        raise SystemExit(f"No demo user with role {role}; run `sfo demo` on an empty database.")
    return users[0]
