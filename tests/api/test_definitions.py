"""Process definitions: reading versions and diagrams, and deploying uploads (refusing unsafe ones whole)."""

from __future__ import annotations

from io import BytesIO

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ProcessDefinition
from tests.api import variants

# Deploys wait for their dry-run job, which the worker runs: a worker polls in the background here.
pytestmark = pytest.mark.usefixtures("dry_run_worker")


def _deployed_count() -> int:
    return db.session.scalar(select(func.count(ProcessDefinition.id))) or 0


# --- reading ---


def test_list_shows_the_latest_version_of_each_process(api, people, small_definition):
    api.upload(variants.files(variants.renamed("Small process, revised")), people.owner)
    api.upload(variants.files(variants.with_key("other")), people.owner)
    items = api.get("/process-definitions", people.provider)["items"]
    assert [(d["key"], d["version"], d["name"]) for d in items] == [
        ("other", 1, "Small test process"),
        ("small", 2, "Small process, revised"),
    ]
    assert items[1]["deployed_at"] == "2027-03-01T09:00:00+00:00"


def test_get_latest_with_its_start_form(api, people, small_definition):
    definition = api.get("/process-definitions/small", people.provider)
    assert (definition["key"], definition["version"], definition["name"]) == ("small", 1, "Small test process")
    assert definition["start_form"]["schema"]["title"] == "Notify"
    assert definition["start_form"]["schema"]["required"] == ["case_reference"]
    assert definition["start_form"]["ui_schema"] == {}
    assert "small.bpmn" in definition["files"]


def test_unknown_process_is_not_found(api, people, small_definition):
    error = api.get("/process-definitions/nope", people.team, expect=404)["error"]
    assert error["code"] == "not_found" and "nope" in error["message"]
    api.get("/process-definitions/nope/versions", people.manager, expect=404)
    api.get("/process-definitions/nope/versions/1/bpmn", people.manager, expect=404)


def test_versions_newest_first(api, people, small_definition):
    api.upload(variants.files(variants.renamed("Revised")), people.owner)
    versions = api.get("/process-definitions/small/versions", people.manager)["items"]
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[0]["deployed_by"] == people.owner.username
    # the same summary as a deploy from the pages: the files, then the elements changed inside them
    assert versions[0]["change_summary"] == "changed: small.bpmn. Elements: 1 element(s) changed. (small)"


def test_download_a_version_as_xml(api, people, small_definition):
    api.upload(variants.files(variants.renamed("Revised")), people.owner)
    response = api.call("GET", "/process-definitions/small/versions/1/bpmn", people.owner, expect=200)
    assert response.mimetype == "application/xml"
    assert response.headers["Content-Disposition"] == "attachment; filename=small.bpmn"
    assert response.get_data(as_text=True) == variants.SMALL_BPMN
    second = api.call("GET", "/process-definitions/small/versions/2/bpmn", people.owner, expect=200)
    assert 'name="Revised"' in second.get_data(as_text=True)


def test_download_of_a_missing_version_or_file_is_not_found(api, people, small_definition):
    assert (
        api.get("/process-definitions/small/versions/9/bpmn", people.owner, expect=404)["error"]["code"] == "not_found"
    )
    api.get("/process-definitions/small/versions/1/bpmn", people.owner, expect=404, file="other.bpmn")
    assert (
        api.call(
            "GET",
            "/process-definitions/small/versions/1/bpmn",
            people.owner,
            expect=200,
            query_string={"file": "small.bpmn"},
        ).mimetype
        == "application/xml"
    )


# --- deploying ---


def test_upload_deploys_a_new_version(api, people, small_definition):
    deployed = api.upload(variants.files(variants.renamed("Revised")), people.owner, expect=201)
    assert (deployed["key"], deployed["version"], deployed["created"]) == ("small", 2, True)
    assert deployed["deployed_by"] == people.owner.username
    assert deployed["summary"].startswith("Deployed small version 2")
    assert api.get("/process-definitions/small", people.team)["name"] == "Revised"


def test_uploading_the_same_files_again_changes_nothing(api, people, small_definition):
    unchanged = api.upload(variants.files(), people.owner, expect=200)
    assert (unchanged["version"], unchanged["created"]) == (1, False)
    assert "unchanged" in unchanged["summary"]
    assert _deployed_count() == 1


def test_admin_may_deploy_a_first_version(api, app):
    from tests.conftest import make_user

    deployed = api.upload(variants.files(), make_user("admin"), expect=201)
    assert (deployed["key"], deployed["version"]) == ("small", 1)


@pytest.mark.parametrize("role", ["sfo-team", "manager", "reviewer", "provider"])
def test_only_process_owners_and_admins_deploy(api, small_definition, role):
    from tests.conftest import make_user

    error = api.upload(variants.files(variants.renamed("Sneaky")), make_user(role), expect=403)["error"]
    assert error["code"] == "forbidden"
    assert _deployed_count() == 1


def _problems(api, people, uploaded):
    before = _deployed_count()
    error = api.upload(uploaded, people.owner, expect=422)["error"]
    assert error["code"] == "validation_failed"
    assert _deployed_count() == before, "a refused upload must deploy nothing"
    assert api.get("/process-definitions/small/versions", people.owner)["items"][0]["version"] == 1
    return error["fields"]


def test_doctype_and_entity_declarations_are_refused(api, people, small_definition):
    fields = _problems(api, people, variants.files((variants.BAD / "doctype_entity.bpmn").read_text(), "doctype.bpmn"))
    assert any("DOCTYPE" in message for message in fields["doctype.bpmn"])


def test_billion_laughs_is_refused_without_expanding_it(api, people, small_definition):
    fields = _problems(api, people, variants.files((variants.BAD / "billion_laughs.bpmn").read_text(), "laughs.bpmn"))
    assert any("DOCTYPE" in message for message in fields["laughs.bpmn"])


def test_xml_that_is_not_well_formed_is_refused(api, people, small_definition):
    fields = _problems(api, people, variants.files((variants.BAD / "not_well_formed.bpmn").read_text(), "broken.bpmn"))
    assert any("not well-formed" in message for message in fields["broken.bpmn"])


def test_a_script_importing_os_is_refused(api, people, small_definition):
    fields = _problems(api, people, variants.files(variants.script_importing_os()))
    assert any("imports are not allowed" in message for message in fields["set_due"])


def test_a_condition_reaching_dunder_class_is_refused(api, people, small_definition):
    fields = _problems(api, people, variants.files(variants.condition_reaching_class()))
    assert any("__class__" in message for message in fields["eligible_gateway"])


def test_a_user_task_naming_a_missing_form_is_refused(api, people, small_definition):
    fields = _problems(api, people, variants.files(variants.user_task_with_missing_form()))
    assert fields["triage"] == ["the form file 'missing.schema.json' is missing"]


def test_every_problem_is_listed_at_once(api, people, small_definition):
    bpmn = variants.edited(
        variants.TRIAGE_SCRIPT, "<bpmn:script>import os</bpmn:script>", variants.user_task_with_missing_form()
    )
    fields = _problems(api, people, variants.files(bpmn))
    assert {"set_due", "triage"} <= set(fields)


def test_unsupported_file_types_are_refused(api, people, small_definition):
    fields = _problems(api, people, {**variants.files(), "notes.txt": b"hello"})
    assert fields == {"notes.txt": ["Unsupported file."]}


def test_a_file_sent_twice_is_refused(api, people, small_definition):
    parts = [
        (BytesIO(variants.SMALL_BPMN.encode()), "small.bpmn"),
        (BytesIO(variants.SMALL_BPMN.encode()), "small.bpmn"),
    ]
    response = api.call(
        "POST",
        "/process-definitions",
        people.owner,
        data={"files": parts},
        content_type="multipart/form-data",
        expect=422,
    )
    assert "small.bpmn" in response.get_json()["error"]["fields"]


def test_an_upload_without_files_is_refused(api, people, small_definition):
    response = api.call(
        "POST", "/process-definitions", people.owner, data={}, content_type="multipart/form-data", expect=422
    )
    assert "files" in response.get_json()["error"]["fields"]


def test_an_upload_with_unexpected_form_fields_is_refused(api, people, small_definition):
    parts = [(BytesIO(variants.SMALL_BPMN.encode()), "small.bpmn")]
    response = api.call(
        "POST",
        "/process-definitions",
        people.owner,
        data={"files": parts, "comment": "hi"},
        content_type="multipart/form-data",
        expect=422,
    )
    assert response.get_json()["error"]["fields"] == {"comment": ["Unknown field."]}


def test_an_upload_that_is_not_multipart_is_a_bad_request(api, people, small_definition):
    response = api.call("POST", "/process-definitions", people.owner, json={"files": []}, expect=400)
    assert response.get_json()["error"]["code"] == "bad_request"


def test_a_deployed_version_can_start_cases(api, people, small_definition):
    api.upload(variants.files(variants.with_key("fresh")), people.owner)
    case = api.start("fresh", "FRESH-1", {}, as_user=people.provider)
    assert (case["process_key"], case["process_version"], case["status"]) == ("fresh", 1, "running")


def test_a_model_that_passes_the_checks_but_never_ends_is_refused_by_the_dry_run(api, people, small_definition):
    """Issue 14: the API deploy skipped the dry run that the web deploy enforces."""
    before = _deployed_count()
    error = api.upload(variants.files(variants.dead_end()), people.owner, expect=422)["error"]
    assert error["code"] == "validation_failed" and "nothing was deployed" in error["message"]
    messages = [m for ms in error["fields"].values() for m in ms]
    assert any(m.startswith("Dry run: Never ends") for m in messages), messages
    assert _deployed_count() == before
