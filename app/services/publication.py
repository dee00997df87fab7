"""Publication: the check that no name or identifier from the case is left in the text to be
published, and the snapshot that the public pages read.

The check runs on the task forms that carry ``x-sfo-anonymisation-check`` (``anonymise`` for the
anonymisation form, ``approve`` and ``publish`` for the decisions after it), so it cannot be
bypassed through the API. Its messages say where a value was found and what kind of value it is,
never the value itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import ProcessInstance, PublicationCounter, PublishedReport
from .definitions import model_of
from .errors import Invalid, NotFound
from .reports import SECTIONS, draft_versions, parse_date, recommendations_of
from .runtime import now

CHECK_KEYWORD = "x-sfo-anonymisation-check"
PUBLISHES_KEYWORD = "x-sfo-publishes-report"
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
REDACTION_KINDS = {
    "person": "a name of the person on probation",
    "victim": "a victim's name",
    "staff": "a staff member's name",
    "address": "an address",
    "other": "an identifying detail",
}


@dataclass(frozen=True)
class Identifier:
    what: str  # e.g. "the name of the person on probation"
    value: str


@dataclass(frozen=True)
class Passage:
    path: str  # the anonymisation form's field path
    where: str  # e.g. "Recommendation 2"
    text: str


class NotPublishable(Exception):
    def __init__(self, problems: dict[str, list[str]]):
        super().__init__("The report cannot be published.")
        self.problems = problems


# --- what must not appear -------------------------------------------------------------------------


def _lines(value: Any) -> list[str]:
    return [line.strip() for line in str(value or "").splitlines() if line.strip()]


def _name_parts(name: str) -> list[str]:
    return [part for part in re.split(r"[\s,]+", name) if len(part.strip(".'-")) >= 3]


def _address_parts(address: Any) -> list[str]:
    """Each line or comma-separated part of an address, and a street without its house number."""
    parts = [part.strip() for line in _lines(address) for part in line.split(",") if len(part.strip()) >= 4]
    streets = [re.sub(r"^\d+[a-zA-Z]?\s+", "", part) for part in parts if re.match(r"^\d", part)]
    return list(dict.fromkeys(parts + [street for street in streets if len(street) >= 4]))


def date_variants(value: Any) -> list[str]:
    day = parse_date(value)
    if day is None:
        return []
    month = MONTHS[day.month - 1]
    return [
        day.isoformat(),
        f"{day.day} {month} {day.year}",
        f"{day.day:02d} {month} {day.year}",
        f"{day.day} {month[:3]} {day.year}",
        f"{day.day:02d}/{day.month:02d}/{day.year}",
        f"{day.day}/{day.month}/{day.year}",
        f"{day.day:02d}.{day.month:02d}.{day.year}",
    ]


def identifiers(case: dict[str, Any], redaction_log: Any = None) -> list[Identifier]:
    """Every name and identifier from the case data (and the redaction log's originals)."""
    found: list[Identifier] = []
    person = str(case.get("person_name") or "").strip()
    if person:
        found.append(Identifier("the name of the person on probation", person))
        found += [Identifier("part of the name of the person on probation", part) for part in _name_parts(person)]
    found += [Identifier("the person's date of birth", text) for text in date_variants(case.get("date_of_birth"))]
    for key, what in (("crn", "the person's CRN"), ("pnc", "the person's PNC number")):
        if str(case.get(key) or "").strip():
            found.append(Identifier(what, str(case[key]).strip()))
    for part in _address_parts(case.get("person_address")):
        found.append(Identifier("the person's address", part))
    for name in _lines(case.get("victim_names")):
        found.append(Identifier("a victim's name", name))
        found += [Identifier("part of a victim's name", part) for part in _name_parts(name)]
    for name in _lines(case.get("staff_names")):
        found.append(Identifier("the name of a member of staff", name))
        found += [Identifier("part of the name of a member of staff", part) for part in _name_parts(name)]
    for entry in _items(redaction_log):
        if isinstance(entry, dict) and str(entry.get("original") or "").strip():
            found.append(
                Identifier(
                    f"{REDACTION_KINDS.get(str(entry.get('category')), 'a detail')} from the redaction log",
                    str(entry["original"]).strip(),
                )
            )
    return found


def _pattern(value: str) -> re.Pattern[str]:
    words = r"\s+".join(re.escape(word) for word in value.split())
    return re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE)


def found_in(text: str, found: list[Identifier]) -> Identifier | None:
    """The first identifier that appears in ``text`` as a whole word or phrase."""
    return next((item for item in found if _pattern(item.value).search(text)), None)


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


def check_pack(pack: dict[str, Any], case: dict[str, Any], advice: str) -> dict[str, list[str]]:
    found = identifiers(case, pack.get("redaction_log"))
    problems: dict[str, list[str]] = {}
    for passage in passages(pack, case):
        hit = found_in(passage.text, found) if passage.text else None
        if hit is not None:
            problems[passage.path] = [f"{passage.where} still contains {hit.what}. {advice}".strip()]
    problems.update(_count_problems(pack, case))
    return problems


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


def check_submission(schema: dict[str, Any], case: dict[str, Any], submitted: Any) -> dict[str, list[str]]:
    """Problems with a submission of a form that carries the anonymisation check; {} otherwise."""
    mode = schema.get(CHECK_KEYWORD)
    if not mode or not isinstance(submitted, dict):
        return {}
    if mode == "anonymise":
        return check_pack(submitted, case, "Replace it and record the change in the redaction log.")
    if mode == "approve" and submitted.get("publish_approved") is not True:
        return {}
    problems = check_pack(case, case, "Send the report back so that it can be revised.")
    if mode == "publish":
        problems.update(publication_blockers(case))
    return problems


def publication_blockers(case: dict[str, Any]) -> dict[str, list[str]]:
    if case.get("court_outcome") != "convicted_sfo":
        return {"_form": ["Only reports of cases convicted of the SFO can be published."]}
    if case.get("publish_approved") is not True:
        return {"_form": ["The publication team has not approved this report for publication."]}
    if not case.get("anonymised_summary"):
        return {"_form": ["The report has not been anonymised."]}
    return {}


# --- the snapshot ----------------------------------------------------------------------------------


def publish_snapshot(instance: ProcessInstance, actor: str) -> PublishedReport:
    """Copy the approved, anonymised pack into the public table (once per case)."""
    case = instance.data or {}
    problems = {**publication_blockers(case), **check_pack(case, case, "")}
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
    db.session.add(report)
    return report


def _new_slug(year: int) -> str:
    """The year's next publication number, taken from its counter row in one atomic increment."""
    increment = (
        update(PublicationCounter)
        .where(PublicationCounter.year == year)
        .values(last_number=PublicationCounter.last_number + 1)
        .returning(PublicationCounter.last_number)
    )
    number = db.session.scalar(increment, execution_options={"synchronize_session": False})
    if number is None:  # the year's first publication (or the first since counters came in)
        _insert_counter(year, _highest_number(year))
        number = db.session.scalar(increment, execution_options={"synchronize_session": False})
    return f"{year}-{number:03d}"


def _insert_counter(year: int, last_number: int) -> None:
    """Create the year's counter unless a concurrent publication just did (then use theirs)."""
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(PublicationCounter).values(year=year, last_number=last_number).on_conflict_do_nothing())


def _highest_number(year: int) -> int:
    slugs = db.session.scalars(select(PublishedReport.slug).where(PublishedReport.year == year))
    return max((int(slug.rpartition("-")[2]) for slug in slugs if slug.rpartition("-")[2].isdigit()), default=0)


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

    if schema.get(PUBLISHES_KEYWORD):
        try:
            publish_snapshot(instance, actor)
        except NotPublishable as refused:
            raise Invalid("The report cannot be published.", refused.problems) from None
    lessons.after_task_completed(instance, schema, data)


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
