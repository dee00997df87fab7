"""What the service recorded about a case's publication, read from the audit trail rather than the
case data (which a diagram's script or a data correction could set): who anonymised the report, who
approved it, and the court outcome. The rules that decide publication and separation of duties
read these.

Events read (all ``audit_event`` rows of the case, in order of time then id):
- ``task-completed`` of a task whose form carries ``x-sfo-anonymisation-check``: ``anonymise``
  (the anonymisation and each revision: the actor prepared the pack, ``detail.data`` is the pack)
  or ``approve`` (``detail.data.publish_approved`` is the decision);
- ``message`` with ``detail.message == "court-outcome"``: ``detail.payload.court_outcome``;
- ``task-completed`` of a task in ``COURT_OUTCOME_TASKS`` with ``detail.data.outcome_known`` true:
  ``detail.data.court_outcome``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import String, any_, bindparam, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import ARRAY

from ..extensions import db
from ..models import AuditEvent, ProcessInstance, Task, User
from .access import MANAGING_ROLES
from .anonymisation import OTHER_CASES, reference_keys
from .runtime import model_of_instance
from .users import get_user

CHECK_KEYWORD = "x-sfo-anonymisation-check"
COURT_OUTCOMES = ("convicted_sfo", "convicted_other", "acquitted", "discontinued", "other")
COURT_OUTCOME_TASKS = ("chase_court_outcome",)
IDENTITY_FIELDS = (
    "person_name",
    "person_aliases",
    "date_of_birth",
    "crn",
    "pnc",
    "person_address",
    "victim_names",
    "staff_names",
)
APPROVING_GROUP = "publication"


@dataclass(frozen=True)
class Completion:
    """One completed task, as the audit trail recorded it."""

    bpmn_id: str
    mode: str | None  # the form's anonymisation-check mode, if any
    actor: str
    at: dt.datetime
    data: dict[str, Any]


def check_mode(instance: ProcessInstance, bpmn_id: str) -> str | None:
    model = model_of_instance(instance)
    element = model.element(bpmn_id)
    form = model.form_for(element) if element is not None else None
    mode = (form.schema if form else {}).get(CHECK_KEYWORD)
    return str(mode) if mode else None


RECORDED_KINDS = ("started", "task-completed", "data-corrected", "message")


class CaseRecord:
    """What the audit trail of one case records, read once (when first asked) for every rule that looks
    at it at one moment: a completion's checks ask five questions of it. Read a new one after a write."""

    def __init__(self, instance: ProcessInstance):
        self.instance = instance

    @cached_property
    def _events(self) -> list[tuple[AuditEvent, str | None]]:
        query = (
            select(AuditEvent, Task.bpmn_id)
            .outerjoin(Task, Task.id == AuditEvent.task_id)
            .where(AuditEvent.instance_id == self.instance.id, AuditEvent.kind.in_(RECORDED_KINDS))
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        )
        return [(event, bpmn_id) for event, bpmn_id in db.session.execute(query)]

    @cached_property
    def completions(self) -> list[Completion]:
        """Every completed task, in order, with its form's anonymisation-check mode."""
        modes: dict[str, str | None] = {}
        found = []
        for event, bpmn_id in self._events:
            if event.kind != "task-completed" or bpmn_id is None:
                continue
            if bpmn_id not in modes:
                modes[bpmn_id] = check_mode(self.instance, bpmn_id)
            data = (event.detail or {}).get("data")
            answers = data if isinstance(data, dict) else {}
            found.append(Completion(bpmn_id, modes[bpmn_id], event.actor, event.occurred_at, answers))
        return found

    @property
    def anonymisations(self) -> list[Completion]:
        """The anonymisation and each revision of the publication pack, in order."""
        return [c for c in self.completions if c.mode == "anonymise"]

    @property
    def preparers(self) -> set[str]:
        """Who may not approve publication: whoever anonymised the report and whoever last revised it."""
        done = self.anonymisations
        return {done[0].actor, done[-1].actor} if done else set()

    @cached_property
    def approval(self) -> Completion | None:
        """The approval of the current publication pack: the last approval decision after its last
        revision, if it approved, by someone allowed to approve who did not prepare the pack."""
        done = self.completions
        last_pack = max((i for i, c in enumerate(done) if c.mode == "anonymise"), default=None)
        if last_pack is None:
            return None
        decisions = [c for c in done[last_pack + 1 :] if c.mode == "approve"]
        if not decisions or decisions[-1].data.get("publish_approved") is not True:
            return None
        approval = decisions[-1]
        if approval.actor in self.preparers or not may_approve(approval.actor):
            return None
        return approval

    @cached_property
    def court_outcome(self) -> str | None:
        """The latest court outcome the service received: by a court-outcome message, or recorded by the
        SFO team when they chased it. Unknown values are ignored."""
        outcome = None
        for event, bpmn_id in self._events:
            found = _outcome_of(event, bpmn_id)
            outcome = found if found in COURT_OUTCOMES else outcome
        return outcome

    @cached_property
    def identity(self) -> dict[str, list[str]]:
        """Every value the service recorded for each identifying field of the case: the case data now, the
        notification as it was started, each completed task's answers and each data correction. The gate
        checks all of them, so a diagram script or a correction that blanks a name cannot take it out."""
        sources = [self.instance.data or {}]
        for event, _ in self._events:
            detail = event.detail or {}
            recorded = detail.get("changes") if event.kind == "data-corrected" else detail.get("data")
            if event.kind != "message" and isinstance(recorded, dict):
                sources.append(recorded)
        identity: dict[str, list[str]] = {field: [] for field in IDENTITY_FIELDS}
        for source in sources:
            for field in IDENTITY_FIELDS:
                value = source.get(field)
                if isinstance(value, str) and value.strip() and value not in identity[field]:
                    identity[field].append(value)
        return identity

    def case_for_check(self) -> dict[str, Any]:
        """The case data with every recorded value of its identifying fields, and a lookup of the references of
        every other case (a reduced case's too), for the anonymisation gate (``with_other_cases``)."""
        recorded = {field: values for field, values in self.identity.items() if values}
        return {**(self.instance.data or {}), **recorded, OTHER_CASES: OtherCases(self.instance.id)}


@dataclass(frozen=True)
class OtherCases:
    """The references of every case but one, looked up by the tails that a reference in the checked text would
    have (``anonymisation.with_other_cases``): one statement that returns only the few cases that may match, where
    reading every case's reference into Python took 36 ms at 12,000 cases and 400 ms at 50,000. PostgreSQL answers
    it from the tails' indexes, or for a long text with many word endings (every word ending is a tail) by
    filtering the table's tails itself: 2 to 12 ms at 12,000 cases. A case whose tails were never worked out
    (None: a row written other than through the model) is read too."""

    instance_id: int

    def keys_in(self, tails: set[str]) -> frozenset[str]:
        tail, unpadded = ProcessInstance.reference_tail, ProcessInstance.reference_tail_unpadded
        query = select(ProcessInstance.business_key).where(
            ProcessInstance.id != self.instance_id,
            or_(_among(tail, tails), _among(unpadded, tails), tail.is_(None)),
        )
        return reference_keys(db.session.connection().execute(query).scalars())  # Core rows: no ORM object each


def _among(column: Any, values: set[str]) -> Any:
    """``column`` is one of ``values``, sent as one parameter however many there are (a long report has
    thousands): an array on PostgreSQL, which its index scans take as it is; a JSON list read by json_each
    on SQLite."""
    ordered = sorted(values)
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, ordered, type_=ARRAY(String)))
    return column.in_(select(literal_column("value")).select_from(func.json_each(json.dumps(ordered))))


def duty_conflict(user: User, record: CaseRecord, bpmn_id: str) -> str | None:
    """Why ``user`` may not do this task (separation of duties), or None."""
    if check_mode(record.instance, bpmn_id) != "approve" or user.username not in record.preparers:
        return None
    return (
        "You prepared the anonymised report for this case, so someone else must approve its publication "
        "(the person who anonymises a report cannot also approve it)."
    )


def may_approve(username: str) -> bool:
    user = get_user(username)
    return user is not None and (user.in_group(APPROVING_GROUP) or user.role in MANAGING_ROLES)


def _outcome_of(event: AuditEvent, bpmn_id: str | None) -> Any:
    detail = event.detail or {}
    if event.kind == "message" and detail.get("message") == "court-outcome":
        payload = detail.get("payload")
        return payload.get("court_outcome") if isinstance(payload, dict) else None
    if event.kind == "task-completed" and bpmn_id in COURT_OUTCOME_TASKS:
        data = detail.get("data")
        if isinstance(data, dict) and data.get("outcome_known") is True:
            return data.get("court_outcome")
    return None
