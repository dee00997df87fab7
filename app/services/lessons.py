"""Lessons learned across reviews: the managed list of themes, the themes tagged on each review,
the recommendations with their status, the figures the monitoring pages show and the periodic digest.

The figures read two projection tables written when tasks are completed (``review_theme``,
``recommendation_record``), never the case data of every case.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import delete, distinct, extract, func, select

from ..engine import Form
from ..extensions import db
from ..models import (
    ProcessInstance,
    PublishedReport,
    RecommendationRecord,
    ReviewFailure,
    ReviewTheme,
    Theme,
    User,
)
from .access import MANAGING_ROLES, require_role
from .audit import record_event
from .case_providers import named_providers, recommendation_provider
from .errors import Invalid, NotFound
from .reports import ADDRESSEES, FAILURE_CLASSES, STATUSES, failures_of, parse_date, recommendation_status
from .runtime import london_today, transactional
from .spreadsheet_cells import SafeCsvWriter

OPTIONS_KEYWORD = "x-sfo-options"  # a field whose choices are the managed list named here
DEFAULT_THEMES = (
    ("risk_assessment", "Assessment of risk of serious harm"),
    ("risk_management", "Risk management planning"),
    ("sentence_planning", "Sentence planning and delivery"),
    ("enforcement_and_recall", "Enforcement and recall"),
    ("domestic_abuse", "Domestic abuse"),
    ("child_safeguarding", "Safeguarding children"),
    ("adult_safeguarding", "Safeguarding adults"),
    ("information_sharing", "Information sharing with partners"),
    ("mappa", "MAPPA management"),
    ("management_oversight", "Management oversight"),
    ("workload_and_staffing", "Workload and staffing"),
    ("mental_health", "Mental health"),
    ("substance_misuse", "Substance misuse"),
    ("accommodation", "Accommodation"),
    ("diversity_and_needs", "Responding to diversity and individual needs"),
)


# --- the managed list ------------------------------------------------------------------------------


def seed_default_themes() -> None:
    """Start an empty list with the default themes (the migration seeds them; tests empty tables)."""
    if db.session.scalar(select(Theme.code).limit(1)) is None:
        db.session.add_all(
            Theme(code=code, title=title, active=True, position=n) for n, (code, title) in enumerate(DEFAULT_THEMES)
        )
        db.session.flush()


def list_themes(*, active_only: bool = False) -> list[Theme]:
    """The managed list in its order (one read; the list is short)."""
    themes = list(db.session.scalars(select(Theme).order_by(Theme.position, Theme.title)))
    return [theme for theme in themes if theme.active] if active_only else themes


def theme_titles() -> dict[str, str]:
    return {theme.code: theme.title for theme in list_themes()}


def _code_for(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:60]


@transactional
def add_theme(user: User, title: str) -> Theme:
    require_role(user, MANAGING_ROLES, "change the list of themes")
    title = " ".join((title or "").split())
    if not title:
        raise Invalid("Enter the theme.", {"title": ["Enter the name of the theme"]})
    if len(title) > 200:
        raise Invalid("The theme is too long.", {"title": ["The name of the theme must be 200 characters or fewer"]})
    themes = list_themes()
    code = _code_for(title)
    if not code or any(t.code == code or t.title.lower() == title.lower() for t in themes):
        raise Invalid("That theme is already in the list.", {"title": ["That theme is already in the list"]})
    theme = Theme(code=code, title=title, active=True, position=max((t.position for t in themes), default=0) + 1)
    db.session.add(theme)
    return theme


@transactional
def update_theme(user: User, code: str, *, title: str | None = None, active: bool | None = None) -> Theme:
    require_role(user, MANAGING_ROLES, "change the list of themes")
    theme = db.session.get(Theme, code)
    if theme is None:
        raise NotFound("There is no such theme.")
    if title is not None:
        title = " ".join(title.split())
        if not title or len(title) > 200:
            raise Invalid("Enter the theme.", {"title": ["Enter the name of the theme (200 characters or fewer)"]})
        theme.title = title
    if active is not None:
        theme.active = active
    return theme


def _uses_themes(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    if schema.get(OPTIONS_KEYWORD) == "themes":
        return True
    return any(_uses_themes(child) for child in (schema.get("properties") or {}).values()) or _uses_themes(
        schema.get("items")
    )


def _with_options(schema: Any, options: list[dict[str, str]]) -> Any:
    if not isinstance(schema, dict):
        return schema
    changed = dict(schema)
    if schema.get(OPTIONS_KEYWORD) == "themes":
        changed["items"] = {**(schema.get("items") or {}), "oneOf": options}
        return changed
    if isinstance(schema.get("properties"), dict):
        changed["properties"] = {k: _with_options(v, options) for k, v in schema["properties"].items()}
    if isinstance(schema.get("items"), dict):
        changed["items"] = _with_options(schema["items"], options)
    return changed


def with_managed_options(form: Form) -> Form:
    """The form with each field marked ``x-sfo-options: themes`` (at any depth) offering the active themes."""
    if not _uses_themes(form.schema):
        return form
    options = [{"const": t.code, "title": t.title} for t in list_themes(active_only=True)]
    return replace(form, schema=_with_options(form.schema, options))


# --- the projections, kept up to date as tasks are completed ----------------------------------------


def tagged_themes(schema: dict[str, Any], data: dict[str, Any]) -> list[str] | None:
    for name, spec in (schema.get("properties") or {}).items():
        if isinstance(spec, dict) and spec.get(OPTIONS_KEYWORD) == "themes" and isinstance(data.get(name), list):
            return [str(code) for code in data[name]]
    return None


def stored_themes(instance: ProcessInstance) -> list[str]:
    """The review's themes as stored (the one record of them), in the order of the managed list."""
    query = select(ReviewTheme.theme_code).where(ReviewTheme.instance_id == instance.id)
    return _in_list_order(set(db.session.scalars(query)), list_themes())


def _in_list_order(codes: set[str], themes: list[Theme]) -> list[str]:
    order = [t.code for t in themes]
    return [code for code in order if code in codes] + sorted(codes - set(order))


def stored_themes_prefill(schema: dict[str, Any], instance: ProcessInstance) -> dict[str, list[str]]:
    """A form's themes field starts from the review's stored themes (set on the case's themes page since the
    report was approved), so the closure task shows what is stored and writes back to it."""
    names = [
        name
        for name, spec in (schema.get("properties") or {}).items()
        if isinstance(spec, dict) and spec.get(OPTIONS_KEYWORD) == "themes" and spec.get("type") == "array"
    ]
    codes = stored_themes(instance) if names else []
    return {name: codes for name in names} if codes else {}


def record_themes(instance: ProcessInstance, codes: list[str], actor: str) -> None:
    """Store the review's themes, audited when they change. A review keeps the date it was first tagged, so
    a correction does not move it to another period of the figures and digest."""
    kept = db.session.execute(
        select(ReviewTheme.theme_code, ReviewTheme.tagged_on).where(ReviewTheme.instance_id == instance.id)
    ).all()
    themes = list_themes()
    before = _in_list_order({code for code, _ in kept}, themes)
    after = list(dict.fromkeys(codes))
    tagged_on = min((day for _, day in kept), default=london_today())
    if set(before) != set(after) or any(day != tagged_on for _, day in kept):  # else the rows are as they would be
        db.session.execute(delete(ReviewTheme).where(ReviewTheme.instance_id == instance.id))
        db.session.add_all(ReviewTheme(instance_id=instance.id, theme_code=code, tagged_on=tagged_on) for code in after)
    published = db.session.scalar(select(PublishedReport).where(PublishedReport.instance_id == instance.id))
    if published is not None:
        published.themes = after
    if set(before) != set(after):
        titles = {theme.code: theme.title for theme in themes}
        record_event(
            instance,
            actor,
            "themes-changed",
            f"{actor} set the themes: {'; '.join(titles.get(c, c) for c in after) or 'none'}.",
            before=before,
            after=after,
        )


def sync_recommendations(instance: ProcessInstance) -> None:
    """Rewrite the case's recommendation rows from its data once the report has been sent."""
    case = instance.data or {}
    sent_on = parse_date(case.get("report_sent_on"))
    if sent_on is None:
        return
    responses = {r.get("recommendation"): r for r in case.get("responses") or [] if isinstance(r, dict)}
    progress = {p.get("recommendation"): p for p in case.get("recommendation_progress") or [] if isinstance(p, dict)}
    themes = {t.get("recommendation"): t for t in case.get("recommendation_themes") or [] if isinstance(t, dict)}
    kept = {
        r.number: r
        for r in db.session.scalars(select(RecommendationRecord).where(RecommendationRecord.instance_id == instance.id))
    }
    tracked = {
        n: {k: getattr(r, k) for k in ("tracking_status", "evidence", "done_on", "tracked_on", "tracked_by")}
        for n, r in kept.items()
    }
    db.session.execute(delete(RecommendationRecord).where(RecommendationRecord.instance_id == instance.id))
    providers = named_providers(case, instance.provider_org)
    for number, item in enumerate(case.get("recommendations") or [], start=1):
        answer = responses.get(number, {})
        db.session.add(
            RecommendationRecord(
                instance_id=instance.id,
                number=number,
                addressee=str(item.get("addressee") or ""),
                level=str(item.get("level") or ""),
                text=str(item.get("text") or ""),
                response=answer.get("response"),
                target_date=parse_date(answer.get("target_date")),
                progress=progress.get(number, {}).get("status"),
                themes=list(themes.get(number, {}).get("themes") or []),
                sent_on=sent_on,
                provider_org=recommendation_provider(item, providers) or instance.provider_org,
                **tracked.get(number, {}),
            )
        )


def sync_failures(instance: ProcessInstance) -> None:
    """Rewrite the case's failure rows from the report just approved."""
    db.session.execute(delete(ReviewFailure).where(ReviewFailure.instance_id == instance.id))
    today = london_today()
    db.session.add_all(
        ReviewFailure(
            instance_id=instance.id,
            number=failure.number,
            classification=failure.classification_code,
            relevant_to_outcome=failure.relevant_to_outcome,
            description=failure.description,
            approved_on=today,
        )
        for failure in failures_of((instance.data or {}).get("failures"))
    )


RECOMMENDATION_FIELDS = {"qa_decision", "responses", "recommendation_progress", "recommendation_themes"}


def after_task_completed(instance: ProcessInstance, schema: dict[str, Any], data: dict[str, Any], actor: str) -> None:
    codes = tagged_themes(schema, data)
    if codes is not None:
        record_themes(instance, codes, actor)
    if RECOMMENDATION_FIELDS & set(data):
        sync_recommendations(instance)
    if data.get("qa_decision") == "approve":
        sync_failures(instance)


# --- figures ---------------------------------------------------------------------------------------


def period_of(day: dt.date, by: str) -> str:
    return str(day.year) if by == "year" else f"{day.year} Q{(day.month - 1) // 3 + 1}"


@dataclass(frozen=True)
class ThemeFigures:
    periods: list[str]
    rows: list[tuple[str, str, list[int], int]]  # code, title, reviews per period, reviews in all
    reviews: int
    recommendations: dict[str, int]  # theme code -> recommendations tagged with it


def _between(column: Any, start: dt.date | None, end: dt.date | None) -> list[Any]:
    return [*([column >= start] if start else []), *([column <= end] if end else [])]


def _months(column: Any) -> tuple[Any, Any]:
    """The year and the month of a date column, to count by in the database (quarters and years are made of
    months: grouping by them reads a row for each month that has any, not one for each record)."""
    return extract("year", column), extract("month", column)


def _period_of_month(year: Any, month: Any, by: str) -> str:
    return period_of(dt.date(int(year), int(month), 1), by)


def theme_counts(by: str = "quarter", start: dt.date | None = None, end: dt.date | None = None) -> ThemeFigures:
    """Reviews tagged with each theme, per quarter (or year), between two dates inclusive."""
    within = _between(ReviewTheme.tagged_on, start, end)
    year, month = _months(ReviewTheme.tagged_on)
    grouped = (
        select(ReviewTheme.theme_code, year, month, func.count())
        .where(*within)
        .group_by(ReviewTheme.theme_code, year, month)
    )
    counts: Counter[tuple[str, str]] = Counter()
    for code, in_year, in_month, tagged in db.session.execute(grouped):
        counts[(code, _period_of_month(in_year, in_month, by))] += tagged
    periods = sorted({period for _, period in counts})
    titles = theme_titles()
    codes = list(titles) + sorted({code for code, _ in counts} - set(titles))
    rows = [
        (code, titles.get(code, code), [counts[(code, p)] for p in periods], sum(counts[(code, p)] for p in periods))
        for code in codes
    ]
    reviews = db.session.scalar(select(func.count(distinct(ReviewTheme.instance_id))).where(*within)) or 0
    return ThemeFigures(periods, sorted(rows, key=lambda r: -r[3]), reviews, recommendation_theme_counts(start, end))


def recommendation_theme_counts(start: dt.date | None = None, end: dt.date | None = None) -> dict[str, int]:
    """Recommendations (in reports sent between the dates) tagged with each theme: counted by the set of themes
    they carry, which few recommendations do not share."""
    themes = RecommendationRecord.themes
    grouped = select(themes, func.count()).where(*_between(RecommendationRecord.sent_on, start, end)).group_by(themes)
    counts: Counter[str] = Counter()
    for codes, tagged in db.session.execute(grouped):
        for code in set(codes or []):
            counts[code] += tagged
    return dict(counts)


@dataclass(frozen=True)
class RecommendationFigures:
    statuses: tuple[str, ...]
    rows: list[tuple[str, list[int], int]]  # addressee title, count per status, total
    totals: list[int]


def recommendation_counts(
    today: dt.date, start: dt.date | None = None, end: dt.date | None = None
) -> RecommendationFigures:
    """Recommendations by addressee and status, counted in the database by what decides the status."""
    record = RecommendationRecord
    facts = (
        select(
            record.addressee,
            record.response,
            record.progress,
            record.tracking_status,
            (record.target_date < today).label("late"),
        )
        .where(*_between(record.sent_on, start, end))
        .subquery()
    )
    columns = list(facts.c)
    grouped = select(*columns, func.count()).group_by(*columns)
    table: dict[str, Counter[str]] = defaultdict(Counter)
    yesterday = today - dt.timedelta(days=1)  # a target date before today: all the status asks of one
    for row in db.session.execute(grouped):
        addressee, response, progress, tracking, late, counted = tuple(row)
        status = recommendation_status(response, yesterday if late else None, progress, today, tracking)
        table[addressee][status] += counted
    order = list(ADDRESSEES) + sorted(set(table) - set(ADDRESSEES))
    rows = [(ADDRESSEES.get(a, a), [table[a][s] for s in STATUSES], sum(table[a].values())) for a in order]
    return RecommendationFigures(STATUSES, rows, [sum(table[a][s] for a in table) for s in STATUSES])


@dataclass(frozen=True)
class FailureFigures:
    periods: list[str]
    classes: list[tuple[str, str, list[int], int, int]]  # code, title, per period, in all, relevant to outcome
    themes: list[tuple[str, str, list[int]]]  # theme code, title, failures of each class (in FAILURE_CLASSES order)
    total: int


def failure_counts(by: str = "quarter", start: dt.date | None = None, end: dt.date | None = None) -> FailureFigures:
    """Failures in reports approved between two dates: by class per quarter (or year), and by class for
    each theme tagged on the same reviews."""
    failure = ReviewFailure
    within = _between(failure.approved_on, start, end)
    year, month = _months(failure.approved_on)
    grouped = (
        select(failure.classification, failure.relevant_to_outcome, year, month, func.count())
        .where(*within)
        .group_by(failure.classification, failure.relevant_to_outcome, year, month)
    )
    per_period: Counter[tuple[str, str]] = Counter()
    relevant: Counter[str] = Counter()
    for code, yes, in_year, in_month, counted in db.session.execute(grouped):
        per_period[(code, _period_of_month(in_year, in_month, by))] += counted
        relevant[code] += counted if yes else 0
    periods = sorted({period for _, period in per_period})
    classes = [
        (
            code,
            title,
            [per_period[(code, p)] for p in periods],
            sum(per_period[(code, p)] for p in periods),
            relevant[code],
        )
        for code, title in FAILURE_CLASSES.items()
    ]
    # each failure counts once for every theme tagged on its review
    by_theme_query = (
        select(ReviewTheme.theme_code, failure.classification, func.count())
        .join(ReviewTheme, ReviewTheme.instance_id == failure.instance_id)
        .where(*within)
        .group_by(ReviewTheme.theme_code, failure.classification)
    )
    by_theme: dict[str, Counter[str]] = defaultdict(Counter)
    for theme, code, counted in db.session.execute(by_theme_query):
        by_theme[theme][code] += counted
    titles = theme_titles()
    themes = [
        (theme, titles.get(theme, theme), [counts[code] for code in FAILURE_CLASSES])
        for theme, counts in sorted(by_theme.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    ]
    return FailureFigures(periods, classes, themes, sum(per_period.values()))


@dataclass(frozen=True)
class FoundFailure:
    reference: str
    number: int
    classification: str
    relevant_to_outcome: bool
    description: str
    approved_on: dt.date


def search_failures(
    text: str = "", classification: str = "", relevant: str = "", limit: int = 200
) -> list[FoundFailure]:
    """Failures in approved reports, newest first, whose description holds ``text`` (any case), of one
    class, relevant to the outcome (``yes``) or not (``no``)."""
    query = (
        select(ReviewFailure, ProcessInstance.business_key)
        .join(ProcessInstance, ProcessInstance.id == ReviewFailure.instance_id)
        .order_by(ReviewFailure.approved_on.desc(), ProcessInstance.business_key, ReviewFailure.number)
    )
    words = text.split()
    for word in words[:10]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(ReviewFailure.description.ilike(f"%{escaped}%", escape="\\"))
    if classification in FAILURE_CLASSES:
        query = query.where(ReviewFailure.classification == classification)
    if relevant in ("yes", "no"):
        query = query.where(ReviewFailure.relevant_to_outcome.is_(relevant == "yes"))
    return [
        FoundFailure(
            key,
            row.number,
            FAILURE_CLASSES.get(row.classification, row.classification),
            row.relevant_to_outcome,
            row.description,
            row.approved_on,
        )
        for row, key in db.session.execute(query.limit(limit))
    ]


# --- the digest ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestEntry:
    reference: str
    tagged_on: dt.date
    themes: list[str]
    lessons: str
    good_practice: str = ""


@dataclass(frozen=True)
class Digest:
    start: dt.date
    end: dt.date
    themes: ThemeFigures
    recommendations: RecommendationFigures
    entries: list[DigestEntry]
    failures: FailureFigures | None = None


def lessons_digest(start: dt.date, end: dt.date, today: dt.date) -> Digest:
    """Themes and lessons of the reviews tagged between ``start`` and ``end``."""
    rows = db.session.execute(
        select(ReviewTheme.instance_id, ReviewTheme.theme_code, ReviewTheme.tagged_on).where(
            ReviewTheme.tagged_on >= start, ReviewTheme.tagged_on <= end
        )
    ).all()
    titles = theme_titles()
    by_case: dict[int, list[str]] = defaultdict(list)
    tagged_on: dict[int, dt.date] = {}
    for instance_id, code, day in rows:
        by_case[instance_id].append(titles.get(code, code))
        tagged_on[instance_id] = day
    entries = []
    if by_case:
        for instance in db.session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(by_case))):
            case = instance.data or {}
            entries.append(
                DigestEntry(
                    instance.business_key,
                    tagged_on[instance.id],
                    sorted(by_case[instance.id]),
                    str(case.get("lessons_for_dissemination") or ""),
                    str(case.get("good_practice") or ""),
                )
            )
    entries.sort(key=lambda e: (e.tagged_on, e.reference))
    return Digest(
        start,
        end,
        theme_counts("quarter", start, end),
        recommendation_counts(today, start, end),
        entries,
        failure_counts("quarter", start, end),
    )


def digest_csv(digest: Digest) -> str:
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    writer.writerow(["section", "case_reference", "tagged_on", "theme", "count", "lessons", "good_practice"])
    for _, title, _, total in digest.themes.rows:
        if total:
            writer.writerow(["theme", "", "", title, total, "", ""])
    for entry in digest.entries:
        writer.writerow(
            [
                "review",
                entry.reference,
                entry.tagged_on.isoformat(),
                "; ".join(entry.themes),
                "",
                entry.lessons,
                entry.good_practice,
            ]
        )
    if digest.failures is not None:
        for _, title, _, total, relevant in digest.failures.classes:
            if total:
                writer.writerow(["failures", "", "", title, total, "", ""])
                writer.writerow(["failures relevant to the outcome", "", "", title, relevant, "", ""])
    for addressee, counts, _ in digest.recommendations.rows:
        for status, count in zip(digest.recommendations.statuses, counts, strict=True):
            if count:
                writer.writerow(["recommendations", "", "", f"{addressee}: {status}", count, "", ""])
    return out.getvalue()
