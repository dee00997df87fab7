"""A review's themes (issue 15): set on the case from the moment quality assurance approves the report,
corrected at any time after (closed cases too), each change audited; one store shared by the figures, the
digest and the closure task that tags themes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, ReviewTheme
from app.services import case_themes, instances, lessons, tasks
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from tests.sfo_case import SfoCase


def approved_case(people, definition, reference="SFO-TH-1") -> SfoCase:
    case = SfoCase(people, definition, reference=reference)
    case.to_stage("quality-assurance")
    case.do("quality_assure_report", qa_decision="approve")
    return case


def stored(case: SfoCase) -> dict[str, dt.date]:
    rows = db.session.scalars(select(ReviewTheme).where(ReviewTheme.instance_id == case.row.id))
    return {row.theme_code: row.tagged_on for row in rows}


def changes(case: SfoCase) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.instance_id == case.row.id, AuditEvent.kind == "themes-changed")
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


# --- the service --------------------------------------------------------------------------------------


def test_themes_cannot_be_set_before_the_report_is_approved(sfo_definition, people):
    case = SfoCase(people, sfo_definition, reference="SFO-TH-0")
    case.to_stage("quality-assurance")
    case.do("quality_assure_report", qa_decision="return", qa_comments="Say why.")
    assert case_themes.themes_of_case(people.team, case.row).approved_on is None  # returned is not approved
    with pytest.raises(Conflict):
        case_themes.set_themes(people.team, case.row, ["mappa"])
    assert stored(case) == {} and changes(case) == []


def test_the_team_sets_themes_once_approved_and_the_figures_and_digest_read_them(sfo_definition, people, clock):
    case = approved_case(people, sfo_definition)
    today = clock.now().date()
    assert case_themes.themes_of_case(people.manager, case.row).approved_on == today
    assert case_themes.set_themes(people.team, case.row, ["mappa", "domestic_abuse"]) == ["domestic_abuse", "mappa"]
    assert stored(case) == {"domestic_abuse": today, "mappa": today}
    [event] = changes(case)
    assert (event.actor, event.detail["before"], event.detail["after"]) == (
        people.team.username,
        [],
        ["domestic_abuse", "mappa"],
    )
    figures = lessons.theme_counts("quarter")
    assert {code: total for code, _, _, total in figures.rows if total} == {"domestic_abuse": 1, "mappa": 1}
    [entry] = lessons.lessons_digest(today - dt.timedelta(days=1), today, today).entries
    assert entry.reference == "SFO-TH-1" and entry.themes == ["Domestic abuse", "MAPPA management"]


def test_a_correction_keeps_the_first_tagging_date_and_is_audited(sfo_definition, people, clock):
    case = approved_case(people, sfo_definition)
    first = clock.now().date()
    case_themes.set_themes(people.team, case.row, ["mappa"])
    clock.advance(days=120)  # into another quarter
    case_themes.set_themes(people.manager, case.row, ["mappa", "accommodation"])
    assert stored(case) == {"mappa": first, "accommodation": first}
    case_themes.set_themes(people.manager, case.row, ["accommodation", "mappa"])  # the same themes: no change
    assert [(e.actor, e.detail["before"], e.detail["after"]) for e in changes(case)] == [
        (people.team.username, [], ["mappa"]),
        (people.manager.username, ["mappa"], ["mappa", "accommodation"]),
    ]


def test_bad_choices_are_refused_and_change_nothing(sfo_definition, people):
    case = approved_case(people, sfo_definition)
    case_themes.set_themes(people.team, case.row, ["mappa"])
    lessons.update_theme(people.manager, "domestic_abuse", active=False)
    for codes in ([], ["no_such_theme"], ["mappa", "domestic_abuse"]):  # none, unknown, no longer offered
        with pytest.raises(Invalid) as refused:
            case_themes.set_themes(people.team, case.row, codes)
        assert list(refused.value.fields) == ["themes"]
    assert list(stored(case)) == ["mappa"] and len(changes(case)) == 1


def test_a_theme_no_longer_offered_stays_on_the_review_that_has_it(sfo_definition, people):
    case = approved_case(people, sfo_definition)
    case_themes.set_themes(people.team, case.row, ["mappa", "domestic_abuse"])
    lessons.update_theme(people.manager, "domestic_abuse", active=False)
    offered = [t.code for t in case_themes.themes_of_case(people.team, case.row).options]
    assert "domestic_abuse" in offered
    case_themes.set_themes(people.team, case.row, ["domestic_abuse", "accommodation"])
    assert sorted(stored(case)) == ["accommodation", "domestic_abuse"]


def test_only_the_sfo_team_and_managers_set_themes(sfo_definition, people):
    case = approved_case(people, sfo_definition)
    for user in (people.reviewer, people.qa, people.publication, people.provider):
        with pytest.raises(Forbidden):
            case_themes.set_themes(user, case.row, ["mappa"])
        with pytest.raises(Forbidden):
            case_themes.themes_of_case(user, case.row)
    with pytest.raises(NotFound):  # another organisation's case does not exist for them
        case_themes.set_themes(people.other_provider, case.row, ["mappa"])
    assert stored(case) == {}


def test_the_closure_task_starts_from_the_stored_themes_and_writes_back(sfo_definition, people, clock):
    case = approved_case(people, sfo_definition)
    first = clock.now().date()
    case_themes.set_themes(people.team, case.row, ["mappa", "accommodation"])
    case.do("record_provider_response")
    case.court_outcome("acquitted")
    clock.advance(days=3)
    assert tasks.prefill_of(case.task("tag_themes"))["themes"] == ["mappa", "accommodation"]
    case.do("tag_themes", themes=["mappa", "mental_health"])
    assert case.row.status == "completed"
    assert stored(case) == {"mappa": first, "mental_health": first}
    last = changes(case)[-1]
    assert (last.actor, last.detail["before"], last.detail["after"]) == (
        people.team.username,
        ["mappa", "accommodation"],
        ["mappa", "mental_health"],
    )
    # corrected after the case closed, and the closed task keeps what was submitted
    case_themes.set_themes(people.manager, case.row, ["mental_health"])
    assert list(stored(case)) == ["mental_health"]
    [completed] = [t for t in instances.tasks_of(case.row, "completed") if t.bpmn_id == "tag_themes"]
    assert tasks.prefill_of(completed)["themes"] == ["mappa", "mental_health"]


def test_the_closure_task_alone_still_tags_a_review(sfo_definition, people):
    case = approved_case(people, sfo_definition)
    case.do("record_provider_response")
    case.court_outcome("acquitted")
    assert "themes" not in tasks.prefill_of(case.task("tag_themes")) and stored(case) == {}
    case.do("tag_themes", themes=["mappa"])
    assert list(stored(case)) == ["mappa"] and changes(case)[0].detail["before"] == []


# --- the page -----------------------------------------------------------------------------------------


def test_the_page_says_why_themes_cannot_be_set_before_approval(sfo_definition, people, signed_in):
    case = SfoCase(people, sfo_definition, reference="SFO-TH-0")
    case.to_stage("quality-assurance")
    team = signed_in(people.team)
    page = team.get("/cases/SFO-TH-0/themes")
    assert "has not been approved yet" in page.text and 'name="themes"' not in page.html
    refused = team.post("/cases/SFO-TH-0/themes", [("themes", "mappa")], expect=409)
    assert "There is a problem" in refused.text and "#themes-not-yet" in refused.html
    assert stored(case) == {}


def test_the_team_sets_and_corrects_themes_on_the_page(sfo_definition, people, signed_in):
    case = approved_case(people, sfo_definition)
    team = signed_in(people.team)
    assert "/cases/SFO-TH-1/themes" in team.get("/cases/SFO-TH-1").links
    page = team.get("/cases/SFO-TH-1/themes")
    assert "No themes have been set yet." in page.text and "Save themes" in page.text
    team.post("/cases/SFO-TH-1/themes", [("themes", "mappa"), ("themes", "domestic_abuse")])
    assert sorted(stored(case)) == ["domestic_abuse", "mappa"]
    page = team.get("/cases/SFO-TH-1/themes")
    assert page.html.count("checked") == 2
    changes_table = page.html.split('id="theme-changes"')[1]
    assert people.team.username in changes_table and "Domestic abuse; MAPPA management" in changes_table
    manager = signed_in(people.manager)
    manager.post("/cases/SFO-TH-1/themes", [("themes", "accommodation")])
    assert list(stored(case)) == ["accommodation"]


def test_bad_input_on_the_page_shows_an_error_and_changes_nothing(sfo_definition, people, signed_in):
    case = approved_case(people, sfo_definition)
    case_themes.set_themes(people.team, case.row, ["mappa"])
    team = signed_in(people.team)
    team.get("/cases/SFO-TH-1/themes")
    refused = team.post("/cases/SFO-TH-1/themes", [], expect=400)
    assert "There is a problem" in refused.text and "Select at least one theme" in refused.text
    assert refused.html.count("checked") == 0  # shows what was sent, not what is stored
    refused = team.post("/cases/SFO-TH-1/themes", [("themes", "mappa"), ("themes", "<b>nope")], expect=400)
    assert "Select themes from the list" in refused.text and "<b>nope" not in refused.html
    team.post("/cases/SFO-TH-1/themes", [("themes", "accommodation")], expect=400, csrf=False)
    assert list(stored(case)) == ["mappa"] and len(changes(case)) == 1


def test_the_page_is_for_the_sfo_team_and_managers(sfo_definition, people, signed_in):
    case = approved_case(people, sfo_definition)
    for user in (people.reviewer, people.provider, people.qa):
        web = signed_in(user)
        web.get("/cases/SFO-TH-1/themes", expect=403)
        web.post("/cases/SFO-TH-1/themes", [("themes", "mappa")], expect=403)
    other = signed_in(people.other_provider)
    other.get("/cases/SFO-TH-1/themes", expect=404)
    other.post("/cases/SFO-TH-1/themes", [("themes", "mappa")], expect=404)
    assert "/cases/SFO-TH-1/themes" not in signed_in(people.provider).get("/cases/SFO-TH-1").links
    assert stored(case) == {}
