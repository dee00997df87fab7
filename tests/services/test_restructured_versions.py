"""Cases running on the flat SFO diagram (before the stages became sub-processes) keep running on it; moving
them to the restructured version is refused with the reason; between restructured versions it works."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import patch

import pytest

from app.services import definitions, messages, modelling
from app.services.definitions import deploy_files, read_library
from app.services.errors import NotFound
from tests.conftest import make_user
from tests.sfo_case import SfoCase

ROOT = Path(__file__).resolve().parent.parent.parent
FLAT = ROOT / "tests" / "data" / "sfo_review_before_restructure"


@pytest.fixture
def owner(app):
    return make_user("process-owner")


def _deploy(bpmn_folder: Path) -> object:
    """An earlier version of the SFO process, as a database that ran it holds it. Those versions were
    deployed before the data contract (services/case_contract.py) named the variables later versions
    added, so the contract is not asked of them here."""
    files = read_library(ROOT / "bpmn", ROOT / "forms")
    files.update(read_library(bpmn_folder))
    with patch.object(definitions, "missing_variables", return_value={}):
        return deploy_files(files, "system").definition


def test_cases_on_the_flat_version_finish_on_it_and_are_not_moved(people, app, owner):
    flat = _deploy(FLAT)
    case = SfoCase(people, flat, "SFO-FLAT-1")
    case.to_stage("drafting")
    restructured = _deploy(ROOT / "bpmn")
    assert (flat.version, restructured.version) == (1, 2)

    [row] = modelling.migration_preview(owner, "sfo_review", 2)
    assert row.instance.business_key == "SFO-FLAT-1" and not row.check.eligible
    assert "the case waits at 'draft_report', which the new version has inside 'drafting'" in row.check.reasons
    assert any("finishes on its version" in reason for reason in row.check.reasons)
    moved, refused = modelling.migrate_instances(owner, "sfo_review", 2, [case.row.id])
    assert moved == [] and "inside 'drafting'" in refused[case.row.id]
    assert case.row.definition.version == 1

    with pytest.raises(NotFound):  # the flat version has no listener: as before, it waits at the conviction check
        case.court_outcome("convicted_sfo")
    case.to_conviction_check()
    case.court_outcome("convicted_sfo")
    case.finish(publish_approved=True, publication_date="2027-03-01")
    assert (case.row.status, case.row.outcome, case.row.definition.version) == ("completed", "Published", 1)


def test_cases_move_between_restructured_versions(people, app, owner):
    first = _deploy(ROOT / "bpmn")
    case = SfoCase(people, first, "SFO-NEW-1", reparse=True)
    case.to_stage("liaison", [{"agency": "Northshire CSP", "review_type": "domestic_homicide_review"}])
    case.add_review("Northshire SAB")
    files = read_library(ROOT / "bpmn", ROOT / "forms")
    files["sfo_review.bpmn"] = files["sfo_review.bpmn"].replace(
        b'name="Gather evidence"', b'name="Gather the evidence"'
    )
    second = deploy_files(files, "system").definition
    [row] = modelling.migration_preview(owner, "sfo_review", second.version)
    assert row.check.eligible and {"gather_evidence", "liaison"} <= set(row.check.active)
    moved, refused = modelling.migrate_instances(owner, "sfo_review", second.version)
    assert (moved, refused) == ([case.row.id], {})
    assert case.task("gather_evidence").name == "Gather the evidence"
    messages.deliver_message(
        people.team, "court-outcome", "SFO-NEW-1", {"court_outcome": "convicted_sfo", "outcome_date": "2027-02-26"}
    )
    case.do("liaise_with_other_review")
    case.do("liaise_with_added_review")
    case.to_conviction_check()
    assert (case.row.stage, case.row.definition.version) == ("publication", 2)


BEFORE_ISSUE_15 = ROOT / "tests" / "data" / "sfo_before_issue_15"  # the diagram and the forms it changed


@pytest.mark.parametrize("stage", ["liaison", "drafting", "provider-response"])
def test_cases_from_before_the_review_content_finish_on_their_version_or_move(people, app, owner, stage):
    """Cases started before the review asked why, classified failures and set the inner deadlines keep
    running on their version (fixed numbers, typed recommendation numbers); moved to the new one, they
    finish there."""
    before = _deploy(BEFORE_ISSUE_15)
    staying = SfoCase(people, before, "SFO-OLD-1")
    moving = SfoCase(people, before, "SFO-OLD-2")
    reviews = [{"agency": "Northshire CSP", "review_type": "domestic_homicide_review"}]
    for case in (staying, moving):
        case.to_stage(stage, reviews)
    after = _deploy(ROOT / "bpmn")
    moved, refused = modelling.migrate_instances(owner, "sfo_review", after.version, [moving.row.id])
    if stage == "provider-response":
        # the provider response is now one task for each provider: a case waiting at the single task of its
        # version is not moved (it would lose the task) and finishes on its version
        assert moved == [] and "which the new version repeats for each item" in refused[moving.row.id]
        after = before
    else:
        assert (moved, refused) == ([moving.row.id], {})
    for case, version in ((staying, before.version), (moving, after.version)):
        case.to_conviction_check(reviews)
        case.court_outcome("acquitted")
        case.finish()
        assert (case.row.status, case.row.outcome, case.row.definition.version) == (
            "completed",
            "Closed unpublished",
            version,
        )


def test_a_case_moved_to_a_version_with_a_new_data_object_starts_it_empty(people, app, owner):
    """The version that keeps other agencies' publications (the data object other_reviews_published) takes
    cases from versions without it: moved, a case has the data object, empty, as a case started on it has."""
    before = _deploy(BEFORE_ISSUE_15)
    case = SfoCase(people, before, "SFO-OLD-3", reparse=True)
    case.to_stage("drafting")
    after = _deploy(ROOT / "bpmn")
    moved, refused = modelling.migrate_instances(owner, "sfo_review", after.version, [case.row.id])
    assert (moved, refused) == ([case.row.id], {})
    assert "other_reviews_published" not in case.row.data  # declared, and nothing received yet
    published = {"agency": "Northshire CSP", "published_on": "2027-02-26"}
    messages.deliver_message(people.team, "other-review-published", "SFO-OLD-3", published)
    assert case.row.status == "running"
    assert [r["agency"] for r in case.row.data["other_reviews_published"]] == ["Northshire CSP"]
    case.to_conviction_check()
    case.court_outcome("convicted_sfo")
    case.finish(publish_approved=True, publication_date="2027-06-01")  # not waited for: the other review is out
    assert (case.row.status, case.row.outcome, case.row.definition.version) == ("completed", "Published", after.version)
