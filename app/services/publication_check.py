"""The anonymisation check of a publication pack: which texts would become public (``passages``),
what each still contains (through ``anonymisation``), the matches the publication team kept after
review, separation of duties, and what the service's records say stands in the way of publishing.

The check runs on the task forms that carry ``x-sfo-anonymisation-check`` (``anonymise`` for the
anonymisation form, ``approve`` and ``publish`` for the decisions after it), so it cannot be
bypassed through the API. Its messages say where a value was found (field and paragraph) and what
kind of value it is, never the value itself. Who anonymised, who approved and the court outcome are
read from the audit trail (``publication_record``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from ..extensions import db
from ..models import ProcessInstance, PublishedReport, Task, User
from . import anonymisation
from .audit import record_event
from .errors import Forbidden, Invalid
from .publication_record import CHECK_KEYWORD, CaseRecord, duty_conflict
from .reports import SECTIONS
from .users import get_user

REVIEWED_FIELD = "reviewed_matches"
TITLE_FIELD = "public_title"  # the published review's title and summary, written with the anonymised text
SUMMARY_FIELD = "public_summary"
REPLACE = "Replace it and record the change in the redaction log."
SEND_BACK = "Send the report back so that it can be revised."
# How much text the check reads, of one part of the report and of all of it: a report's section is a few
# thousand words. The check's time grows with the text and, for one name repeated in one sentence, with the
# matches times the sentence (each match's reference names its sentence): 100,000 characters take seconds at
# worst, where a request of 5 MB could hold a worker for hours.
MAX_CHECKED = 100_000
MAX_CHECKED_IN_ALL = 500_000


@dataclass(frozen=True)
class Passage:
    path: str  # the anonymisation form's field path
    where: str  # e.g. "Recommendation 2"
    text: str
    one_paragraph: bool = False  # shown as one paragraph (a heading, a line), where a line break is a space

    @property
    def as_shown(self) -> str:
        """The text as the public page lays it out: a one-paragraph text's line breaks are spaces there, so
        a name split by one is whole on the page and must be whole for the check."""
        return self.text.replace("\n", " ") if self.one_paragraph else self.text


class NotPublishable(Exception):
    def __init__(self, problems: dict[str, list[str]]):
        super().__init__("The report cannot be published.")
        self.problems = problems


# --- what would be published -----------------------------------------------------------------------


def passages(pack: dict[str, Any], case: dict[str, Any]) -> Iterator[Passage]:
    """Every piece of text the publication pack would make public, with its form path."""
    yield Passage(TITLE_FIELD, "The title of the published review", str(pack.get(TITLE_FIELD) or ""), True)
    yield Passage(
        SUMMARY_FIELD, "The short summary for the list of published reviews", str(pack.get(SUMMARY_FIELD) or ""), True
    )
    for name, title in SECTIONS:
        yield Passage(f"anonymised_{name}", title, str(pack.get(f"anonymised_{name}") or ""))
    for index, item in enumerate(items_of(pack.get("anonymised_recommendations"))):
        yield Passage(
            f"anonymised_recommendations.{index}.text", f"Recommendation {index + 1}", str(item.get("text") or "")
        )
    for index, item in enumerate(items_of(pack.get("anonymised_responses"))):
        for key, label in (("action", "action"), ("owner", "action owner")):
            yield Passage(
                f"anonymised_responses.{index}.{key}",
                f"The provider's response to recommendation {index + 1} ({label})",
                str(item.get(key) or ""),
                True,
            )
    yield Passage("anonymised_progress_summary", "The provider's progress summary", progress_text(pack, case))


def items_of(value: Any) -> list[dict[str, Any]]:
    return [item if isinstance(item, dict) else {} for item in value] if isinstance(value, list) else []


def progress_text(pack: dict[str, Any], case: dict[str, Any]) -> str:
    """The anonymised progress summary, or the provider's own while nobody has anonymised it."""
    return str(pack.get("anonymised_progress_summary") or case.get("progress_summary") or "")


# --- the check -------------------------------------------------------------------------------------


def findings(pack: dict[str, Any], case: dict[str, Any], reviewed: Collection[str] = ()) -> list[anonymisation.Finding]:
    """Every problem in every passage of the pack, less the matches reviewed and kept. A passage longer than
    the check reads (``MAX_CHECKED``, ``MAX_CHECKED_IN_ALL``) is a problem of its own, and is not read."""
    found: list[anonymisation.Finding] = []
    checked: list[Passage] = []
    left = MAX_CHECKED_IN_ALL
    for passage in passages(pack, case):
        if len(passage.text) > min(MAX_CHECKED, left):
            found.append(_too_long(passage, left))
        elif passage.text:
            left -= len(passage.text)
            checked.append(passage)
    case = anonymisation.with_other_cases(case, [passage.as_shown for passage in checked])
    matchers = anonymisation.identifiers(case, pack.get("redaction_log"))
    for passage in checked:
        found += anonymisation.check_text(passage.path, passage.where, passage.as_shown, matchers, reviewed)
    return found


def _too_long(passage: Passage, left: int) -> anonymisation.Finding:
    if len(passage.text) > MAX_CHECKED:
        message = (
            f"{passage.where} is {len(passage.text):,} characters long. Shorten it to {MAX_CHECKED:,} characters"
            " or fewer: the anonymisation check reads no more than that of one part of the report."
        )
    else:
        message = (
            f"{passage.where} was not checked: the report's text is longer than {MAX_CHECKED_IN_ALL:,} characters"
            f" in all, more than the anonymisation check reads. Shorten the report by {len(passage.text) - left:,}"
            " characters or more."
        )
    return anonymisation.Finding(passage.path, message, says_what_to_do=True)


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
    if finding.invisible or finding.says_what_to_do:
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
        expected, given = len(items_of(case.get(source))), len(items_of(pack.get(key)))
        if expected != given:
            problems[key] = [f"Keep one {noun} for each of the report's {expected} {noun}s (there are {given})"]
    return problems


def reviewed_references(pack: dict[str, Any]) -> list[str]:
    return [str(item.get("reference") or "").strip().upper() for item in items_of(pack.get(REVIEWED_FIELD))]


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
    record = CaseRecord(instance)
    case = record.case_for_check()
    if mode == "anonymise":
        reviewed = set(reviewed_references(submitted))
        found = findings(submitted, case)  # once, with every match: the reviewed ones are checked too
        kept = [f for f in found if f.reference is None or f.reference not in reviewed]
        return {
            **_title_taken(instance, submitted),
            **_reviewed_problems(submitted, found),
            **_problems(kept, submitted, case, REPLACE, True),
        }
    if mode == "approve" and submitted.get("publish_approved") is not True:
        return {}
    problems = check_pack(case, case, SEND_BACK, recorded_reviews(record))
    if mode == "publish":
        problems.update(publication_blockers(record))
    return problems


def _title_taken(instance: ProcessInstance, pack: dict[str, Any]) -> dict[str, list[str]]:
    """The title must tell this review apart in the public list: no other published review has it."""
    title = " ".join(str(pack.get(TITLE_FIELD) or "").split()).casefold()
    if not title:
        return {}
    taken = db.session.scalars(
        select(PublishedReport.title).where(
            or_(PublishedReport.instance_id.is_(None), PublishedReport.instance_id != instance.id)
        )
    )
    if any(" ".join(other.split()).casefold() == title for other in taken):
        return {
            TITLE_FIELD: ["Another published review already has this title. Write a title that sets this review apart"]
        }
    return {}


def recorded_reviews(record: CaseRecord) -> list[str]:
    """The reviewed matches of the current pack, as its last anonymisation or revision recorded them."""
    done = record.anonymisations
    return reviewed_references(done[-1].data) if done else []


@dataclass(frozen=True)
class KeptMatch:
    reference: str
    where: str  # the check's message: field, paragraph and kind, never the value
    kept_by: str
    reason: str


def kept_matches(record: CaseRecord) -> list[KeptMatch]:
    """The matches the current pack keeps after review, for the approver to check."""
    done = record.anonymisations
    if not done or not items_of(done[-1].data.get(REVIEWED_FIELD)):
        return []
    case = record.case_for_check()
    found = {f.reference: f.message for f in findings(case, case) if f.reference}
    return [
        KeptMatch(
            reference, found.get(reference, "No longer in the report."), done[-1].actor, str(item.get("reason") or "")
        )
        for item, reference in zip(
            items_of(done[-1].data.get(REVIEWED_FIELD)), reviewed_references(done[-1].data), strict=True
        )
    ]


def publication_blockers(record: CaseRecord) -> dict[str, list[str]]:
    """What the service's records say stands in the way of publishing (not the case data)."""
    if record.court_outcome != "convicted_sfo":
        return {
            "_form": [
                "Only reports of cases convicted of the SFO can be published: the service has no record "
                "of that court outcome for this case."
            ]
        }
    if not record.anonymisations:
        return {"_form": ["The report has not been anonymised."]}
    if record.approval is None:
        return {"_form": ["The publication team has not approved this report for publication."]}
    return {}


def check_duties(user: User, task: Task) -> None:
    """Separation of duties: the person who prepared the anonymised report cannot approve it."""
    conflict = duty_conflict(user, CaseRecord(task.instance), task.bpmn_id)
    if conflict:
        raise Forbidden(conflict)


def check_assignee(username: str, task: Task) -> None:
    target = get_user(username)
    conflict = duty_conflict(target, CaseRecord(task.instance), task.bpmn_id) if target is not None else None
    if conflict:
        raise Invalid(
            "That user cannot do this task.",
            {
                "username": [
                    f"{username} prepared the anonymised report for this case, so cannot approve its publication."
                ]
            },
        )


def record_reviews(instance: ProcessInstance, pack: dict[str, Any], actor: str) -> None:
    """One audit event for each match kept after review: who kept it, where, what kind and why."""
    items = items_of(pack.get(REVIEWED_FIELD))
    if not items:
        return
    case = CaseRecord(instance).case_for_check()
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
