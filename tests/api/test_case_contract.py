"""A deploy through the API that drops a case variable the service reads is refused (the SFO data contract)."""

from __future__ import annotations

import json

from app.services.definitions import read_library
from tests.conftest import ROOT


def test_the_api_refuses_such_a_deploy_and_keeps_the_version_that_runs(api, people, sfo_definition, dry_runs):
    files = read_library(ROOT / "bpmn", ROOT / "forms")
    schema = json.loads(files["progress_summary.schema.json"])
    schema["properties"]["progress_when"] = schema["properties"].pop("progress_as_at")
    schema["required"] = ["progress_when" if name == "progress_as_at" else name for name in schema.get("required", [])]
    files["progress_summary.schema.json"] = json.dumps(schema).encode()
    # Not waiting for a worker (there is none here): the checks run in the deploy's job, as the worker runs it.
    job = api.upload(files, people.owner, expect=202, headers={"Prefer": "respond-async"})
    dry_runs()
    done = api.get(f"/dry-runs/{job['id']}", people.owner)
    assert (done["status"], done["definition"]) == ("failed", None)
    assert list(done["problems"]) == ["progress_as_at"], done["problems"]
    assert api.get("/process-definitions/sfo_review", people.owner)["version"] == sfo_definition.version
