"""The groups pages: process owners and admins create groups, add members and lane names; a model whose
lanes name no group is offered to create or map them, then checked again."""

from __future__ import annotations

import io
import zipfile

import pytest

from app.extensions import db
from app.models import DryRunJob
from app.services.definitions import latest_definition
from app.services.groups import known_groups
from tests.conftest import DATA, make_user

FINANCE = DATA / "spiffarena" / "finance_lanes"


@pytest.fixture
def owner(signed_in):  # type: ignore[no-untyped-def]
    return signed_in(make_user("process-owner"))


def _finance_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(FINANCE.iterdir()):
            archive.writestr(f"finance_lanes/{path.name}", path.read_bytes())
    return buffer.getvalue()


def test_a_process_owner_creates_a_group_adds_a_member_and_a_lane_name(owner):
    member = make_user("sfo-team")
    page = owner.get("/groups/")
    assert "SFO team" in page.text and "Create a group" in page.text
    created = owner.post("/groups/", {"group_id": "finance-team", "title": "Finance team"}, expect=303)
    assert created.headers["Location"].endswith("/groups/finance-team")
    owner.get("/groups/finance-team")
    owner.post("/groups/finance-team/members", {"username": member.username}, expect=303)
    owner.post("/groups/finance-team/lane-names", {"lane": "Accounts"}, expect=303)
    page = owner.get("/groups/finance-team")
    assert member.username in page.text and "accounts" in page.text
    owner.post(f"/groups/finance-team/members/{member.username}/remove", {}, expect=303)
    owner.post("/groups/finance-team/lane-names/accounts/remove", {}, expect=303)
    page = owner.get("/groups/finance-team")
    assert "Nobody is in this group yet." in page.text and known_groups().lane_names == {}


def test_bad_input_shows_an_error_summary_and_changes_nothing(owner):
    owner.get("/groups/")
    page = owner.post("/groups/", {"group_id": "Finance Team", "title": ""}, expect=400)
    assert "There is a problem" in page.text and "lower-case letters" in page.text
    assert len(known_groups().titles) == 6
    owner.get("/groups/manager")
    page = owner.post("/groups/manager/members", {"username": "nobody"}, expect=400)
    assert "There is no user called nobody." in page.text


def test_forms_need_the_csrf_token(owner):
    owner.post("/groups/", {"group_id": "finance-team", "title": "Finance"}, expect=400, csrf=False)
    assert "finance-team" not in known_groups().titles


@pytest.mark.parametrize("role", ["sfo-team", "manager", "provider", "reviewer"])
def test_only_process_owners_and_admins_see_the_groups_pages(signed_in, role):
    browser = signed_in(make_user(role))
    browser.get("/groups/", expect=403)
    browser.get("/groups/manager", expect=403)


def test_importing_a_model_with_unknown_lanes_offers_to_create_or_map_them(owner, dry_runs):
    owner.get("/process-models/new")
    owner._fresh_request()
    data = {"csrf_token": owner.token, "files": [(io.BytesIO(_finance_zip()), "finance_lanes.zip")]}
    response = owner.client.post("/process-models/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    dry_runs()
    job_url = response.headers["Location"]
    page = owner.get(job_url)
    assert "Lanes that name no group: Finance Team" in page.text
    job_id = int(job_url.rsplit("/", 1)[1])
    offer = owner.get(f"/groups/lanes-of-dry-run/{job_id}")
    assert "The lane Finance Team" in offer.text
    bad = owner.post(f"/groups/lanes-of-dry-run/{job_id}", {"lane-0": "no-such-group"}, expect=400)
    assert "Choose a group" in bad.text
    again = owner.post(f"/groups/lanes-of-dry-run/{job_id}", {"lane-0": "manager"}, expect=303)
    dry_runs()
    assert "Deployed Process_finance version 1" in owner.get(again.headers["Location"]).text
    assert known_groups().lane_names == {"finance team": "manager"}
    assert latest_definition("Process_finance") is not None
    assert db.session.get(DryRunJob, job_id).process_key == "Process_finance"
