"""The process owner's use cases: drafts, check and dry run, deploy, compare, migration, import/export."""

from __future__ import annotations

import json

import pytest

from app.demo import notification_dates
from app.extensions import db
from app.models import ProcessInstance
from app.services import dry_runs, modelling
from app.services.errors import Forbidden, Invalid
from app.services.runtime import now
from app.working_days import add_working_days
from tests.api import variants
from tests.conftest import make_user
from tests.sfo_case import SfoCase

DEADLINE_5 = "notification_due = add_working_days(first_court_appearance, 5)"
DEADLINE_7 = "notification_due = add_working_days(first_court_appearance, 7)"


@pytest.fixture
def owner(app):  # type: ignore[no-untyped-def]
    return make_user("process-owner")


def _edit(owner, definition, old: str, new: str) -> None:  # type: ignore[no-untyped-def]
    bpmn = modelling.working_files(owner, definition.key)["sfo_review.bpmn"].decode()
    assert old in bpmn
    modelling.save_draft(owner, definition.key, {"sfo_review.bpmn": bpmn.replace(old, new).encode()})


def test_new_deadline_for_new_cases_old_cases_stay_until_migrated(people, owner, sfo_definition, deploy_checked):
    before = SfoCase(people, sfo_definition, "SFO-OLD-1")
    _edit(owner, sfo_definition, DEADLINE_5, DEADLINE_7)
    _edit(owner, sfo_definition, 'name="Confirm eligibility"', 'name="Confirm SFO eligibility"')
    result = modelling.check_and_dry_run(modelling.working_files(owner, "sfo_review"))
    assert result.ok and result.report.reached == ["Closed unpublished", "Not an SFO", "Published"]
    deployed = deploy_checked(owner, modelling.working_files(owner, "sfo_review"), "sfo_review")
    assert deployed.passed, (deployed.status, deployed.outcome, deployed.problems)
    assert deployed.report["reached"] == ["Closed unpublished", "Not an SFO", "Published"]
    assert deployed.definition.version == 2 and deployed.definition.deployed_by == owner.username
    summary = deployed.definition.change_summary
    assert (
        "changed: sfo_review.bpmn." in summary and "confirm_eligibility" in summary and "record_notification" in summary
    )
    assert modelling.get_draft("sfo_review") is None

    after = SfoCase(people, deployed.definition, "SFO-NEW-1")
    appearance = notification_dates(now().date())["first_court_appearance"]
    assert after.row.definition.version == 2
    assert after.row.data["notification_due"] == add_working_days(appearance, 7)
    assert before.row.definition.version == 1
    assert before.row.data["notification_due"] == add_working_days(appearance, 5)
    assert after.task("confirm_eligibility").name == "Confirm SFO eligibility"

    preview = modelling.migration_preview(owner, "sfo_review", 2)
    assert [(r.instance.business_key, r.check.eligible) for r in preview] == [("SFO-OLD-1", True)]
    moved, refused = modelling.migrate_instances(owner, "sfo_review", 2, [before.row.id])
    assert moved == [before.row.id] and refused == {}
    row = db.session.get(ProcessInstance, before.row.id)
    assert row.definition.version == 2
    assert before.task("confirm_eligibility").name == "Confirm SFO eligibility"
    before.do("confirm_eligibility", eligible=True)
    assert "allocate_reviewer" in before.ready()


def test_migration_is_refused_when_the_waiting_task_is_gone(people, owner, sfo_definition, deploy_checked):
    case = SfoCase(people, sfo_definition, "SFO-GONE-1")
    _edit(owner, sfo_definition, 'id="confirm_eligibility"', 'id="confirm_eligibility_v2"')
    bpmn = modelling.working_files(owner, "sfo_review")["sfo_review.bpmn"].decode()
    bpmn = bpmn.replace('"confirm_eligibility"', '"confirm_eligibility_v2"').replace(
        ">confirm_eligibility<", ">confirm_eligibility_v2<"
    )
    bpmn = bpmn.replace('attachedToRef="confirm_eligibility"', 'attachedToRef="confirm_eligibility_v2"')
    bpmn = bpmn.replace('targetRef="confirm_eligibility"', 'targetRef="confirm_eligibility_v2"')
    bpmn = bpmn.replace('sourceRef="confirm_eligibility"', 'sourceRef="confirm_eligibility_v2"')
    bpmn = bpmn.replace('bpmnElement="confirm_eligibility"', 'bpmnElement="confirm_eligibility_v2"')
    modelling.save_draft(owner, "sfo_review", {"sfo_review.bpmn": bpmn.encode()})
    assert deploy_checked(owner, modelling.working_files(owner, "sfo_review"), "sfo_review").passed
    preview = modelling.migration_preview(owner, "sfo_review", 2)
    assert not preview[0].check.eligible and "confirm_eligibility" in preview[0].check.reasons[0]
    moved, refused = modelling.migrate_instances(owner, "sfo_review", 2)
    assert moved == [] and "confirm_eligibility" in refused[case.row.id]
    assert db.session.get(ProcessInstance, case.row.id).definition.version == 1


def test_only_process_owners_and_admins(app, small_definition):
    for role in ("manager", "sfo-team", "provider"):
        with pytest.raises(Forbidden):
            modelling.process_list(make_user(role))
        with pytest.raises(Forbidden):
            dry_runs.queue_job(make_user(role), "deploy", variants.files(variants.renamed("x")))
        with pytest.raises(Forbidden):
            dry_runs.queue_job(make_user(role), "check", variants.files(variants.renamed("x")))
    assert modelling.process_list(make_user("admin"))


def test_bad_models_are_refused_with_every_problem_and_nothing_deployed(owner, small_definition, deploy_checked):
    bpmn = variants.edited(
        variants.TRIAGE_SCRIPT, "<bpmn:script>import os</bpmn:script>", variants.user_task_with_missing_form()
    )
    job = deploy_checked(owner, variants.files(bpmn))
    assert job.status == "failed" and job.definition is None
    assert set(job.problems) >= {"set_due", "triage"}
    assert [v.definition.version for v in modelling.version_history(owner, "small")] == [1]


def test_compare_lists_elements_conditions_timers_and_forms(owner, small_definition, deploy_checked):
    bpmn = variants.edited(
        "eligible == True", "eligible", variants.edited("overdue_at(triage_due)", "due_reminder_at(triage_due, 0)")
    )
    bpmn = variants.edited('name="Triage the case"', 'name="Triage"', bpmn)
    triage = json.loads(variants.FORMS["triage.schema.json"])
    triage["title"] = "Triage, revised"
    assert deploy_checked(owner, variants.files(bpmn, triage=triage)).passed
    comparison = modelling.compare_versions(owner, "small", 1, 2)
    changed = {c.element_id: c.details for c in comparison.elements}
    assert any("condition changed" in d for d in changed["f_yes"])
    assert any("name changed" in d for d in changed["triage"])
    assert "triage_overdue" in changed
    assert [(c.element_id, c.kind) for c in comparison.files] == [("triage.schema.json", "changed")]


def test_export_and_import_round_trip(owner, small_definition):
    archive = modelling.export_zip(owner, "small", 1)
    metadata, files = modelling.read_zip(archive, 10_000_000)
    assert metadata["display_name"] == "Small test process" and metadata["primary_file_name"] == "small.bpmn"
    assert set(files) == set(modelling.spiffarena_form_names(variants.files()))
    with pytest.raises(Invalid, match="exists already"):
        modelling.import_zip(owner, archive, 10_000_000)
    with pytest.raises(Invalid, match="not a zip"):
        modelling.import_zip(owner, b"not a zip", 10_000_000)


def test_draft_keeps_untouched_files_and_refuses_other_types(owner, small_definition):
    modelling.save_draft(owner, "small", {"small.bpmn": variants.renamed("Drafted").encode()})
    files = modelling.working_files(owner, "small")
    assert set(files) == set(variants.files()) and b"Drafted" in files["small.bpmn"]
    with pytest.raises(Invalid):
        modelling.save_draft(owner, "small", {"evil.py": b"print(1)"})
    modelling.discard_draft(owner, "small")
    assert modelling.get_draft("small") is None
