"""Groups through the API: process owners and admins create and map groups and members; a deploy whose
lanes name no group is refused naming them, or creates them when asked."""

from __future__ import annotations

from io import BytesIO

import pytest

from app.services.definitions import latest_definition
from tests.conftest import DATA, model_files

pytestmark = pytest.mark.usefixtures("dry_run_worker")
FINANCE = model_files(DATA / "spiffarena" / "finance_lanes")


def _deploy(api, user, files, expect, **form):  # type: ignore[no-untyped-def]
    parts = [(BytesIO(content), name) for name, content in files.items()]
    return api.call(
        "POST",
        "/process-definitions",
        user,
        expect=expect,
        data={"files": parts, **form},
        content_type="multipart/form-data",
    ).get_json()


def test_a_process_owner_creates_maps_and_fills_a_group(api, people):
    created = api.post("/groups", people.owner, {"id": "finance-team", "title": "Finance team"}, expect=201)
    assert created == {"id": "finance-team", "title": "Finance team", "members": [], "lane_names": []}
    mapped = api.post("/groups/finance-team/lane-names", people.owner, {"lane": "Accounts  Payable"})
    assert mapped["lane_names"] == ["accounts payable"]
    filled = api.post("/groups/finance-team/members", people.owner, {"username": people.team.username})
    assert filled["members"] == [people.team.username]
    listed = api.get("/groups", people.owner)["items"]
    assert [g["id"] for g in listed] == sorted(
        ["finance-team", "manager", "provider", "publication", "quality-assurer", "reviewer", "sfo-team"]
    )
    emptied = api.call("DELETE", f"/groups/finance-team/members/{people.team.username}", people.owner, expect=200)
    assert emptied.get_json()["members"] == []


def test_bad_group_requests_are_refused_with_a_json_error(api, people):
    refused = api.post("/groups", people.owner, {"id": "Bad Id", "title": "X"}, expect=422)
    assert "group_id" in refused["error"]["fields"]
    api.post("/groups", people.owner, {"id": "manager", "title": "Managers"}, expect=409)
    api.get("/groups/no-such-group", people.owner, expect=404)
    api.post("/groups/manager/members", people.owner, {"username": "nobody"}, expect=422)
    api.call("DELETE", f"/groups/sfo-team/members/{people.team.username}", people.owner, expect=409)


@pytest.mark.parametrize("who", ["team", "reviewer", "provider", "manager"])
def test_only_process_owners_and_admins_manage_groups(api, people, who):
    user = getattr(people, who)
    api.get("/groups", user, expect=403)
    api.post("/groups", user, {"id": "finance-team", "title": "Finance team"}, expect=403)
    api.post("/groups/manager/members", user, {"username": user.username}, expect=403)


def test_a_deploy_with_lanes_naming_no_group_is_refused_naming_them(api, people):
    refused = _deploy(api, people.owner, FINANCE, 422)
    assert "Finance Team" in refused["error"]["message"]
    assert latest_definition("Process_finance") is None


def test_a_deploy_may_create_the_groups_its_lanes_name(api, people):
    deployed = _deploy(api, people.owner, FINANCE, 201, create_groups="true")
    assert deployed["key"] == "Process_finance"
    assert "finance-team" in [g["id"] for g in api.get("/groups", people.owner)["items"]]
