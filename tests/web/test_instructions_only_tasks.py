"""User tasks without a form (instructions and a Done button) and manual tasks: checked, dry-run, shown
and completed."""

from __future__ import annotations

import pytest

from app.services import instances, tasks
from app.services.definitions import deploy_files
from app.services.errors import Invalid
from app.services.modelling import check_and_dry_run
from tests.conftest import DATA, make_user, model_files

FILES = model_files(DATA / "spiffarena" / "instructions_only")


def test_a_model_of_instructions_only_passes_the_checks_and_the_dry_run(app):
    result = check_and_dry_run(FILES)
    assert result.ok, result.problems
    assert result.report is not None and result.report.reached == ["Papers filed"]
    steps = [step.element_id for step in result.report.paths[0].steps]
    assert "read_guidance" in steps and "file_papers" in steps


def test_a_task_without_a_form_shows_its_instructions_and_a_done_button(app, signed_in):
    deploy_files(FILES, "system")
    team = make_user("sfo-team")
    row = instances.start_case(team, "Process_instructions", "INS-1", {})
    browser = signed_in(team)
    for expected, instruction in (("read_guidance", "section 4"), ("file_papers", "signed papers")):
        task = instances.tasks_of(row, "ready")[0]
        assert task.bpmn_id == expected
        page = browser.get(f"/tasks/{task.id}")
        assert instruction in page.text and "Done" in page.text and "Save draft" not in page.text
        done = browser.post(f"/tasks/{task.id}", {"form_action": "submit"})
        assert done.headers["Location"].endswith(f"/tasks/{task.id}/done")
    assert instances.tasks_of(row, "ready") == []
    assert instances.tasks_of(row, "completed")[0].completed_by == team.username


def test_answers_sent_to_a_task_without_a_form_are_refused(app):
    deploy_files(FILES, "system")
    team = make_user("sfo-team")
    row = instances.start_case(team, "Process_instructions", "INS-2", {})
    task = instances.tasks_of(row, "ready")[0]
    with pytest.raises(Invalid, match="no form"):
        tasks.complete_task(team, task.id, {"anything": 1})
    assert tasks.complete_task(team, task.id, {}).status == "running"
