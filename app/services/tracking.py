"""Recommendations after the review: each addressee records where its action stands (accepted, in
progress, done, not done), with evidence and dates; overdue actions for the managers' dashboard; and the
inspection view of a provider's open recommendations for the routine inspection programme.

It reads and writes the ``recommendation_record`` projection (one row per recommendation of a report
sent to the provider), never the case data of every case.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import ProcessInstance, RecommendationRecord, User
from .access import MANAGING_ROLES, check_instance_visible, require_role
from .audit import record_event
from .errors import Forbidden, Invalid, NotFound
from .progress import CASE_GONE, lock_instance
from .reports import ADDRESSEES, CLOSED_STATUSES, LEVELS, RESPONSES, TRACKING, parse_date, recommendation_status
from .runtime import london_today, transactional
from .spreadsheet_cells import SafeCsvWriter

TRACKING_ROLES = ("provider", "sfo-team", "manager", "admin")
EVIDENCE_LIMIT = 5000


@dataclass(frozen=True)
class Tracked:
    reference: str
    number: int
    text: str
    addressee: str
    addressee_code: str
    level: str
    response: str
    action_target: dt.date | None
    status: str
    tracking: str  # the addressee's own record, as a title ("" before any)
    tracking_code: str
    evidence: str
    done_on: dt.date | None
    tracked_on: dt.date | None
    tracked_by: str
    provider_org: str


def _tracked(record: RecommendationRecord, reference: str, today: dt.date) -> Tracked:
    return Tracked(
        reference=reference,
        number=record.number,
        text=record.text,
        addressee=ADDRESSEES.get(record.addressee, record.addressee),
        addressee_code=record.addressee,
        level=LEVELS.get(record.level, record.level),
        response=RESPONSES.get(str(record.response), "Not received yet") if record.response else "Not received yet",
        action_target=record.target_date,
        status=recommendation_status(
            record.response, record.target_date, record.progress, today, record.tracking_status
        ),
        tracking=TRACKING.get(str(record.tracking_status), "") if record.tracking_status else "",
        tracking_code=record.tracking_status or "",
        evidence=record.evidence or "",
        done_on=record.done_on,
        tracked_on=record.tracked_on,
        tracked_by=record.tracked_by or "",
        provider_org=record.provider_org or "",
    )


def may_track(user: User, addressee: str, provider_org: str | None) -> bool:
    """The provider tracks what is addressed to the provider, and, on a case supervised by several
    providers, only what is addressed to its own organisation; the SFO team and managers track the rest
    (for HMPPS and the Ministry of Justice) and may correct any."""
    if user.role not in TRACKING_ROLES:
        return False
    if user.is_provider:
        return addressee == "probation_provider" and bool(user.organisation) and provider_org == user.organisation
    return True


def recommendations_of_case(user: User, instance: ProcessInstance, today: dt.date) -> list[Tracked]:
    check_instance_visible(user, instance)
    query = (
        select(RecommendationRecord)
        .where(RecommendationRecord.instance_id == instance.id)
        .order_by(RecommendationRecord.number)
    )
    return [_tracked(r, instance.business_key, today) for r in db.session.scalars(query)]


def recommendation_of_case(user: User, instance: ProcessInstance, number: int, today: dt.date) -> Tracked:
    found = [t for t in recommendations_of_case(user, instance, today) if t.number == number]
    if not found:
        raise NotFound("There is no such recommendation, or the report has not been sent yet.")
    return found[0]


@transactional
def track(
    user: User, instance: ProcessInstance, number: int, status: str, evidence: str, done_on: str
) -> RecommendationRecord:
    """Record where recommendation ``number`` of the case stands. Refused, changing nothing, when the
    answers are not usable."""
    check_instance_visible(user, instance)
    # under the case's lock: a task completed at the same time rewrites the case's records from what it read
    # (sync_recommendations), which would undo progress committed after that reading
    if not lock_instance(instance.id):
        raise NotFound(CASE_GONE)
    record = db.session.get(RecommendationRecord, (instance.id, number), populate_existing=True)
    if record is None:
        raise NotFound("There is no such recommendation, or the report has not been sent yet.")
    if not may_track(user, record.addressee, record.provider_org):
        raise Forbidden("You cannot record progress on a recommendation addressed to another body.")
    problems: dict[str, list[str]] = {}
    if status not in TRACKING:
        problems["status"] = ["Select where the action stands"]
    evidence = (evidence or "").replace("\r\n", "\n").strip()
    if len(evidence) > EVIDENCE_LIMIT:
        problems["evidence"] = [f"The evidence must be {EVIDENCE_LIMIT} characters or fewer"]
    elif status in ("done", "not_done") and not evidence:
        problems["evidence"] = [
            "Give the evidence that the action is done" if status == "done" else "Say why the action was not done"
        ]
    day = parse_date(done_on) if done_on else None
    today = london_today()
    if status == "done" and day is None:
        problems["done_on"] = ["Enter the date the action was done"]
    elif day is not None and day > today:
        problems["done_on"] = ["The date the action was done must be today or in the past"]
    if problems:
        raise Invalid("The progress could not be recorded.", problems)
    record.tracking_status = status
    record.evidence = evidence or None
    record.done_on = day if status == "done" else None
    record.tracked_on, record.tracked_by = today, user.username
    record_event(
        instance,
        user.username,
        "recommendation-tracked",
        f"{user.username} recorded recommendation {number} as {TRACKING[status].lower()}.",
        recommendation=number,
        status=status,
        evidence=evidence,
        done_on=record.done_on.isoformat() if record.done_on else None,
    )
    return record


def _open_records(provider_org: str | None = None):
    query = (
        select(RecommendationRecord, ProcessInstance.business_key)
        .join(ProcessInstance, ProcessInstance.id == RecommendationRecord.instance_id)
        .order_by(RecommendationRecord.target_date, ProcessInstance.business_key, RecommendationRecord.number)
    )
    if provider_org is not None:
        query = query.where(RecommendationRecord.provider_org == provider_org)
    return query


def overdue_recommendations(user: User, today: dt.date, limit: int = 50) -> tuple[int, list[Tracked]]:
    """Actions past their target date and not finished, oldest first: how many, and the first ``limit``."""
    require_role(user, MANAGING_ROLES, "see overdue actions")
    query = _open_records().where(RecommendationRecord.target_date < today)
    found = [_tracked(r, key, today) for r, key in db.session.execute(query)]
    overdue = [t for t in found if t.status == "overdue"]
    return len(overdue), overdue[:limit]


def inspection(user: User, provider_org: str, today: dt.date) -> list[Tracked]:
    """Every open recommendation from reviews of the provider's cases, with the evidence recorded. Managers
    see any provider's; a provider user only its own organisation's (another's is not found)."""
    if user.is_provider:
        if not user.organisation or provider_org != user.organisation:
            raise NotFound("There is no such organisation.")
    else:
        require_role(user, MANAGING_ROLES, "see the inspection view")
    found = [_tracked(r, key, today) for r, key in db.session.execute(_open_records(provider_org))]
    return [t for t in found if t.status not in CLOSED_STATUSES]


def providers() -> list[str]:
    query = select(RecommendationRecord.provider_org).where(RecommendationRecord.provider_org.is_not(None)).distinct()
    return sorted(str(p) for p in db.session.scalars(query))


def inspection_csv(rows: list[Tracked]) -> str:
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    writer.writerow(
        [
            "case_reference",
            "recommendation",
            "text",
            "addressee",
            "level",
            "response",
            "target_date",
            "status",
            "evidence",
            "done_on",
            "updated_on",
            "updated_by",
        ]
    )
    for t in rows:
        writer.writerow(
            [
                t.reference,
                t.number,
                t.text,
                t.addressee,
                t.level,
                t.response,
                t.action_target.isoformat() if t.action_target else "",
                t.status,
                t.evidence,
                t.done_on.isoformat() if t.done_on else "",
                t.tracked_on.isoformat() if t.tracked_on else "",
                t.tracked_by,
            ]
        )
    return out.getvalue()
