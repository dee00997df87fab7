"""The inbox in the browser: picking up and releasing team tasks, and who can see what."""

from __future__ import annotations

import pytest

from tests.sfo_case import SfoCase

TASK = "Confirm eligibility"


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_pick_up_and_release_a_team_task(people, sfo_definition, person, javascript):
    reference = SfoCase(people, sfo_definition).row.business_key
    colleague_user = people.other_team  # another member of the SFO team
    team = person(people.team, javascript=javascript)
    colleague = person(colleague_user, javascript=javascript)

    assert team.tab_count("My tasks") == 0
    team.open_tab("Unassigned in my teams")
    colleague.open_tab("Unassigned in my teams")  # both see the task, unassigned
    assert "Unassigned" in team.task_row(reference, TASK).inner_text()

    team.press(f"Pick up {TASK} for {reference}")
    assert f"You picked up '{TASK}' for {reference}. It is in My tasks." in team.banner()
    assert team.h1() == TASK  # picking a task up opens it
    assert team.page.get_by_role("button", name="Submit").count() == 1
    team.follow("Back to tasks")
    row = team.task_row(reference, TASK)
    assert "You" in row.inner_text()
    assert (team.tab_count("My tasks"), team.tab_count("Unassigned in my teams")) == (1, 0)

    # The colleague's page is out of date; picking it up now says who has it.
    colleague.press(f"Pick up {TASK} for {reference}")
    assert team.username in colleague.banner()
    assert colleague.tab_count("Unassigned in my teams") == 0
    colleague.visit("/cases/" + reference)
    colleague.follow(TASK)
    assert f"This task is assigned to {team.username}" in colleague.page.get_by_role("main").inner_text()
    assert colleague.page.get_by_role("button", name="Submit").count() == 0

    team.press(f"Release {TASK} for {reference}")
    assert f"You released '{TASK}' for {reference}. Your team can pick it up." in team.banner()
    assert team.tab_count("My tasks") == 0
    team.open_tab("Unassigned in my teams")
    assert "Unassigned" in team.task_row(reference, TASK).inner_text()

    colleague.follow("Tasks")
    colleague.open_tab("Unassigned in my teams")
    colleague.press(f"Pick up {TASK} for {reference}")
    assert colleague.h1() == TASK
    colleague.follow("Back to tasks")
    assert colleague.tab_count("My tasks") == 1


def test_a_provider_of_another_organisation_gets_not_found(people, sfo_definition, person):
    case = SfoCase(people, sfo_definition)
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    case.do("write_terms_of_reference", other_reviews=[])
    case.do("gather_evidence")
    case.do(
        "draft_report", recommendations=[{"text": "Review risk", "addressee": "probation_provider", "level": "local"}]
    )
    case.do("quality_assure_report", qa_decision="approve")
    reference, task_id = case.row.business_key, case.task("record_provider_response").id

    owner = person(people.provider)  # the provider who notified it can open both
    owner.open_tab("Unassigned in my teams")
    owner.follow(reference, within=owner.task_row(reference, "Respond to the recommendations"))
    owner.visit(f"/tasks/{task_id}")

    stranger = person(people.other_provider)
    for path in (f"/cases/{reference}", f"/tasks/{task_id}", f"/tasks/{task_id}/done"):
        stranger.visit(path, status=404)
        assert stranger.h1() == "Page not found"
        assert reference not in stranger.page.content()
    stranger.visit("/cases")
    stranger.fill("Case reference", reference)
    stranger.press("Find case")
    assert f"No case has the reference {reference}" in stranger.page.get_by_role("main").inner_text()
    stranger.follow("Tasks")
    assert stranger.tab_count("Unassigned in my teams") == 0
