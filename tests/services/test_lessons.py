"""Themes (the managed list and the tags on reviews), recommendation figures and the lessons digest."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections import Counter

import pytest
from sqlalchemy import delete, select

from app.extensions import db
from app.models import RecommendationRecord, ReviewFailure, ReviewTheme, Theme
from app.services import lessons, tasks
from app.services.errors import Forbidden, Invalid
from app.services.reports import ADDRESSEES, FAILURE_CLASSES, STATUSES, TRACKING, recommendation_status
from tests.sfo_case import SfoCase


def tagged_case(people, definition, reference, themes, lessons_text="A lesson."):
    case = SfoCase(people, definition, reference=reference)
    case.to_conviction_check()
    case.court_outcome("acquitted")
    case.do("tag_themes", themes=themes, lessons_for_dissemination=lessons_text)
    return case


def test_the_list_is_seeded_from_the_defaults(app):
    assert [t.code for t in lessons.list_themes()] == [code for code, _ in lessons.DEFAULT_THEMES]


def test_reading_the_list_writes_nothing(app):
    """Seeding on first read wrote inside a page's read-only transaction (on SQLite holding the write lock
    to the request's end, so a sign-in beside it failed), and two first readers inserted the same themes."""
    db.session.execute(delete(Theme))
    db.session.commit()
    assert lessons.list_themes() == [] and not db.session.new


def test_managers_add_and_retire_themes(app, people):
    theme = lessons.add_theme(people.manager, "  Transitions   from custody ")
    assert (theme.code, theme.title) == ("transitions_from_custody", "Transitions from custody")
    with pytest.raises(Invalid):
        lessons.add_theme(people.manager, "TRANSITIONS FROM CUSTODY")
    with pytest.raises(Invalid):
        lessons.add_theme(people.manager, " ")
    with pytest.raises(Forbidden):
        lessons.add_theme(people.reviewer, "Something")
    lessons.update_theme(people.manager, "mappa", active=False)
    assert "mappa" not in [t.code for t in lessons.list_themes(active_only=True)]
    assert db.session.get(Theme, "mappa").title == "MAPPA management"


def test_tagging_offers_only_active_themes(sfo_definition, people):
    lessons.update_theme(people.manager, "mappa", active=False)
    case = SfoCase(people, sfo_definition)
    case.to_conviction_check()
    case.court_outcome("acquitted")
    task = case.task("tag_themes")
    with pytest.raises(Invalid) as refused:
        tasks.complete_task(people.team, task.id, {"themes": ["mappa"], "lessons_for_dissemination": "x"})
    assert "themes.0" in refused.value.fields


def test_theme_counts_match_a_direct_count(sfo_definition, people, clock):
    start = clock.now()
    plan = [["mappa", "risk_assessment"], ["mappa"], ["domestic_abuse"], ["mappa", "domestic_abuse"]]
    for n, themes in enumerate(plan):
        clock.set(start + dt.timedelta(days=50 * n))  # spread over quarters
        tagged_case(people, sfo_definition, f"SFO-L-{n}", themes)
    rows = db.session.execute(select(ReviewTheme.theme_code, ReviewTheme.tagged_on)).all()
    direct = Counter((code, f"{day.year} Q{(day.month - 1) // 3 + 1}") for code, day in rows)
    figures = lessons.theme_counts("quarter")
    for code, _, counts, total in figures.rows:
        assert counts == [direct[(code, period)] for period in figures.periods]
        assert total == sum(1 for c, _ in rows if c == code)
    assert figures.periods == ["2027 Q1", "2027 Q2", "2027 Q3"] and figures.reviews == 4
    assert lessons.theme_counts("year").rows[0][:3] == ("mappa", "MAPPA management", [3])


def test_the_digest_covers_its_period_only(sfo_definition, people, clock):
    start = clock.now()
    tagged_case(people, sfo_definition, "SFO-D-1", ["mappa"], "First lesson.")
    clock.set(start + dt.timedelta(days=120))
    tagged_case(people, sfo_definition, "SFO-D-2", ["accommodation"], "=SUM(A1)")
    digest = lessons.lessons_digest(dt.date(2027, 1, 1), dt.date(2027, 3, 31), clock.now().date())
    assert [e.reference for e in digest.entries] == ["SFO-D-1"]
    later = lessons.lessons_digest(dt.date(2027, 4, 1), dt.date(2027, 12, 31), clock.now().date())
    rows = list(csv.reader(io.StringIO(lessons.digest_csv(later))))
    assert ["review", "SFO-D-2", "2027-06-29", "Accommodation", "", "'=SUM(A1)", "Example good practice"] in rows
    assert ["theme", "", "", "Accommodation", "1", "", ""] in rows


def test_every_cell_of_the_digest_is_defused_not_only_the_free_text(sfo_definition, people, clock):
    """A theme's name is typed by a manager: one that starts like a formula reaches every digest row that
    names the theme, so each cell is defused, as the case list's CSV does (only the lessons were)."""
    theme = lessons.add_theme(people.manager, '=HYPERLINK("http://example.test","x")')
    tagged_case(people, sfo_definition, "SFO-D-3", [theme.code])
    digest = lessons.lessons_digest(dt.date(2027, 1, 1), dt.date(2027, 12, 31), clock.now().date())
    rows = list(csv.reader(io.StringIO(lessons.digest_csv(digest))))
    named = [row for row in rows if any("HYPERLINK" in cell for cell in row)]
    assert [row[0] for row in named] == ["theme", "review"]
    assert all(cell.startswith("'=") for row in named for cell in row if "HYPERLINK" in cell), named


def test_recommendations_are_tagged_with_themes_and_counted(sfo_definition, people):
    case = SfoCase(people, sfo_definition, reference="SFO-R-1")
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    case.do("write_terms_of_reference", other_reviews=[])
    case.do("gather_evidence")
    recommendation = {"text": "A.", "addressee": "hmpps", "level": "national"}
    case.do("draft_report", recommendations=[recommendation, recommendation, recommendation])
    case.do("quality_assure_report", qa_decision="approve")
    answer = {"response": "accept", "action": "Act.", "owner": "Head", "target_date": "2027-06-30"}
    case.do("record_provider_response", responses=[{"recommendation": n, **answer} for n in (1, 2, 3)])
    case.court_outcome("acquitted")
    task = case.task("tag_themes")
    assert tasks.prefill_of(task)["recommendation_themes"] == [{"recommendation": n, "text": "A."} for n in (1, 2, 3)]
    case.do(
        "tag_themes",
        themes=["mappa"],
        recommendation_themes=[
            {"recommendation": 1, "themes": ["mappa", "risk_assessment"]},
            {"recommendation": 2, "themes": ["mappa"]},
            {"recommendation": 3, "themes": []},
        ],
    )
    records = db.session.scalars(select(RecommendationRecord).order_by(RecommendationRecord.number)).all()
    assert [r.themes for r in records] == [["mappa", "risk_assessment"], ["mappa"], []]
    direct = Counter(code for r in records for code in r.themes)
    assert lessons.theme_counts().recommendations == direct == {"mappa": 2, "risk_assessment": 1}


def test_the_figures_counted_in_the_database_match_a_count_of_each_record(sfo_definition, people):
    """Themes, recommendations by addressee and status, and failures by class, quarter and theme, counted by
    group in the database, against the same figures worked out record by record."""
    rng = random.Random(12)
    today = dt.date(2027, 6, 15)
    days = [dt.date(2026, 11, 30), dt.date(2027, 1, 1), dt.date(2027, 3, 31), dt.date(2027, 4, 1), today]
    cases = [SfoCase(people, sfo_definition, reference=f"SFO-FIG-{n}").row for n in range(4)]
    for case in cases:
        for code in rng.sample(["mappa", "risk_assessment", "domestic_abuse"], rng.randint(0, 3)):
            db.session.add(ReviewTheme(instance_id=case.id, theme_code=code, tagged_on=rng.choice(days)))
        for number in range(1, 16):
            db.session.add(
                RecommendationRecord(
                    instance_id=case.id,
                    number=number,
                    addressee=rng.choice([*ADDRESSEES, "other_agency"]),
                    level="local",
                    text="A.",
                    themes=rng.sample(["mappa", "risk_assessment"], rng.randint(0, 2)),
                    response=rng.choice([None, "accept", "partly", "reject"]),
                    target_date=rng.choice([None, today - dt.timedelta(days=1), today, today + dt.timedelta(days=9)]),
                    progress=rng.choice([None, "not_started", "in_progress", "done"]),
                    tracking_status=rng.choice([None, *TRACKING]),
                    sent_on=rng.choice(days),
                )
            )
            db.session.add(
                ReviewFailure(
                    instance_id=case.id,
                    number=number,
                    classification=rng.choice(list(FAILURE_CLASSES)),
                    relevant_to_outcome=rng.random() < 0.5,
                    description="A failure.",
                    approved_on=rng.choice(days),
                )
            )
    db.session.commit()
    records = db.session.scalars(select(RecommendationRecord)).all()
    failures = db.session.execute(select(ReviewFailure)).scalars().all()
    tags = db.session.scalars(select(ReviewTheme)).all()
    quarter = {day: lessons.period_of(day, "quarter") for day in days}

    for start, end in [(None, None), (dt.date(2027, 1, 1), dt.date(2027, 3, 31))]:

        def within(day, start=start, end=end):
            return (start is None or day >= start) and (end is None or day <= end)

        statuses = Counter(
            (r.addressee, recommendation_status(r.response, r.target_date, r.progress, today, r.tracking_status))
            for r in records
            if within(r.sent_on)
        )
        figures = lessons.recommendation_counts(today, start, end)
        for addressee in {a for a, _ in statuses}:
            [row] = [row for row in figures.rows if row[0] == ADDRESSEES.get(addressee, addressee)]
            assert row[1] == [statuses[(addressee, status)] for status in STATUSES]

        themes = lessons.theme_counts("quarter", start, end)
        counted = Counter((t.theme_code, quarter[t.tagged_on]) for t in tags if within(t.tagged_on))
        assert {(code, p): n for code, _, ns, _ in themes.rows for p, n in zip(themes.periods, ns) if n} == counted
        assert themes.reviews == len({t.instance_id for t in tags if within(t.tagged_on)})
        assert themes.recommendations == Counter(c for r in records if within(r.sent_on) for c in set(r.themes))

        found = lessons.failure_counts("quarter", start, end)
        kept = [f for f in failures if within(f.approved_on)]
        by_class = Counter((f.classification, quarter[f.approved_on]) for f in kept)
        assert {(code, p): n for code, _, ns, _, _ in found.classes for p, n in zip(found.periods, ns) if n} == by_class
        assert {code: r for code, _, _, _, r in found.classes} == {
            code: sum(1 for f in kept if f.classification == code and f.relevant_to_outcome) for code in FAILURE_CLASSES
        }
        by_theme = Counter(
            (t.theme_code, f.classification) for f in kept for t in tags if t.instance_id == f.instance_id
        )
        assert {
            (theme, code): n for theme, _, ns in found.themes for code, n in zip(FAILURE_CLASSES, ns) if n
        } == by_theme
        assert found.total == len(kept)
