"""The review report as people read it: assembled from the drafting forms, with each version
submitted for quality assurance (from the audit trail), the QA decisions, and the provider's
response and progress against each recommendation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import AuditEvent, ProcessInstance, RecommendationRecord, User
from .access import check_instance_visible
from .errors import NotFound
from .runtime import london_today

ANALYSIS = (
    ("analysis_assessment", "Assessment"),
    ("analysis_planning", "Planning"),
    ("analysis_implementation", "Implementation"),
    ("analysis_review", "Review"),
    ("analysis_partnership_working", "Partnership working"),
    ("analysis_management_oversight", "Management oversight"),
)
# Every text part of the report, in reading order: (field, heading).
SECTIONS = (
    ("summary", "Summary"),
    ("what_happened", "What happened"),
    *ANALYSIS,
    ("good_practice", "Good practice"),
    ("lessons", "Lessons"),
)
JUDGEMENTS = {
    "yes": "Yes: all reasonable steps were taken",
    "partly": "Partly: some reasonable steps were not taken",
    "no": "No: reasonable steps were not taken",
}
ADDRESSEES = {
    "probation_provider": "The probation provider",
    "hmpps": "HM Prison and Probation Service",
    "ministry_of_justice": "Ministry of Justice",
}
LEVELS = {"local": "Local", "regional": "Regional", "national": "National"}
FAILURE_CLASSES = {
    "systemic": "Systemic",
    "organisational": "Organisational",
    "individual": "Individual",
}
RESPONSES = {"accept": "Accepted", "partly": "Partly accepted", "reject": "Rejected"}
PROGRESS = {"not_started": "Not started", "in_progress": "In progress", "done": "Done"}
STATUSES = ("awaiting response", "accepted", "in progress", "done", "overdue", "rejected", "not done")
TRACKING = {"accepted": "Accepted", "in_progress": "In progress", "done": "Done", "not_done": "Not done"}
CLOSED_STATUSES = ("done", "rejected", "not done")


def recommendation_status(
    response: str | None,
    target_date: dt.date | None,
    progress: str | None,
    today: dt.date,
    tracking: str | None = None,
) -> str:
    """Where a recommendation stands: rejected, done and not done are final; an open action past its
    target date is overdue. What the addressee records after the review (``tracking``) comes first."""
    if tracking == "not_done":
        return "not done"
    if tracking in ("done", "in_progress", "accepted"):
        progress = tracking
    if not response:
        return "awaiting response"
    if response == "reject":
        return "rejected"
    if progress == "done":
        return "done"
    if target_date is not None and target_date < today:
        return "overdue"
    return "in progress" if progress == "in_progress" else "accepted"


def parse_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Recommendation:
    number: int
    text: str
    addressee: str
    level: str
    addressee_code: str = ""
    response: str | None = None  # the provider's answer, as a title
    response_code: str | None = None
    action: str = ""
    owner: str = ""
    target_date: dt.date | None = None
    progress: str | None = None  # title
    progress_code: str | None = None
    status: str = "awaiting response"


@dataclass(frozen=True)
class DoneDifferently:
    what: str
    why_not: str


@dataclass(frozen=True)
class Failure:
    number: int
    description: str
    classification: str  # title
    classification_code: str
    relevant_to_outcome: bool


@dataclass(frozen=True)
class QaDecision:
    decision: str  # approve | return
    by: str
    at: dt.datetime
    comments: str


@dataclass
class Version:
    number: int
    submitted_by: str
    submitted_at: dt.datetime
    data: dict[str, Any]
    decision: QaDecision | None = None

    @property
    def state(self) -> str:
        if self.decision is None:
            return "awaiting quality assurance"
        return "approved" if self.decision.decision == "approve" else "returned"


@dataclass
class Report:
    reference: str
    version: Version
    versions: list[Version]
    judgement: str
    sections: list[tuple[str, str]]
    recommendations: list[Recommendation]
    sent_on: dt.date | None
    progress_summary: str = ""
    progress_as_at: dt.date | None = None
    done_differently: list[DoneDifferently] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    qa_history: list[tuple[Version, QaDecision]] = field(default_factory=list)

    @property
    def is_current(self) -> bool:
        return self.version is self.versions[-1]


def draft_versions(instance: ProcessInstance) -> list[Version]:
    """Each submission of the draft report, with the QA decision that followed it."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.instance_id == instance.id, AuditEvent.kind == "task-completed")
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    versions: list[Version] = []
    for event in db.session.scalars(query):
        data = (event.detail or {}).get("data") or {}
        if "summary" in data and "recommendations" in data:
            versions.append(Version(len(versions) + 1, event.actor, event.occurred_at, data))
        elif data.get("qa_decision") in ("approve", "return") and versions and versions[-1].decision is None:
            versions[-1].decision = QaDecision(
                data["qa_decision"], event.actor, event.occurred_at, str(data.get("qa_comments") or "")
            )
    return versions


def may_read_report(user: User, instance: ProcessInstance) -> bool:
    """Providers read the report once it has been sent to them; the review body at any stage."""
    return not user.is_provider or bool((instance.data or {}).get("report_sent_on"))


def get_report(
    user: User, instance: ProcessInstance, version: int | None = None, today: dt.date | None = None
) -> Report:
    check_instance_visible(user, instance)
    if not may_read_report(user, instance):
        raise NotFound("The report has not been sent to you yet.")
    versions = draft_versions(instance)
    if not versions:
        raise NotFound("The report has not been drafted yet.")
    if user.is_provider:  # the provider reads the report it was sent, not the drafts or QA
        versions = [v for v in versions if v.state == "approved"][-1:] or versions[-1:]
    chosen = versions[-1] if version is None else next((v for v in versions if v.number == version), None)
    if chosen is None:
        raise NotFound("There is no such version of the report.")
    report = assemble(
        instance.business_key,
        chosen,
        versions,
        instance.data or {},
        today or london_today(),
        with_qa=not user.is_provider,
    )
    if report.sent_on is not None:  # where each action stands as its addressee has tracked it since
        tracked = {
            r.number: r.tracking_status
            for r in db.session.scalars(
                select(RecommendationRecord).where(
                    RecommendationRecord.instance_id == instance.id, RecommendationRecord.tracking_status.is_not(None)
                )
            )
        }
        report.recommendations = [
            replace(
                r,
                status=recommendation_status(
                    r.response_code, r.target_date, r.progress_code, today or london_today(), tracked[r.number]
                ),
            )
            if r.number in tracked
            else r
            for r in report.recommendations
        ]
    return report


def assemble(
    reference: str,
    version: Version,
    versions: list[Version],
    case: dict[str, Any],
    today: dt.date,
    *,
    with_qa: bool = True,
) -> Report:
    draft = version.data
    sent = version.state == "approved" and bool(case.get("report_sent_on"))
    return Report(
        reference=reference,
        version=version,
        versions=versions,
        judgement=JUDGEMENTS.get(str(draft.get("overall_judgement")), "Not given"),
        sections=[(title, str(draft.get(name) or "")) for name, title in SECTIONS],
        recommendations=recommendations_of(draft.get("recommendations") or [], case if sent else {}, today),
        sent_on=parse_date(case.get("report_sent_on")) if sent else None,
        done_differently=done_differently_of(draft.get("done_differently")),
        failures=failures_of(draft.get("failures")),
        progress_summary=str(case.get("progress_summary") or "") if sent else "",
        progress_as_at=parse_date(case.get("progress_as_at")) if sent else None,
        qa_history=[(v, v.decision) for v in versions if v.decision is not None] if with_qa else [],
    )


def done_differently_of(items: Any) -> list[DoneDifferently]:
    """What could or should have been done differently, each with why it was not done."""
    return [
        DoneDifferently(str(item.get("what") or ""), str(item.get("why_not") or ""))
        for item in items or []
        if isinstance(item, dict)
    ]


def failures_of(items: Any) -> list[Failure]:
    """The failures the draft records, numbered in its order, each classified."""
    found = []
    for number, item in enumerate((i for i in items or [] if isinstance(i, dict)), start=1):
        code = str(item.get("classification") or "")
        found.append(
            Failure(
                number=number,
                description=str(item.get("description") or ""),
                classification=FAILURE_CLASSES.get(code, code),
                classification_code=code,
                relevant_to_outcome=item.get("relevant_to_outcome") is True,
            )
        )
    return found


def _by_number(items: Any) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for item in items or []:
        if isinstance(item, dict) and isinstance(item.get("recommendation"), int):
            found.setdefault(item["recommendation"], item)
    return found


def recommendations_of(drafted: list[Any], case: dict[str, Any], today: dt.date) -> list[Recommendation]:
    """The numbered recommendations with the provider's response and progress from ``case``."""
    responses = _by_number(case.get("responses"))
    progress = _by_number(case.get("recommendation_progress"))
    found = []
    for number, item in enumerate(drafted, start=1):
        item = item if isinstance(item, dict) else {}
        answer = responses.get(number, {})
        code = answer.get("response")
        target = parse_date(answer.get("target_date"))
        progress_code = progress.get(number, {}).get("status")
        found.append(
            Recommendation(
                number=number,
                text=str(item.get("text") or ""),
                addressee=ADDRESSEES.get(str(item.get("addressee")), str(item.get("addressee") or "")),
                addressee_code=str(item.get("addressee") or ""),
                level=LEVELS.get(str(item.get("level")), str(item.get("level") or "")),
                response=RESPONSES.get(str(code)) if code else None,
                response_code=code,
                action=str(answer.get("action") or ""),
                owner=str(answer.get("owner") or ""),
                target_date=target,
                progress=PROGRESS.get(str(progress_code)) if progress_code else None,
                progress_code=progress_code,
                status=recommendation_status(code, target, progress_code, today),
            )
        )
    return found
