"""Pages speak the user's language (issue 11): instructions without variable names, messages that name
a field by its label, teams and court outcomes by their names, long answers with their line breaks,
and never "None" as a value."""

import re

from app.services.forms import validate_form_data
from app.services.runtime import model_of_instance
from tests.sfo_case import SfoCase

SNAKE_CASE = re.compile(r"\b[a-z]+_[a-z_]+\b")


def test_no_task_instruction_names_a_variable(people, sfo_definition):
    model = model_of_instance(SfoCase(people, sfo_definition).row)
    for spec in model.all_task_specs():
        if model.form_for(spec) is None:
            continue  # only tasks people do show instructions
        documentation = str(getattr(spec, "documentation", None) or "")
        assert not SNAKE_CASE.search(documentation), f"{spec.bpmn_id}: {documentation}"


def test_a_conditional_rule_names_the_field_by_its_label(people, sfo_definition):
    case = SfoCase(people, sfo_definition)
    case.to_stage("quality-assurance")
    from app.services import tasks

    form = tasks.form_of(case.task("quality_assure_report"))
    problems = validate_form_data(form.schema, {"qa_decision": "return"})
    assert problems == {"qa_comments": ["Enter comments for the reviewer"]}
    problems = validate_form_data(form.schema, {"qa_decision": "return", "qa_comments": ""})
    assert problems == {"qa_comments": ["Enter comments for the reviewer"]}


def test_a_task_for_a_team_names_the_team_once(people, sfo_definition, signed_in):
    case = SfoCase(people, sfo_definition)
    page = signed_in(people.manager).get(f"/tasks/{case.task('confirm_eligibility').id}")
    assert "This task is for the SFO team." in page.text
    assert "team team" not in page.text and "Sfo" not in page.text


def test_case_page_names_the_court_outcome_and_keeps_line_breaks(people, sfo_definition, signed_in):
    case = SfoCase(people, sfo_definition)
    case.do("confirm_eligibility", eligible=True, eligibility_rationale="First line.\nSecond line.")
    case.court_outcome("convicted_sfo")
    page = signed_in(people.team).get(f"/cases/{case.row.business_key}")
    assert "Convicted of a serious further offence" in page.text
    assert "Convicted sfo" not in page.text
    assert re.search(r'sfo-multiline">\s*First line.\nSecond line.', page.html)


def test_a_saved_draft_never_shows_none(people, sfo_definition, signed_in):
    case = SfoCase(people, sfo_definition)
    task = case.task("confirm_eligibility")
    web = signed_in(people.team)
    before = web.get(f"/tasks/{task.id}")
    proposal = re.search(r"Reason for the proposal (.{20})", before.text).group(1)
    assert "Not given" not in proposal
    web.post(f"/tasks/{task.id}", {"eligibility_rationale": "Half written", "form_action": "draft"})
    page = web.get(f"/tasks/{task.id}")
    assert "Half written" in page.text
    assert proposal in page.text  # what the process proposed is still shown beside the draft
    assert not re.search(r"\bNone\b", page.text + " ".join(re.findall(r'value="([^"]*)"', page.html)))
