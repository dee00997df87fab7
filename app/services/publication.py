"""Publication: the check that no name or identifier from the case is left in the text to be
published, and the snapshot that the public pages read.

The check runs on the task forms that carry ``x-sfo-anonymisation-check`` (``anonymise`` for the
anonymisation form, ``approve`` and ``publish`` for the decisions after it), so it cannot be
bypassed through the API. Its messages say where a value was found (field and paragraph) and what
kind of value it is, never the value itself. The matching is in ``anonymisation``; who anonymised,
who approved and the court outcome are read from the audit trail (``publication_record``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from ..extensions import db
from ..models import ProcessInstance, PublishedReport, Task, User
from . import anonymisation
from .audit import record_event
from .definitions import model_of
from .errors import Forbidden, Invalid, NotFound
from .publication_record import (
    CHECK_KEYWORD,
    anonymisations,
    duty_conflict,
    recorded_approval,
    recorded_court_outcome,
)
from .reports import SECTIONS, draft_versions, parse_date, recommendations_of
from .runtime import now
from .users import get_user

PUBLISHES_KEYWORD = "x-sfo-publishes-report"
REVIEWED_FIELD = "reviewed_matches"
REPLACE = "Replace it and record the change in the redaction log."
SEND_BACK = "Send the report back so that it can be revised."


@dataclass(frozen=True)
class Passage:
    path: str  # the anonymisation form's field path
    where: str  # e.g. "Recommendation 2"
    text: str


class NotPublishable(Exception):
    def __init__(self, problems: dict[str, list[str]]):
        super().__init__("The report cannot be published.")
        self.problems = problems


# --- what would be published -----------------------------------------------------------------------


def passages(pack: dict[str, Any], case: dict[str, Any]) -> Iterator[Passage]:
    """Every piece of text the publication pack would make public, with its form path."""
    for name, title in SECTIONS:
        yield Passage(f"anonymised_{name}", title, str(pack.get(f"anonymised_{name}") or ""))
    for index, item in enumerate(_items(pack.get("anonymised_recommendations"))):
        yield Passage(
            f"anonymised_recommendations.{index}.text", f"Recommendation {index + 1}", str(item.get("text") or "")
        )
    for index, item in enumerate(_items(pack.get("anonymised_responses"))):
        for key, label in (("action", "action"), ("owner", "action owner")):
            yield Passage(
                f"anonymised_responses.{index}.{key}",
                f"The provider's response to recommendation {index + 1} ({label})",
                str(item.get(key) or ""),
            )
    yield Passage("anonymised_progress_summary", "The provider's progress summary", progress_text(pack, case))


def _items(value: Any) -> list[dict[str, Any]]:
    return [item if isinstance(item, dict) else {} for item in value] if isinstance(value, list) else []


def progress_text(pack: dict[str, Any], case: dict[str, Any]) -> str:
    """The anonymised progress summary, or the provider's own while nobody has anonymised it."""
    return str(pack.get("anonymised_progress_summary") or case.get("progress_summary") or "")


# --- the check -------------------------------------------------------------------------------------


def findings(pack: dict[str, Any], case: dict[str, Any], reviewed: Collection[str] = ()) -> list[anonymisation.Finding]:
    """Every problem in every passage of the pack, less the matches reviewed and kept."""
    matchers = anonymisation.identifiers(case, pack.get("redaction_log"))
    return [
        finding
        for passage in passages(pack, case)
        if passage.text
        for finding in anonymisation.check_text(passage.path, passage.where, passage.text, matchers, reviewed)
    ]


def check_pack(
    pack: dict[str, Any],
    case: dict[str, Any],
    advice: str,
    reviewed: Collection[str] = (),
    *,
    offer_review: bool = False,
) -> dict[str, list[str]]:
    """Problems by field path: every problem in a field at once, then the lists' lengths."""
    return _problems(findings(pack, case, reviewed), pack, case, advice, offer_review)


def _problems(
    found: list[anonymisation.Finding], pack: dict[str, Any], case: dict[str, Any], advice: str, offer_review: bool
) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for finding in found:
        problems.setdefault(finding.path, []).append(_message(finding, advice, offer_review))
    problems.update(_count_problems(pack, case))
    return problems


def _message(finding: anonymisation.Finding, advice: str, offer_review: bool) -> str:
    if finding.invisible:
        return finding.message
    parts = [finding.message, advice]
    if finding.reference and offer_review:
        parts.append(
            f"If it does not identify anyone, add it to the reviewed matches with the reference {finding.reference}"
            " and your reason."
        )
    elif finding.reference:
        parts.append(f"(Match reference {finding.reference}.)")
    return " ".join(part for part in parts if part)


def _count_problems(pack: dict[str, Any], case: dict[str, Any]) -> dict[str, list[str]]:
    problems = {}
    for key, source, noun in (
        ("anonymised_recommendations", "recommendations", "recommendation"),
        ("anonymised_responses", "responses", "response"),
    ):
        expected, given = len(_items(case.get(source))), len(_items(pack.get(key)))
        if expected != given:
            problems[key] = [f"Keep one {noun} for each of the report's {expected} {noun}s (there are {given})"]
    return problems


def reviewed_references(pack: dict[str, Any]) -> list[str]:
    return [str(item.get("reference") or "").strip().upper() for item in _items(pack.get(REVIEWED_FIELD))]


def _reviewed_problems(pack: dict[str, Any], found: list[anonymisation.Finding]) -> dict[str, list[str]]:
    """A reviewed match must name a match the check finds in the pack as it is now."""
    known = {f.reference for f in found if f.reference}
    problems = {}
    for index, reference in enumerate(reviewed_references(pack)):
        if reference not in known:
            problems[f"{REVIEWED_FIELD}.{index}.reference"] = [
                f"Reviewed match {index + 1}: the check finds no match with the reference {reference or '(blank)'} in"
                " the report as it is now. Copy the reference from the check's message, or remove this entry."
            ]
    return problems


def check_submission(instance: ProcessInstance, schema: dict[str, Any], submitted: Any) -> dict[str, list[str]]:
    """Problems with a submission of a form that carries the anonymisation check; {} otherwise."""
    mode = schema.get(CHECK_KEYWORD)
    if not mode or not isinstance(submitted, dict):
        return {}
    case = instance.data or {}
    if mode == "anonymise":
        reviewed = set(reviewed_references(submitted))
        found = findings(submitted, case)  # once, with every match: the reviewed ones are checked too
        kept = [f for f in found if f.reference is None or f.reference not in reviewed]
        return {**_reviewed_problems(submitted, found), **_problems(kept, submitted, case, REPLACE, True)}
    if mode == "approve" and submitted.get("publish_approved") is not True:
        return {}
    problems = check_pack(case, case, SEND_BACK, recorded_reviews(instance))
    if mode == "publish":
        problems.update(publication_blockers(instance))
    return problems


def recorded_reviews(instance: ProcessInstance) -> list[str]:
    """The reviewed matches of the current pack, as its last anonymisation or revision recorded them."""
    done = anonymisations(instance)
    return reviewed_references(done[-1].data) if done else []


@dataclass(frozen=True)
class KeptMatch:
    reference: str
    where: str  # the check's message: field, paragraph and kind, never the value
    kept_by: str
    reason: str


def kept_matches(instance: ProcessInstance) -> list[KeptMatch]:
    """The matches the current pack keeps after review, for the approver to check."""
    done = anonymisations(instance)
    if not done or not _items(done[-1].data.get(REVIEWED_FIELD)):
        return []
    case = instance.data or {}
    found = {f.reference: f.message for f in findings(case, case) if f.reference}
    return [
        KeptMatch(
            reference, found.get(reference, "No longer in the report."), done[-1].actor, str(item.get("reason") or "")
        )
        for item, reference in zip(
            _items(done[-1].data.get(REVIEWED_FIELD)), reviewed_references(done[-1].data), strict=True
        )
    ]


def publication_blockers(instance: ProcessInstance) -> dict[str, list[str]]:
    """What the service's records say stands in the way of publishing (not the case data)."""
    if recorded_court_outcome(instance) != "convicted_sfo":
        return {
            "_form": [
                "Only reports of cases convicted of the SFO can be published: the service has no record "
                "of that court outcome for this case."
            ]
        }
    if not anonymisations(instance):
        return {"_form": ["The report has not been anonymised."]}
    if recorded_approval(instance) is None:
        return {"_form": ["The publication team has not approved this report for publication."]}
    return {}


def check_duties(user: User, task: Task) -> None:
    """Separation of duties: the person who prepared the anonymised report cannot approve it."""
    conflict = duty_conflict(user, task.instance, task.bpmn_id)
    if conflict:
        raise Forbidden(conflict)


def check_assignee(username: str, task: Task) -> None:
    target = get_user(username)
    conflict = duty_conflict(target, task.instance, task.bpmn_id) if target is not None else None
    if conflict:
        raise Invalid(
            "That user cannot do this task.",
            {
                "username": [
                    f"{username} prepared the anonymised report for this case, so cannot approve its publication."
                ]
            },
        )


# --- the snapshot ----------------------------------------------------------------------------------


def publish_snapshot(instance: ProcessInstance, actor: str) -> PublishedReport:
    """Copy the approved, anonymised pack into the public table (once per case)."""
    case = instance.data or {}
    problems = {**publication_blockers(instance), **check_pack(case, case, SEND_BACK, recorded_reviews(instance))}
    if problems:
        raise NotPublishable(problems)
    existing = db.session.scalar(select(PublishedReport).where(PublishedReport.instance_id == instance.id))
    published_on = parse_date(case.get("published_on")) or now().date()
    report = existing or PublishedReport(
        instance_id=instance.id, slug=_new_slug(published_on.year), published_by=actor, created_at=now(), themes=[]
    )
    offence_type = str(case.get("offence_category") or "other")
    report.offence_type, report.offence_title = offence_type, _offence_title(instance, offence_type)
    report.published_on, report.year = published_on, published_on.year
    report.title = f"Serious Further Offence review: {report.offence_title.lower()}"
    report.content = snapshot_content(instance, case)
    leftovers = _unchecked_public_problems(report, case)
    if leftovers:
        raise NotPublishable({"_form": leftovers})
    db.session.add(report)
    return report


def _public_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _public_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _public_strings(item)


def _unchecked_public_problems(report: PublishedReport, case: dict[str, Any]) -> list[str]:
    """Anything else on the public page (its title, labels, dates) checked too, so that no text
    reaches the page unchecked whatever its source. The passages were checked (with their reviewed
    matches) before; this reads every other string of the snapshot."""
    checked = {passage.text for passage in passages(case, case)}
    others = [
        text for text in _public_strings([report.title, report.offence_title, report.content]) if text not in checked
    ]
    matchers = anonymisation.identifiers(case, case.get("redaction_log"))
    found = [anonymisation.check_text("_form", "The published page", text, matchers) for text in dict.fromkeys(others)]
    return list(dict.fromkeys(f"{finding.message} {SEND_BACK}" for batch in found for finding in batch))


def _new_slug(year: int) -> str:
    count = db.session.scalar(select(func.count()).select_from(PublishedReport).where(PublishedReport.year == year))
    return f"{year}-{(count or 0) + 1:03d}"


def _offence_title(instance: ProcessInstance, code: str) -> str:
    form = model_of(instance.definition).start_form()
    field = ((form.schema if form else {}).get("properties") or {}).get("offence_category") or {}
    titles = {o.get("const"): o.get("title") for o in field.get("oneOf") or [] if isinstance(o, dict)}
    return str(titles.get(code) or code.replace("_", " ").capitalize())


def snapshot_content(instance: ProcessInstance, case: dict[str, Any]) -> dict[str, Any]:
    versions = [v for v in draft_versions(instance) if v.state == "approved"]
    judgement = (versions[-1].data if versions else case).get("overall_judgement")
    # The checks made sure the anonymised lists are as long as the originals.
    drafted = [
        {**item, "text": anon.get("text", "")}
        for item, anon in zip(
            _items(case.get("recommendations")), _items(case.get("anonymised_recommendations")), strict=True
        )
    ]
    responses = [
        {**answer, **{k: anon.get(k, "") for k in ("action", "owner")}}
        for answer, anon in zip(_items(case.get("responses")), _items(case.get("anonymised_responses")), strict=True)
    ]
    published_on = parse_date(case.get("published_on")) or now().date()
    items = recommendations_of(drafted, {**case, "responses": responses}, published_on)
    return {
        "judgement": judgement,
        "sections": [{"title": title, "text": str(case.get(f"anonymised_{name}") or "")} for name, title in SECTIONS],
        "recommendations": [
            {
                "number": r.number,
                "text": r.text,
                "addressee": r.addressee,
                "level": r.level,
                "response": r.response,
                "action": r.action,
                "owner": r.owner,
                "target_date": r.target_date.isoformat() if r.target_date else None,
                "progress": r.progress,
            }
            for r in items
        ],
        "progress_summary": progress_text(case, case),
        "progress_as_at": case.get("progress_as_at"),
        "publication_date": case.get("publication_date"),
    }


def after_task_completed(instance: ProcessInstance, schema: dict[str, Any], data: dict[str, Any], actor: str) -> None:
    """What completing a task changes outside the engine: the published snapshot and the lessons."""
    from . import lessons  # lessons reads the published table; import here to keep one direction

    if schema.get(CHECK_KEYWORD) == "anonymise":
        record_reviews(instance, data, actor)
    if schema.get(PUBLISHES_KEYWORD):
        try:
            publish_snapshot(instance, actor)
        except NotPublishable as refused:
            raise Invalid("The report cannot be published.", refused.problems) from None
    lessons.after_task_completed(instance, schema, data)


def record_reviews(instance: ProcessInstance, pack: dict[str, Any], actor: str) -> None:
    """One audit event for each match kept after review: who kept it, where, what kind and why."""
    items = _items(pack.get(REVIEWED_FIELD))
    if not items:
        return
    case = instance.data or {}
    found = {f.reference: f.message for f in findings(pack, case) if f.reference}
    for item in items:
        reference = str(item.get("reference") or "").strip().upper()
        reason = str(item.get("reason") or "").strip()
        record_event(
            instance,
            actor,
            "match-reviewed",
            f"{actor} kept a match after review ({reference}): {found.get(reference, '')} Reason: {reason}",
            reference=reference,
            reason=reason,
            where=found.get(reference, ""),
        )


# --- what the public pages read (only the published table) -----------------------------------------


@dataclass(frozen=True)
class PublishedFilters:
    theme: str = ""
    year: int | None = None
    offence_type: str = ""


def list_published(filters: PublishedFilters) -> list[PublishedReport]:
    query = select(PublishedReport).order_by(PublishedReport.published_on.desc(), PublishedReport.id.desc())
    if filters.year:
        query = query.where(PublishedReport.year == filters.year)
    if filters.offence_type:
        query = query.where(PublishedReport.offence_type == filters.offence_type)
    reports = list(db.session.scalars(query))
    return [r for r in reports if filters.theme in (r.themes or [])] if filters.theme else reports


def published_choices() -> tuple[list[int], list[tuple[str, str]], list[str]]:
    """The years, offence types (code, title) and theme codes that published reports have."""
    reports = list(db.session.scalars(select(PublishedReport)))
    years = sorted({r.year for r in reports}, reverse=True)
    offences = sorted({(r.offence_type, r.offence_title) for r in reports}, key=lambda o: o[1])
    themes = sorted({code for r in reports for code in r.themes or []})
    return years, offences, themes


def get_published(slug: str) -> PublishedReport:
    report = db.session.scalar(select(PublishedReport).where(PublishedReport.slug == slug))
    if report is None:
        raise NotFound("There is no published report with that reference.")
    return report


def published_for(instance: ProcessInstance) -> PublishedReport | None:
    return db.session.scalar(select(PublishedReport).where(PublishedReport.instance_id == instance.id))
