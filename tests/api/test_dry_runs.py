"""Deploying through the API without waiting: 202 Accepted with the dry-run job, followed at its URL."""

from __future__ import annotations

import dataclasses
from io import BytesIO

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import DryRunJob, ProcessDefinition
from app.services import dry_runs as dry_run_service
from app.worker.dry_runs import DryRunPool, Settings
from tests.api import variants
from tests.conftest import make_user

# About the dry-run machinery: every dry run here is real, none remembered (tests/dry_run_memo.py).
pytestmark = pytest.mark.real_dry_runs

ASYNC = {"Prefer": "respond-async"}


def _deploy(api, files, user, *, headers=None, expect=202):  # type: ignore[no-untyped-def]
    parts = [(BytesIO(content), name) for name, content in files.items()]
    return api.call(
        "POST",
        "/process-definitions",
        user,
        expect=expect,
        data={"files": parts},
        content_type="multipart/form-data",
        headers=headers or {},
    )


def test_deploy_answers_202_then_the_job_url_gives_the_outcome(api, people, small_definition, dry_runs):
    response = _deploy(api, variants.files(variants.renamed("Later")), people.owner, headers=ASYNC)
    job = response.get_json()
    assert (job["status"], job["purpose"], job["finished"], job["definition"]) == ("queued", "deploy", False, None)
    assert response.headers["Location"] == f"/api/v1/dry-runs/{job['id']}"
    again = _deploy(api, variants.files(variants.renamed("Later")), people.owner, headers=ASYNC).get_json()
    assert again["id"] == job["id"], "the same files sent twice run once"

    dry_runs()

    done = api.get(f"/dry-runs/{job['id']}", people.owner)
    assert (done["status"], done["finished"], done["process_key"]) == ("passed", True, "small")
    assert (done["definition"]["key"], done["definition"]["version"]) == ("small", 2)
    assert done["outcome"].startswith("Deployed small version 2.")
    assert done["report"]["reached"] == ["Done", "Not an SFO"] and done["problems"] == {}
    assert db.session.scalar(select(func.count(ProcessDefinition.id))) == 2


def test_a_failed_dry_run_lists_every_problem_at_the_job_url(api, people, small_definition, dry_runs):
    job = _deploy(api, variants.files(variants.dead_end()), people.owner, headers=ASYNC).get_json()
    dry_runs()
    done = api.get(f"/dry-runs/{job['id']}", people.owner)
    assert done["status"] == "failed" and done["definition"] is None
    assert "nothing was deployed" in done["outcome"]
    assert any(m.startswith("Dry run: Never ends") for ms in done["problems"].values() for m in ms)


def test_a_hostile_script_sent_to_the_api_fails_its_job_and_deploys_nothing(app, api, people, small_definition):
    files = variants.files(variants.with_triage_script(variants.CPU_BURNER))
    job = _deploy(api, files, people.owner, headers=ASYNC).get_json()
    settings = Settings.of(app)
    limits = dataclasses.replace(settings.limits, cpu_seconds=2)
    db.session.commit()
    DryRunPool(app, dataclasses.replace(settings, limits=limits, timeout=300.0)).run_until_idle()
    done = api.get(f"/dry-runs/{job['id']}", people.owner)
    assert done["status"] == "failed" and done["definition"] is None
    messages = " ".join(m for ms in done["problems"].values() for m in ms)
    assert "seconds of CPU" in messages or "set_due" in done["problems"], messages
    assert db.session.scalar(select(func.count(ProcessDefinition.id))) == 1


def test_a_deploy_answers_at_once_while_another_request_waits(api, people, small_definition):
    with dry_run_service._one_waiter:  # another deploy request is waiting for its job
        job = _deploy(api, variants.files(variants.renamed("Busy")), people.owner).get_json()
    assert job["status"] == "queued"  # 202 without waiting: no worker runs in this test


def test_jobs_are_read_by_process_owners_and_admins_only(api, people, small_definition):
    job = _deploy(api, variants.files(variants.renamed("Mine")), people.owner, headers=ASYNC).get_json()
    other_owner = make_user("process-owner")
    assert api.get(f"/dry-runs/{job['id']}", other_owner)["id"] == job["id"]
    assert api.get(f"/dry-runs/{job['id']}", make_user("admin"))["id"] == job["id"]
    for role in ("manager", "sfo-team", "provider", "reviewer"):
        assert api.get(f"/dry-runs/{job['id']}", make_user(role), expect=403)["error"]["code"] == "forbidden"
    assert api.get("/dry-runs/999999", people.owner, expect=404)["error"]["code"] == "not_found"
    assert api.get(f"/dry-runs/{job['id']}", None, expect=401)
    assert db.session.scalar(select(func.count(DryRunJob.id))) == 1


def test_the_openapi_document_describes_the_202_and_the_job(api):
    document = api.get("/openapi.json", None)
    deploy = document["paths"]["/api/v1/process-definitions"]["post"]
    assert {"200", "201", "202", "422"} <= set(deploy["responses"])
    accepted = deploy["responses"]["202"]["content"]["application/json"]["schema"]["$ref"]
    assert accepted.endswith("/DryRunJob")
    job = document["paths"]["/api/v1/dry-runs/{job_id}"]["get"]
    assert {"200", "401", "403", "404"} <= set(job["responses"])
    assert "respond-async" in deploy["description"]
