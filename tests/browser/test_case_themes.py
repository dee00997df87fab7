"""A review's themes in a real browser, with axe on every page: the SFO team reads why themes cannot be set
before the report is approved, sets them once it is (without JavaScript, after a refused empty choice),
the closure task starts from them, and a manager corrects them after the case has closed."""

from __future__ import annotations

from tests.sfo_case import SfoCase

QUESTION = "Which themes apply to the review's findings and recommendations?"


def test_case_themes_page(people, sfo_definition, person):
    case = SfoCase(people, sfo_definition, "SFO-BT-1")
    case.to_stage("quality-assurance")

    team = person(people.team, javascript=False)
    team.visit("/cases/SFO-BT-1")
    team.follow("Themes of the review")
    assert "has not been approved yet" in team.page.locator("#themes-not-yet").inner_text()
    assert team.page.get_by_role("button", name="Save themes").count() == 0

    case.do("quality_assure_report", qa_decision="approve")
    team.visit("/cases/SFO-BT-1/themes")
    team.press("Save themes", status=400)
    assert "Select at least one theme" in team.page.locator(".govuk-error-summary").inner_text()
    themes = team.group(QUESTION)
    themes.get_by_label("MAPPA management", exact=True).check()
    themes.get_by_label("Domestic abuse", exact=True).check()
    team.press("Save themes")
    assert "The themes of the review were saved." in team.banner()
    assert "Domestic abuse; MAPPA management" in team.page.locator("#theme-changes").inner_text()

    case.do("record_provider_response")
    case.court_outcome("acquitted")
    team.visit(f"/tasks/{case.task('tag_themes').id}")
    assert team.page.get_by_label("MAPPA management", exact=True).first.is_checked()
    case.do("tag_themes", themes=["mappa", "domestic_abuse"], lessons_for_dissemination="Share call-outs.")
    assert case.row.status == "completed"

    manager = person(people.manager)
    manager.visit("/cases/SFO-BT-1/themes")
    corrected = manager.group(QUESTION)
    corrected.get_by_label("Domestic abuse", exact=True).uncheck()
    corrected.get_by_label("Accommodation", exact=True).check()
    manager.press("Save themes")
    assert manager.group(QUESTION).get_by_label("Accommodation", exact=True).is_checked()
    assert not manager.group(QUESTION).get_by_label("Domestic abuse", exact=True).is_checked()
