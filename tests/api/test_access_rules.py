"""Who may start which process, who reads process definitions, and what a case reference may be."""

from __future__ import annotations

import pytest

from app.services.definitions import deploy_files
from tests.api import variants

START_IN_PROVIDER_LANE = '<bpmn:lane id="lane_provider" name="provider"><bpmn:flowNodeRef>start</bpmn:flowNodeRef>'
TEAM_LANE_START = '<bpmn:lane id="lane_team" name="sfo-team"><bpmn:flowNodeRef>start</bpmn:flowNodeRef>'


@pytest.fixture
def internal_definition(app):  # type: ignore[no-untyped-def]
    """The small process under another key, its start event in the sfo-team lane."""
    bpmn = variants.with_key("internal")
    bpmn = variants.edited(START_IN_PROVIDER_LANE, '<bpmn:lane id="lane_provider" name="provider">', bpmn)
    bpmn = variants.edited('<bpmn:lane id="lane_team" name="sfo-team">', TEAM_LANE_START, bpmn)
    return deploy_files(variants.files(bpmn, name="internal.bpmn"), "system").definition


def _data(reference: str) -> dict:
    return {"case_reference": reference, "provider_org": "north-probation"}


def test_a_provider_cannot_start_a_process_that_starts_in_another_lane(api, people, internal_definition):
    answer = api.post(
        "/process-instances",
        people.provider,
        {"process_key": "internal", "business_key": "INT-1", "data": _data("INT-1")},
        expect=403,
    )
    assert "lane" in answer["error"]["message"]
    api.post(
        "/process-instances",
        people.team,
        {"process_key": "internal", "business_key": "INT-1", "data": _data("INT-1")},
        expect=201,
    )


def test_a_provider_starts_a_process_of_the_provider_lane(api, people, small_definition):
    api.start("small", "SFO-1", _data("SFO-1"), as_user=people.provider)


def test_definitions_list_shows_a_provider_only_what_they_may_start(api, people, small_definition, internal_definition):
    assert [d["key"] for d in api.get("/process-definitions", people.provider)["items"]] == ["small"]
    assert [d["key"] for d in api.get("/process-definitions", people.manager)["items"]] == ["internal", "small"]
    api.get("/process-definitions/internal", people.provider, expect=403)
    assert api.get("/process-definitions/small", people.provider)["start_form"] is not None


@pytest.mark.parametrize("role", ["provider", "sfo-team", "reviewer", "quality-assurer", "publication"])
def test_only_owners_managers_and_admins_read_versions_and_diagrams(api, people, small_definition, role):
    from tests.conftest import make_user

    user = make_user(role)
    api.get("/process-definitions/small/versions", user, expect=403)
    response = api.call("GET", "/process-definitions/small/versions/1/bpmn", user)
    assert response.status_code == 403 and b"<" not in response.get_data()


@pytest.mark.parametrize("role", ["process-owner", "manager", "admin"])
def test_owners_managers_and_admins_read_every_definition(api, small_definition, role):
    from tests.conftest import make_user

    user = make_user(role)
    assert api.get("/process-definitions/small/versions", user)["items"][0]["version"] == 1
    response = api.call("GET", "/process-definitions/small/versions/1/bpmn", user, expect=200)
    assert b"<bpmn:process" in response.get_data()


@pytest.mark.parametrize(
    "reference",
    ["SFO/1", "SFO\\1", "SFO\t1", "SFO\n1", "SFO\u200b1", " SFO-1", "SFO-1 ", "SFO\u20281", "S" * 121, "\u00a0"],
)
def test_case_references_are_printable_without_slashes(api, people, small_definition, reference):
    answer = api.post(
        "/process-instances",
        people.provider,
        {"process_key": "small", "business_key": reference, "data": _data(reference)},
        expect=422,
    )
    assert set(answer["error"]["fields"]) & {"case_reference", "business_key"}


def test_unicode_references_without_slashes_are_fine(api, people, small_definition):
    api.start("small", "SFO-Ŵ-2027 (1)", _data("SFO-Ŵ-2027 (1)"), as_user=people.provider)


def test_a_reference_taken_by_another_organisation_reads_like_ones_own(api, people, small_definition):
    api.start("small", "SFO-9", _data("SFO-9"), as_user=people.provider)
    own = api.post(
        "/process-instances",
        people.provider,
        {"process_key": "small", "business_key": "SFO-9", "data": _data("SFO-9")},
        expect=409,
    )
    other_data = {"case_reference": "SFO-9", "provider_org": "south-probation"}
    other = api.post(
        "/process-instances",
        people.other_provider,
        {"process_key": "small", "business_key": "SFO-9", "data": other_data},
        expect=409,
    )
    assert own == other
    assert "exist" not in other["error"]["message"] and "north" not in str(other)
    assert api.get("/process-instances", people.other_provider, business_key="SFO-9")["total"] == 0


def test_case_references_are_unique_across_processes(api, people, small_definition):
    deploy_files(variants.files(variants.with_key("other"), name="other.bpmn"), "system")
    api.start("small", "SFO-5", _data("SFO-5"), as_user=people.provider)
    refused = api.post(
        "/process-instances",
        people.provider,
        {"process_key": "other", "business_key": "SFO-5", "data": _data("SFO-5")},
        expect=409,
    )
    assert "cannot be used for a new case" in refused["error"]["message"]
