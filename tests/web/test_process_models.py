"""The process models area through its pages: versions, downloads, drafts, checks, deploy, compare,
migration, import/export, the form editor, and who may use it."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, ProcessDefinition, ProcessInstance
from app.services import instances
from app.web.models import models
from tests.api import variants
from tests.conftest import make_user
from tests.sfo_case import People, SfoCase


def _versions(key: str = "small") -> int:
    return db.session.scalar(select(func.count(ProcessDefinition.id)).where(ProcessDefinition.key == key)) or 0


@pytest.fixture
def owner(signed_in):  # type: ignore[no-untyped-def]
    user = make_user("process-owner")
    browser = signed_in(user)
    browser.username = user.username
    return browser


def _upload(browser, url: str, files: dict[str, bytes], expect: int) -> object:  # type: ignore[no-untyped-def]
    browser._fresh_request()
    data = {"csrf_token": browser.token, "files": [(io.BytesIO(c), n) for n, c in files.items()]}
    response = browser.client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == expect, response.get_data(as_text=True)[:800]
    return response


# --- who may use it ---


def _model_routes(app):  # type: ignore[no-untyped-def]
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("models.")]


@pytest.mark.parametrize("role", ["provider", "sfo-team", "reviewer", "quality-assurer", "publication", "manager"])
def test_every_route_of_the_area_refuses_other_roles(app, signed_in, small_definition, role):
    browser = signed_in(make_user(role))
    rules = _model_routes(app)
    assert len(rules) >= 14
    for rule in rules:
        url = rule.rule.replace("<key>", "small").replace("<id:version>", "1").replace("<name>", "small.bpmn")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            browser._fresh_request()
            call = browser.client.get if method == "GET" else browser.client.post
            data = {"csrf_token": browser.token} if method == "POST" else None
            response = call(url, data=data)
            assert response.status_code == 403, f"{method} {url} gave {response.status_code} to {role}"
    assert _versions() == 1


def test_every_route_needs_sign_in(app, client, small_definition):
    for rule in _model_routes(app):
        url = rule.rule.replace("<key>", "small").replace("<id:version>", "1").replace("<name>", "small.bpmn")
        response = client.get(url)
        assert response.status_code in (302, 405), url
        if response.status_code == 302:
            assert "/sign-in" in response.headers["Location"]


def test_the_blueprint_declares_its_role_check():
    assert models.before_request_funcs[None], "the models blueprint has no role check"


def test_admin_reaches_the_area(signed_in, small_definition):
    signed_in(make_user("admin")).get("/process-models/")


# --- lists, versions, downloads ---


def test_list_shows_latest_version_and_open_cases_per_version(owner, small_definition):
    page = owner.get("/process-models/")
    assert "Small test process" in page.text and "Deployed processes" in page.text
    assert "None" in page.text  # no open case yet


def test_process_page_lists_versions_and_downloads(owner, small_definition):
    page = owner.get("/process-models/small")
    assert "/process-models/small/versions/1/files/small.bpmn" in page.html
    assert "/process-models/small/versions/1/export" in page.html
    response = owner.client.get("/process-models/small/versions/1/files/small.bpmn")
    assert response.status_code == 200 and response.get_data(as_text=True) == variants.SMALL_BPMN
    forms = owner.client.get("/process-models/small/versions/1/files/triage.schema.json")
    assert json.loads(forms.get_data()) == json.loads(variants.FORMS["triage.schema.json"])
    assert owner.client.get("/process-models/small/versions/1/files/nope.bpmn").status_code == 404


# --- drafts, checks and deploy ---


def test_editor_saves_the_xml_to_a_draft_without_javascript(owner, small_definition):
    page = owner.get("/process-models/small/editor")
    assert 'id="xml"' in page.html and "Small test process" in page.html
    owner.post("/process-models/small/editor?file=small.bpmn", {"xml": variants.renamed("Renamed in the editor")})
    assert "Renamed in the editor" in owner.client.get("/process-models/small/draft/files/small.bpmn").get_data(
        as_text=True
    )
    assert _versions() == 1
    check = owner.get("/process-models/small/check")
    assert "Every check passed" in check.text and "Deploy as a new version" in check.text
    assert "Done" in check.text and "Not an SFO" in check.text  # end events reached by the dry run
    owner.post("/process-models/small/deploy", {})
    assert _versions() == 2
    deployed = db.session.scalar(select(ProcessDefinition).where(ProcessDefinition.version == 2))
    assert deployed.name == "Renamed in the editor" and deployed.deployed_by == owner.username
    assert (
        owner.client.get("/process-models/small/draft/files/small.bpmn").get_data(as_text=True)
        == deployed.bpmn["small.bpmn"]
    )
    audit = db.session.scalar(
        select(AuditEvent).where(AuditEvent.kind == "definition-deployed", AuditEvent.actor == owner.username)
    )
    assert audit is not None and audit.detail["checksum"] == deployed.checksum


BAD = {
    "doctype": (variants.BAD / "doctype_entity.bpmn").read_bytes(),
    "billion laughs": (variants.BAD / "billion_laughs.bpmn").read_bytes(),
    "invalid bpmn": variants.SMALL_BPMN.replace("<bpmn:startEvent", "<bpmn:notAnElement").encode(),
    "import": variants.script_importing_os().encode(),
    "dunder": variants.condition_reaching_class().encode(),
    "subclasses": variants.edited(
        variants.ELIGIBLE_CONDITION,
        "<bpmn:conditionExpression>().__class__.__subclasses__()</bpmn:conditionExpression>",
    ).encode(),
    "while": variants.edited(variants.TRIAGE_SCRIPT, "<bpmn:script>while True:\n    pass</bpmn:script>").encode(),
    "missing form": variants.user_task_with_missing_form().encode(),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_diagrams_uploaded_into_the_draft_are_refused_at_deploy(owner, small_definition, case):
    _upload(owner, "/process-models/small/upload", {"small.bpmn": BAD[case]}, 302)
    owner._fresh_request()
    response = owner.client.get("/process-models/small/check")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "govuk-error-summary" in html and "Deploy as a new version" not in html
    owner._fresh_request()
    response = owner.client.post("/process-models/small/deploy", data={"csrf_token": owner.token})
    assert response.status_code == 422 and "govuk-error-summary" in response.get_data(as_text=True)
    assert _versions() == 1


def test_every_problem_is_listed_with_a_link_to_its_element(owner, small_definition):
    bpmn = variants.edited(
        variants.TRIAGE_SCRIPT, "<bpmn:script>import os</bpmn:script>", variants.user_task_with_missing_form()
    )
    _upload(owner, "/process-models/small/upload", {"small.bpmn": bpmn.encode()}, 302)
    owner._fresh_request()
    html = owner.client.get("/process-models/small/check").get_data(as_text=True)
    assert 'href="#problem-set_due"' in html and 'id="problem-set_due"' in html
    assert 'href="#problem-triage"' in html and "missing.schema.json" in html


def test_gateway_without_default_and_unreachable_elements_are_refused(owner, small_definition):
    bpmn = variants.edited('default="f_no"', "")
    bpmn = variants.edited("</bpmn:process>", '<bpmn:task id="orphan" name="Orphan"/></bpmn:process>', bpmn)
    response = _upload(owner, "/process-models/new", {"small.bpmn": bpmn.encode(), **variants.FORMS}, 422)
    html = response.get_data(as_text=True)
    assert "f_no have no condition" in html and "no path from a start event reaches this element" in html
    assert _versions() == 1


def test_a_timer_that_gives_no_date_is_refused(owner, small_definition):
    bpmn = variants.edited("due_reminder_at(triage_due, 1)", "'next tuesday'")
    html = _upload(owner, "/process-models/new", {"small.bpmn": bpmn.encode(), **variants.FORMS}, 422).get_data(
        as_text=True
    )
    assert "triage_reminder" in html and "does not give an ISO date" in html
    assert _versions() == 1


def _dead_end_bpmn() -> str:
    """Both gateway branches meet at a parallel join: only one ever arrives, so the case never ends."""
    bpmn = variants.edited(
        '<bpmn:endEvent id="end_not_eligible" name="Not an SFO"><bpmn:incoming>f_no</bpmn:incoming></bpmn:endEvent>',
        '<bpmn:parallelGateway id="stuck_join"><bpmn:incoming>f4</bpmn:incoming><bpmn:incoming>f_no</bpmn:incoming>'
        "<bpmn:outgoing>f_end</bpmn:outgoing></bpmn:parallelGateway>"
        '<bpmn:sequenceFlow id="f_end" sourceRef="stuck_join" targetRef="end_done"/>',
    )
    bpmn = variants.edited(
        "<bpmn:flowNodeRef>end_not_eligible</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>stuck_join</bpmn:flowNodeRef>", bpmn
    )
    bpmn = variants.edited(
        '<bpmn:endEvent id="end_done" name="Done"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>',
        '<bpmn:endEvent id="end_done" name="Done"><bpmn:incoming>f_end</bpmn:incoming></bpmn:endEvent>',
        bpmn,
    )
    bpmn = variants.edited(
        'sourceRef="wait_outcome" targetRef="end_done"', 'sourceRef="wait_outcome" targetRef="stuck_join"', bpmn
    )
    bpmn = variants.edited(
        'sourceRef="eligible_gateway" targetRef="end_not_eligible"',
        'sourceRef="eligible_gateway" targetRef="stuck_join"',
        bpmn,
    )
    return variants.with_key("stuck", bpmn)


def test_a_dead_end_found_by_the_dry_run_blocks_deploy(owner, small_definition):
    html = _upload(
        owner, "/process-models/new", {"small.bpmn": _dead_end_bpmn().encode(), **variants.FORMS}, 422
    ).get_data(as_text=True)
    assert "Dry run: Never ends" in html, re.sub(r"<[^>]+>", " ", html)[-3000:]
    assert _versions("stuck") == 0


def test_a_20_mb_upload_is_refused_with_the_limit(owner, small_definition, app):
    response = _upload(owner, "/process-models/small/upload", {"small.bpmn": b"x" * (20 * 1024 * 1024)}, 413)
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert str(limit) in response.get_data(as_text=True)
    assert _versions() == 1


# --- compare, form editor ---


def test_compare_lists_changed_elements(owner, small_definition):
    _upload(
        owner,
        "/process-models/small/upload",
        {"small.bpmn": variants.edited("eligible == True", "eligible").encode()},
        302,
    )
    owner.get("/process-models/small/check")  # shows the "added" banner
    owner.post("/process-models/small/deploy", {})
    page = owner.get("/process-models/small/compare?old=1&new=2")
    assert "f_yes" in page.text and "condition changed from “eligible == True” to “eligible”" in page.text
    assert '"f_yes": "changed"' in html.unescape(page.html)


def test_form_editor_previews_with_the_govuk_renderer_and_checks_the_schema(owner, small_definition):
    page = owner.get("/process-models/small/forms/triage.schema.json")
    assert "form-preview" in page.html and "govuk-radios" in page.html or "govuk-checkboxes" in page.html
    bad = owner.post(
        "/process-models/small/forms/triage.schema.json",
        {"schema": '{"type": "object", "properties": {"x": {"type": "nope"}}}', "ui_schema": "{}", "action": "preview"},
        expect=422,
    )
    bad = bad.get_data(as_text=True)
    assert "Not a valid JSON Schema" in bad and "govuk-error-summary" in bad
    schema = {
        "type": "object",
        "title": "Triage",
        "properties": {"eligible": {"type": "boolean", "title": "Is this an SFO now?"}},
    }
    preview = owner.post(
        "/process-models/small/forms/triage.schema.json",
        {"schema": json.dumps(schema), "ui_schema": "{}", "action": "preview"},
        expect=200,
    )
    assert "Is this an SFO now?" in preview.text
    owner.post(
        "/process-models/small/forms/triage.schema.json",
        {"schema": json.dumps(schema), "ui_schema": "{}", "action": "save"},
    )
    saved = owner.client.get("/process-models/small/draft/files/triage.schema.json").get_data()
    assert json.loads(saved)["properties"]["eligible"]["title"] == "Is this an SFO now?"


# --- import and export ---


def test_export_then_import_as_a_new_process_that_runs(owner, small_definition):
    archive = owner.client.get("/process-models/small/versions/1/export").get_data()
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        metadata = json.loads(zipped.read("small/process_model.json"))
        assert metadata["primary_process_id"] == "small" and metadata["primary_file_name"] == "small.bpmn"
        assert set(metadata["files"]) == {"small.bpmn", *variants.FORMS}
        renamed = {i.filename: zipped.read(i) for i in zipped.infolist()}
    renamed["small/small.bpmn"] = variants.with_key("imported").encode()
    meta = {**metadata, "primary_process_id": "imported", "display_name": "Imported"}
    renamed["small/process_model.json"] = json.dumps(meta).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, content in renamed.items():
            out.writestr(name.replace("small/", "imported/"), content)
    _upload(owner, "/process-models/new", {"imported.zip": buffer.getvalue()}, 302)
    assert _versions("imported") == 1
    started = instances.start_case(make_user("sfo-team"), "imported", "IMP-1", {"case_reference": "IMP-1"})
    assert started.definition.key == "imported" and started.status == "running"
    again = _upload(owner, "/process-models/new", {"imported.zip": buffer.getvalue()}, 422)
    assert "exists already" in again.get_data(as_text=True)


# --- migration ---


def test_migration_preview_and_moving_cases(owner, sfo_definition):
    people = People.create()
    case = SfoCase(people, sfo_definition, "SFO-MIG-1")
    bpmn = sfo_definition.bpmn["sfo_review.bpmn"].replace(
        'name="Confirm eligibility"', 'name="Confirm the eligibility"'
    )
    owner.post("/process-models/sfo_review/editor?file=sfo_review.bpmn", {"xml": bpmn})
    owner.get("/process-models/sfo_review/editor")  # shows the "saved" banner
    owner.post("/process-models/sfo_review/deploy", {})
    assert _versions("sfo_review") == 2
    page = owner.get("/process-models/sfo_review/migrate?version=2")
    assert "SFO-MIG-1" in page.text and "Yes" in page.text
    owner.post("/process-models/sfo_review/migrate?version=2", {"all": "yes"})
    row = db.session.get(ProcessInstance, case.row.id)
    assert row.definition.version == 2
    assert case.task("confirm_eligibility").name == "Confirm the eligibility"
    case.do("confirm_eligibility", eligible=False)
    assert db.session.get(ProcessInstance, case.row.id).status == "completed"
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.kind == "migrated", AuditEvent.instance_id == case.row.id)
    )
