"""Groups are data: the six SFO groups are seeded, process owners and admins create groups, map lane
names and manage members; lanes are checked against them; the diagram names a task's owner
(lane_owners, the Process Initiator lane), and access to cases stays with the role."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ProcessInstance
from app.models.users import GROUP_TITLES
from app.services import groups, instances, tasks
from app.services.access import can_see_instance, visible_instances
from app.services.definitions import check_files, deploy_files, read_library
from app.services.errors import Conflict, Forbidden, Invalid
from app.services.modelling import spiffarena_form_names
from tests.conftest import DATA, ROOT, make_user, model_files
from tests.sfo_case import SfoCase

FINANCE = model_files(DATA / "spiffarena" / "finance_lanes")


@pytest.fixture
def owner(app):  # type: ignore[no-untyped-def]
    return make_user("process-owner")


def test_the_six_sfo_groups_are_seeded(app):
    assert groups.known_groups().titles == GROUP_TITLES


def test_a_lane_naming_no_group_is_refused_and_named(app):
    assert groups.unknown_lanes(FINANCE) == ["Finance Team"]
    with pytest.raises(Invalid) as refused:
        check_files(FINANCE)
    assert "lane 'Finance Team' does not match any user group" in str(refused.value.fields)
    with pytest.raises(Invalid, match="Finance Team"):
        groups.refuse_unknown_lanes(FINANCE)


def test_a_process_owner_creates_a_group_and_the_lane_then_passes(owner):
    groups.create_group(owner, "finance-team", "Finance Team")
    assert groups.unknown_lanes(FINANCE) == []
    assert check_files(FINANCE).key == "Process_finance"


def test_a_lane_mapped_to_an_existing_group_passes_and_resolves_to_it(owner):
    groups.map_lane(owner, "Finance  team", "manager")
    model = check_files(FINANCE)
    assert model.element("approve_invoice").lane == "manager"
    with pytest.raises(Conflict):
        groups.map_lane(owner, "Finance Team", "sfo-team")


def test_settling_lanes_checks_every_choice_before_changing_anything(owner):
    with pytest.raises(Invalid):
        groups.settle_lanes(owner, {"Finance Team": "new", "Auditors": "no-such-group"})
    assert "finance-team" not in groups.known_groups().titles
    done = groups.settle_lanes(owner, {"Finance Team": "new", "Auditors": "manager"})
    assert len(done) == 2
    known = groups.known_groups()
    assert known.titles["finance-team"] == "Finance Team" and known.unknown(["Auditors", "Finance Team"]) == []


@pytest.mark.parametrize("bad", ["", "Has Spaces", "UPPER", "-dash", "a" * 41])
def test_group_ids_are_checked(owner, bad):
    with pytest.raises(Invalid):
        groups.create_group(owner, bad, "A title")


def test_a_title_lanes_already_mean_is_refused(owner):
    with pytest.raises(Invalid) as refused:
        groups.create_group(owner, "another-team", "SFO team")
    assert "already mean sfo-team" in str(refused.value.fields)
    with pytest.raises(Conflict):
        groups.create_group(owner, "manager", "Managers again")


@pytest.mark.parametrize("role", ["sfo-team", "reviewer", "provider", "manager"])
def test_only_process_owners_and_admins_manage_groups(app, role):
    user = make_user(role)
    with pytest.raises(Forbidden):
        groups.create_group(user, "finance-team", "Finance Team")
    with pytest.raises(Forbidden):
        groups.list_groups(user)
    with pytest.raises(Forbidden):
        groups.add_member(user, "manager", user.username)


def test_admins_manage_groups_and_members(app):
    admin = make_user("admin")
    member = make_user("sfo-team")
    groups.create_group(admin, "finance-team", "Finance Team")
    groups.add_member(admin, "finance-team", member.username)
    view = groups.get_group(admin, "finance-team")
    assert [u.username for u in view.members] == [member.username]
    groups.remove_member(admin, "finance-team", member.username)
    assert groups.get_group(admin, "finance-team").members == []
    with pytest.raises(Conflict, match="by their role"):
        groups.remove_member(admin, "sfo-team", member.username)
    with pytest.raises(Invalid) as refused:
        groups.add_member(admin, "finance-team", "nobody")
    assert "no user called nobody" in str(refused.value.fields)


def test_the_diagram_names_the_owner_of_a_lane(owner):
    groups.create_group(owner, "finance-team", "Finance Team")
    deploy_files(FINANCE, "system")
    team, approver, colleague = make_user("sfo-team"), make_user("sfo-team"), make_user("sfo-team")
    for member in (approver, colleague):
        groups.add_member(owner, "finance-team", member.username)
    row = instances.start_case(team, "Process_finance", "FIN-1", {})
    entry = instances.tasks_of(row, "ready")[0]
    tasks.complete_task(team, entry.id, {"amount": 10, "approver": approver.username})
    approval = instances.tasks_of(row, "ready")[0]
    assert approval.bpmn_id == "approve_invoice" and approval.lane == "finance-team"
    assert approval.assignee == approver.username
    with pytest.raises(Forbidden, match="assigned to"):
        tasks.complete_task(colleague, approval.id, {"approved": True})
    done = tasks.complete_task(approver, approval.id, {"approved": True})
    assert done.status == "completed"


def test_a_process_initiator_lane_goes_to_whoever_started_the_case(owner):
    files = {
        n: c.replace(b'name="Finance Team"', b'name="Process Initiator"').replace(b"lane_owners = ", b"owners = ")
        for n, c in FINANCE.items()
    }
    assert groups.unknown_lanes(files) == []
    deploy_files(files, "system")
    starter = make_user("sfo-team")
    row = instances.start_case(starter, "Process_finance", "FIN-2", {})
    tasks.complete_task(starter, instances.tasks_of(row, "ready")[0].id, {"amount": 3, "approver": "x"})
    approval = instances.tasks_of(row, "ready")[0]
    assert approval.lane == "process-initiator" and approval.assignee == starter.username


def test_the_sfo_reviewer_assignment_is_in_the_diagram(people, sfo_definition):
    assert 'lane_owners = {"Reviewer": [reviewer]}' in sfo_definition.bpmn["sfo_review.bpmn"]
    case = SfoCase(people, sfo_definition, "SFO-GRP-1")
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.other_reviewer.username)
    assert case.task("write_terms_of_reference").assignee == people.other_reviewer.username


def test_a_version_whose_diagram_names_another_owner_gives_the_task_to_them(people, owner, app):
    files = spiffarena_form_names(read_library(ROOT / "bpmn", ROOT / "forms"))
    bpmn = files["sfo_review.bpmn"].decode()
    files["sfo_review.bpmn"] = bpmn.replace(
        'lane_owners = {"Reviewer": [reviewer]}', 'lane_owners = {"Reviewer": ["lead"]}'
    ).encode()
    definition = deploy_files(files, "system").definition
    case = SfoCase(people, definition, "SFO-GRP-2")
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    assert case.task("write_terms_of_reference").assignee == "lead"


def test_groups_do_not_widen_a_providers_view_of_cases(people, owner, sfo_definition):
    SfoCase(people, sfo_definition, "SFO-GRP-3")  # north-probation's case
    groups.create_group(owner, "finance-team", "Finance Team")
    groups.add_member(owner, "finance-team", people.other_provider.username)
    groups.add_member(owner, "manager", people.other_provider.username)
    row = db.session.scalar(select(ProcessInstance).where(ProcessInstance.business_key == "SFO-GRP-3"))
    assert not can_see_instance(people.other_provider, row)
    assert db.session.scalars(visible_instances(people.other_provider, select(ProcessInstance))).all() == []


def test_a_provider_user_in_the_reviewer_group_is_not_offered_nor_allocated_as_reviewer(people, owner, sfo_definition):
    """Reviewer tasks go to the allocated reviewer by name; a provider user never sees another team's tasks
    nor another organisation's cases, whatever groups it is in, so it cannot be the case's reviewer."""
    from app.services.users import workloads

    groups.add_member(owner, "reviewer", people.other_provider.username)
    case = SfoCase(people, sfo_definition, "SFO-GRP-4")  # north-probation's case
    case.do("confirm_eligibility", eligible=True)
    assert people.other_provider.username not in [w.username for w in workloads("reviewer")]
    with pytest.raises(Invalid) as refused:
        case.do("allocate_reviewer", reviewer=people.other_provider.username)
    assert "reviewer" in refused.value.fields
    assert case.task("allocate_reviewer").state == "ready"
