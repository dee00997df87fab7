"""Messages from other systems and the case changes they lead to.

A message is correlated by business key. It goes to a case's listener (an event sub-process that takes it
from outside while its ``acceptWhen`` condition holds: the court outcome and another agency's review published
from eligibility until closure, another agency's review added from liaison until the report is approved), or
to whatever the case waits for. A court outcome for a case closed unpublished that reopens it (a conviction of
a qualifying SFO offence) reopens publication on the same case. Payloads are checked here, against the
schemas in ``MESSAGE_PAYLOADS`` (the OpenAPI document shows the same schemas).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import select

from ..engine import Instance
from ..engine.listeners import accepts, outside_listener
from ..engine.reopen import reopen, reopens
from ..extensions import db
from ..models import ProcessInstance, User
from .access import MANAGING_ROLES, MESSAGE_ROLES, check_instance_visible, require_role
from .audit import record_event
from .errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from .progress import CASE_GONE, advance, load, lock_instance
from .runtime import london_today, transactional

COURT_OUTCOME = "court-outcome"
OTHER_REVIEW_ADDED = "other-review-added"
OTHER_REVIEW_PUBLISHED = "other-review-published"

# What each court outcome means (DOMAIN.md); the chase form offers the same values.
COURT_OUTCOMES: dict[str, str] = {
    "convicted_sfo": "Convicted of a serious further offence: the one charged or any other qualifying SFO offence "
    "(charged with murder, convicted of manslaughter, for example)",
    "convicted_other": "Convicted only of an offence that is not a serious further offence",
    "acquitted": "Acquitted",
    "discontinued": "Case discontinued",
    "other": "Another outcome",
}
REVIEW_TYPES: dict[str, str] = {
    "domestic_homicide_review": "Domestic Homicide Review",
    "child_safeguarding_practice_review": "Child Safeguarding Practice Review",
    "safeguarding_adults_review": "Safeguarding Adults Review",
    "mappa_serious_case_review": "MAPPA Serious Case Review",
    "other": "Another kind of review",
}
MAX_AGENCY = 200

MESSAGE_PAYLOADS: dict[str, dict[str, Any]] = {
    COURT_OUTCOME: {
        "title": "CourtOutcomeData",
        "type": "object",
        "description": "The court's outcome for the person charged. Accepted from the moment the case is found "
        "eligible until it closes, whatever the case is doing, and kept until the conviction check uses it (the "
        "newest outcome received before then is used). Once the conviction check has decided, a later outcome is "
        "recorded, and: any outcome other than convicted_sfo stops a publication under way (the case closes "
        "unpublished); a convicted_sfo for a report not yet published sends it to publication (reopening a case "
        "closed unpublished). Any other outcome for a closed case is refused (409).",
        "required": ["court_outcome", "outcome_date"],
        "additionalProperties": False,
        "properties": {
            "court_outcome": {
                "type": "string",
                "enum": list(COURT_OUTCOMES),
                "description": "; ".join(f"{value}: {meaning}" for value, meaning in COURT_OUTCOMES.items()),
            },
            "outcome_date": {
                "type": "string",
                "format": "date",
                "description": "the date of the outcome, not in the future",
            },
            "convicted_offence": {
                "type": "string",
                "maxLength": 300,
                "description": "what the person was convicted of, as the court recorded it (optional)",
            },
        },
    },
    OTHER_REVIEW_ADDED: {
        "title": "OtherReviewData",
        "type": "object",
        "description": "Another agency's review commissioned after scoping; accepted from the end of scoping until "
        "the report is approved. It gets its own liaison task and joins other_reviews.",
        "required": ["agency", "review_type"],
        "additionalProperties": False,
        "properties": {
            "agency": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_AGENCY,
                "description": "the agency leading the review",
            },
            "review_type": {"type": "string", "enum": list(REVIEW_TYPES)},
        },
    },
    OTHER_REVIEW_PUBLISHED: {
        "title": "OtherReviewPublishedData",
        "type": "object",
        "description": "Another agency's review was published. Accepted from the moment the case is found eligible "
        "until it closes, whatever the case is doing, and kept (other_reviews_published): a report waiting for its "
        "agreed publication date is published straight away, and one not yet there does not wait for its date. "
        "Before eligibility is decided, and after the case closes, it is refused (409).",
        "additionalProperties": False,
        "properties": {
            "agency": {"type": "string", "maxLength": MAX_AGENCY},
            "published_on": {"type": "string", "format": "date"},
        },
    },
}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_FIELDS = {COURT_OUTCOME: ("outcome_date",), OTHER_REVIEW_PUBLISHED: ("published_on",)}


# --- payloads ----------------------------------------------------------------------------------------


def check_payload(name: str, payload: Any, today: dt.date) -> dict[str, Any]:
    """The payload if it is good for this message; Invalid (422) naming each bad field otherwise."""
    if not isinstance(payload, dict):
        raise Invalid("The message data must be an object.", {"data": ["Send the message fields as an object."]})
    schema = MESSAGE_PAYLOADS.get(name)
    if schema is None:
        return payload
    problems: dict[str, list[str]] = {}
    for error in Draft202012Validator(schema).iter_errors(payload):
        for field, message in _describe(error):
            problems.setdefault(field, []).append(message)
    for field in _DATE_FIELDS.get(name, ()):
        problem = _date_problem(payload[field], today) if field in payload else None
        if problem and f"data.{field}" not in problems:
            problems[f"data.{field}"] = [problem]
    if problems:
        raise Invalid(f"The '{name}' message has errors; nothing was changed.", problems)
    return payload


def _describe(error: Any) -> list[tuple[str, str]]:
    path = ".".join(["data", *(str(p) for p in error.absolute_path)])
    if error.validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(known))
        return [(f"{path}.{key}", f"Unknown field. The fields are: {', '.join(known)}.") for key in unknown]
    if error.validator == "required":
        missing = error.message.split("'")[1]
        return [(f"{path}.{missing}", "Missing data for required field.")]
    if error.validator == "enum":
        return [(path, f"Must be one of: {', '.join(error.validator_value)}.")]
    if error.validator == "type":
        return [(path, f"Must be a {error.validator_value}.")]
    if error.validator in ("minLength", "maxLength"):
        return [(path, f"Must be between 1 and {error.schema.get('maxLength')} characters.")]
    return [(path, error.message)]


def _date_problem(value: Any, today: dt.date) -> str | None:
    # fromisoformat alone also takes 20270226 and 2027-W08-5, which the case would keep and show as sent
    try:
        day = dt.date.fromisoformat(str(value)) if _DATE.fullmatch(str(value)) else None
    except ValueError:
        day = None
    if day is None:
        return "Must be a date in the form YYYY-MM-DD."
    return "Must not be in the future." if day > today else None


# --- delivering ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    row: ProcessInstance
    reopening: bool = False


@transactional
def deliver_message(user: User, name: str, business_key: str, payload: Any) -> ProcessInstance:
    """Deliver an outside message to the one case that takes it; reopen a closed case it reopens."""
    require_role(user, MESSAGE_ROLES, "send messages to cases")
    payload = check_payload(name, payload, london_today())
    row = db.session.scalar(select(ProcessInstance).where(ProcessInstance.business_key == business_key))
    found = _plan_for(row, name, payload) if row is not None else None
    if isinstance(found, ServiceError):
        raise found
    if found is None:
        raise NotFound(f"No case with reference {business_key} is waiting for the message '{name}'.")
    plan = _decided_under_lock(found.row, name, payload)
    if plan.reopening:
        return _reopen(plan.row, user.username, name, payload, "the court-outcome message")
    record_event(plan.row, user.username, "message", _summary(name, payload), message=name, payload=payload)
    delivered = {**payload, "added_by": user.username} if name == OTHER_REVIEW_ADDED else payload
    advance(plan.row, user.username, lambda instance: instance.deliver_message(name, delivered))
    return plan.row


def _decided_under_lock(row: ProcessInstance, name: str, payload: dict[str, Any]) -> _Plan:
    """Take the case's lock, read it again, and decide again: a message that came at the same moment may have
    moved the case (two court outcomes at once are both kept, one after the other)."""
    if not lock_instance(row.id):
        raise NotFound(f"No case with reference {row.business_key} is waiting for the message '{name}'.")
    db.session.refresh(row)
    plan = _plan_for(row, name, payload)
    if isinstance(plan, ServiceError):
        raise plan
    if plan is None:
        raise NotFound(f"Case {row.business_key} no longer waits for the message '{name}'.")
    return plan


def _plan_for(row: ProcessInstance, name: str, payload: dict[str, Any]) -> _Plan | ServiceError | None:
    """What to do with the message for this case: deliver or reopen (a plan), refuse (an error), or nothing
    (the case does not take this message at all)."""
    if row.status in ("completed", "cancelled"):
        instance = load(row)
        if row.status == "completed" and reopens(instance, name, payload):
            return _Plan(row, reopening=True)
        if _takes_message(instance, name):
            return Conflict(
                f"Case {row.business_key} is closed ({row.outcome or row.status}); a '{name}' message cannot change it."
            )
        return None
    instance = load(row)
    listener = outside_listener(instance.model, name)
    if listener is None and name not in instance.waiting_message_names():
        return None
    if row.status not in ("running", "waiting"):  # it waits for the message: the sender is to send it again
        return Conflict(f"Case {row.business_key} is {row.status}; send the message again when it is running.")
    if listener is None:
        return _Plan(row)
    if not accepts(listener, instance.data()):
        return Conflict(
            f"Case {row.business_key} does not take '{name}' messages at its current stage "
            f"({(row.stage or 'not started').replace('-', ' ')})."
        )
    return _Plan(row)


def _takes_message(instance: Instance, name: str) -> bool:
    return outside_listener(instance.model, name) is not None or name in instance.waiting_message_names()


def _summary(name: str, payload: dict[str, Any]) -> str:
    if name == COURT_OUTCOME:
        return f"Court outcome received: {payload['court_outcome']} on {payload['outcome_date']}."
    return f"Message '{name}' received."


def _reopen(row: ProcessInstance, actor: str, name: str, payload: dict[str, Any], by: str) -> ProcessInstance:
    previous = row.outcome
    record_event(row, actor, "message", _summary(name, payload), message=name, payload=payload)
    record_event(
        row,
        actor,
        "publication-reopened",
        f"Publication reopened by {by}: the case had closed '{previous}'.",
        previous_outcome=previous,
        payload=payload,
    )
    row.outcome = None
    advance(row, actor, lambda instance: reopen(instance, name, payload))
    return row


# --- the manager's reopening ------------------------------------------------------------------------------


def can_reopen_publication(row: ProcessInstance) -> bool:
    """Whether a conviction would reopen this case's publication (it closed unpublished)."""
    if row.status != "completed":
        return False
    return reopens(load(row), COURT_OUTCOME, {"court_outcome": "convicted_sfo", "outcome_date": "2000-01-01"})


@transactional
def reopen_publication(user: User, instance_id: int, outcome_date: dt.date | None, reason: str) -> ProcessInstance:
    """A manager records a conviction of a qualifying SFO offence for a case closed unpublished, with a reason:
    publication is reopened on the same case, exactly as when the court-outcome message comes."""
    require_role(user, MANAGING_ROLES, "reopen publication")
    row = check_instance_visible(user, db.session.get(ProcessInstance, instance_id))
    if not lock_instance(row.id):
        raise NotFound(CASE_GONE)
    db.session.refresh(row)
    problems: dict[str, list[str]] = {}
    if outcome_date is None:
        problems["outcome_date"] = ["Enter the date of the conviction"]
    elif outcome_date > london_today():
        problems["outcome_date"] = ["The date of the conviction must not be in the future"]
    if not reason.strip():
        problems["reason"] = ["Enter the reason for reopening publication"]
    if problems:
        raise Invalid("The reopening has errors.", problems)
    assert outcome_date is not None
    payload = {"court_outcome": "convicted_sfo", "outcome_date": outcome_date.isoformat(), "recorded_by": user.username}
    if not can_reopen_publication(row):
        raise Conflict(f"Case {row.business_key} did not close unpublished, so there is no publication to reopen.")
    record_event(
        row,
        user.username,
        "reopen-requested",
        f"{user.username} recorded a conviction: {reason.strip()}",
        reason=reason.strip(),
        outcome_date=outcome_date.isoformat(),
    )
    return _reopen(row, user.username, COURT_OUTCOME, payload, f"{user.label} (manager)")


# --- another agency's review ----------------------------------------------------------------------------


def may_add_other_review(user: User, row: ProcessInstance) -> bool:
    """The allocated reviewer and the SFO team may add another agency's review to a case (never a provider
    user, whatever groups it is in: access stays with the role)."""
    if user.is_provider:
        return False
    return user.in_group("sfo-team") or (user.role == "reviewer" and row.reviewer == user.username)


def takes_other_reviews(row: ProcessInstance) -> bool:
    """Whether another agency's review can be added to the case now."""
    if row.status not in ("running", "waiting"):
        return False
    instance = load(row)
    listener = outside_listener(instance.model, OTHER_REVIEW_ADDED)
    return listener is not None and accepts(listener, instance.data())


@transactional
def add_other_review(user: User, instance_id: int, agency: str, review_type: str) -> ProcessInstance:
    row = check_instance_visible(user, db.session.get(ProcessInstance, instance_id))
    refusal = "Only the allocated reviewer and the SFO team can add another agency's review."
    if not may_add_other_review(user, row):
        raise Forbidden(refusal)
    if not lock_instance(row.id):
        raise NotFound(CASE_GONE)
    db.session.refresh(row)
    if not may_add_other_review(user, row):  # asked again: another reviewer may have been allocated meanwhile
        raise Forbidden(refusal)
    payload = check_payload(
        OTHER_REVIEW_ADDED, {"agency": (agency or "").strip(), "review_type": review_type}, london_today()
    )
    if not takes_other_reviews(row):
        raise Conflict(
            "Another agency's review can be added from the end of scoping until the report is approved; "
            f"case {row.business_key} is {row.status}, at the "
            f"{(row.stage or 'first').replace('-', ' ')} stage."
        )
    label = REVIEW_TYPES[payload["review_type"]]
    record_event(
        row,
        user.username,
        "other-review-added",
        f"{user.username} added {label}: {payload['agency']}.",
        message=OTHER_REVIEW_ADDED,
        payload=payload,
    )
    advance(
        row,
        user.username,
        lambda instance: instance.deliver_message(OTHER_REVIEW_ADDED, {**payload, "added_by": user.username}),
    )
    return row
