"""Publication: the snapshot of the approved, anonymised report that the public pages read, taken
when the publication team publishes, and what those pages read. The check that no name or
identifier is left in it is in ``publication_check``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    and_,
    exists,
    false,
    func,
    literal_column,
    select,
    true,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import ProcessInstance, PublicationCounter, PublishedReport
from . import anonymisation
from .definitions import model_of
from .errors import Invalid, NotFound
from .publication_check import (
    CHECK_KEYWORD,
    SEND_BACK,
    SUMMARY_FIELD,
    TITLE_FIELD,
    NotPublishable,
    check_pack,
    items_of,
    passages,
    progress_text,
    publication_blockers,
    record_reviews,
    recorded_reviews,
)
from .publication_record import CaseRecord
from .reports import SECTIONS, draft_versions, parse_date, recommendations_of
from .runtime import london_today, now

PUBLISHES_KEYWORD = "x-sfo-publishes-report"


# --- the snapshot ----------------------------------------------------------------------------------


def publish_snapshot(instance: ProcessInstance, actor: str) -> PublishedReport:
    """Copy the approved, anonymised pack into the public table (once per case)."""
    record = CaseRecord(instance)
    case, checked = instance.data or {}, record.case_for_check()
    problems = {**publication_blockers(record), **check_pack(case, checked, SEND_BACK, recorded_reviews(record))}
    if problems:
        raise NotPublishable(problems)
    existing = db.session.scalar(select(PublishedReport).where(PublishedReport.instance_id == instance.id))
    published_on = parse_date(case.get("published_on")) or london_today()
    report = existing or PublishedReport(
        instance_id=instance.id, slug=_new_slug(published_on.year), published_by=actor, created_at=now(), themes=[]
    )
    _fill_snapshot(report, instance, case, published_on)
    index_for_search(report)
    leftovers = _unchecked_public_problems(report, case, checked)
    if leftovers:
        raise NotPublishable({"_form": leftovers})
    db.session.add(report)
    return report


def _fill_snapshot(report: PublishedReport, instance: ProcessInstance, case: dict[str, Any], published_on: Any) -> None:
    offence_type = str(case.get("offence_category") or "other")
    report.offence_type, report.offence_title = offence_type, _offence_title(instance, offence_type)
    report.published_on, report.year = published_on, published_on.year
    report.title = public_text(case, TITLE_FIELD) or fallback_title(report.offence_title)
    report.summary = public_text(case, SUMMARY_FIELD) or None
    report.content = snapshot_content(instance, case)


def public_text(case: dict[str, Any], field: str) -> str:
    return str(case.get(field) or "").strip()


def fallback_title(offence_title: str) -> str:
    """The title of a review whose pack has no title of its own (prepared before titles came in)."""
    return f"Serious Further Offence review: {offence_title.lower()}"


def index_for_search(report: PublishedReport) -> None:
    """Write what a visitor's search reads: the text, and on PostgreSQL its indexed words."""
    report.search_text = search_text_of(report.title, report.summary, report.content or {})
    if db.engine.dialect.name == "postgresql":
        report.search_vector = func.to_tsvector(ENGLISH, report.search_text)


def search_text_of(title: str, summary: str | None, content: dict[str, Any]) -> str:
    """What a visitor's search reads: the title, the summary and every text of the public page.
    (The migration that added the column wrote the same for earlier snapshots.)"""
    parts = [title, summary or ""]
    parts += [str(s.get("text") or "") for s in content.get("sections") or [] if isinstance(s, dict)]
    for r in content.get("recommendations") or []:
        if isinstance(r, dict):
            parts += [str(r.get(k) or "") for k in ("text", "action", "owner", "progress")]
    parts.append(str(content.get("progress_summary") or ""))
    return "\n".join(p for p in parts if p)


def preview_snapshot(instance: ProcessInstance) -> PublishedReport | None:
    """The public page's content as publishing would take it now (never stored), dated the planned
    publication date, for approval; None while the anonymised pack is incomplete."""
    case = instance.data or {}
    published_on = parse_date(case.get("published_on")) or parse_date(case.get("publication_date")) or london_today()
    report = PublishedReport(slug="", themes=[])
    try:
        _fill_snapshot(report, instance, case, published_on)
    except ValueError:  # the anonymised lists do not match the report's yet
        return None
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


def _unchecked_public_problems(report: PublishedReport, case: dict[str, Any], identity: dict[str, Any]) -> list[str]:
    """Anything else on the public page (its title, labels, dates) checked too, so that no text
    reaches the page unchecked whatever its source. The passages were checked (with their reviewed
    matches) before; this reads every other string of the snapshot."""
    passage_texts = {passage.text for passage in passages(case, case)}
    others = [
        text
        for text in _public_strings([report.title, report.summary or "", report.offence_title, report.content])
        if text not in passage_texts
    ]
    texts = list(dict.fromkeys(others))
    identity = anonymisation.with_other_cases(identity, texts)
    matchers = anonymisation.identifiers(identity, case.get("redaction_log"))
    found = [anonymisation.check_text("_form", "The published page", text, matchers) for text in texts]
    return list(dict.fromkeys(f"{finding.message} {SEND_BACK}" for batch in found for finding in batch))


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
            items_of(case.get("recommendations")), items_of(case.get("anonymised_recommendations")), strict=True
        )
    ]
    responses = [
        {**answer, **{k: anon.get(k, "") for k in ("action", "owner")}}
        for answer, anon in zip(
            items_of(case.get("responses")), items_of(case.get("anonymised_responses")), strict=True
        )
    ]
    published_on = parse_date(case.get("published_on")) or london_today()
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
    lessons.after_task_completed(instance, schema, data, actor)


# --- what the public pages read (only the published table) -----------------------------------------


ENGLISH: ColumnElement[str] = literal_column("'english'")  # a literal, as the stored vectors were made
SEARCH_LIMIT = 200  # characters of a visitor's search that are used
PER_PAGE = 20


@dataclass(frozen=True)
class PublishedFilters:
    theme: str = ""
    year: int | None = None
    offence_type: str = ""
    text: str = ""


@dataclass(frozen=True)
class PublishedPage:
    reports: list[PublishedReport]
    total: int
    page: int
    pages: int


def search_terms(raw: str) -> str:
    """A visitor's search as the list uses it: no control characters (PostgreSQL refuses NUL), single
    spaces, at most SEARCH_LIMIT characters."""
    printable = "".join(ch if ch.isprintable() else " " for ch in raw)
    return " ".join(printable.split())[:SEARCH_LIMIT].strip()


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def matches_text(text: str) -> ColumnElement[bool]:
    """Published reports whose title, summary or report text match a visitor's search: PostgreSQL's
    full-text search (stemmed English words, "quoted phrases", -excluded words; indexed), or on
    SQLite every word as a case-insensitive substring."""
    if db.engine.dialect.name == "postgresql":
        query = func.websearch_to_tsquery(ENGLISH, text)
        return PublishedReport.search_vector.op("@@", return_type=Boolean)(query)
    words = [word for word in (w.strip('"') for w in text.split()) if word]
    if not words:  # only quotes: nothing to look for (as PostgreSQL finds nothing)
        return false()
    return and_(*(PublishedReport.search_text.ilike(f"%{_escape_like(w)}%", escape="\\") for w in words))


def _tagged(theme: str) -> ColumnElement[bool]:
    """Published reports tagged with ``theme`` (their themes are a JSON list)."""
    if db.engine.dialect.name == "postgresql":
        return type_coerce(PublishedReport.themes, JSONB).contains([theme])
    tags = func.json_each(PublishedReport.themes).table_valued("value")
    return exists().select_from(tags).where(tags.c.value == theme)


def _theme_codes() -> Any:
    """Every theme code published reports are tagged with, once each, as a one-column query."""
    if db.engine.dialect.name == "postgresql":
        themes = type_coerce(PublishedReport.themes, JSONB)
        each = func.jsonb_array_elements_text(themes).table_valued("value").lateral()
    else:  # SQLite's table-valued functions read the tables before them without LATERAL
        each = func.json_each(PublishedReport.themes).table_valued("value")
    return select(each.c.value).select_from(PublishedReport).join(each, true()).distinct()


def list_published(filters: PublishedFilters, page: int = 1, per_page: int = PER_PAGE) -> PublishedPage:
    """One page of the published reports the filters and search match, newest first: the matches are counted
    in the database and only the page's reports are read."""
    conditions = []
    if filters.year:
        conditions.append(PublishedReport.year == filters.year)
    if filters.offence_type:
        conditions.append(PublishedReport.offence_type == filters.offence_type)
    if filters.theme:
        conditions.append(_tagged(filters.theme))
    text = search_terms(filters.text)
    if text:
        conditions.append(matches_text(text))
    total = db.session.scalar(select(func.count()).select_from(PublishedReport).where(*conditions)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    order = (PublishedReport.published_on.desc(), PublishedReport.id.desc())
    shown = select(PublishedReport).where(*conditions).order_by(*order).limit(per_page).offset((page - 1) * per_page)
    return PublishedPage(list(db.session.scalars(shown)), total, page, pages)


def list_summary(report: PublishedReport, limit: int = 300) -> str:
    """The summary shown in the public list: the one written at publication, or for reviews published
    before summaries came in, the first paragraph of the report's (anonymised) summary, shortened."""
    if report.summary:
        return report.summary
    sections = (report.content or {}).get("sections") or []
    first = str(sections[0].get("text") or "") if sections and isinstance(sections[0], dict) else ""
    paragraph = " ".join(next((p for p in first.split("\n") if p.strip()), "").split())
    if len(paragraph) <= limit:
        return paragraph
    return paragraph[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def published_choices() -> tuple[list[int], list[tuple[str, str]], list[str]]:
    """The years, offence types (code, title) and theme codes that published reports have, read as distinct
    values (not a row for each report)."""
    offences = select(PublishedReport.year, PublishedReport.offence_type, PublishedReport.offence_title).distinct()
    found = db.session.execute(offences).all()
    years = sorted({row.year for row in found}, reverse=True)
    kinds = sorted({(row.offence_type, row.offence_title) for row in found}, key=lambda o: o[1])
    return years, kinds, sorted(db.session.scalars(_theme_codes()))


def get_published(slug: str) -> PublishedReport:
    report = db.session.scalar(select(PublishedReport).where(PublishedReport.slug == slug))
    if report is None:
        raise NotFound("There is no published report with that reference.")
    return report


def published_for(instance: ProcessInstance) -> PublishedReport | None:
    return db.session.scalar(select(PublishedReport).where(PublishedReport.instance_id == instance.id))
