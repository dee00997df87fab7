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
from app.models import AuditEvent, DryRunJob, ProcessDefinition, ProcessInstance, User
from app.services import instances
from app.web.process_models import models
from tests.api import variants
from tests.conftest import make_user
from tests.sfo_case import SfoCase


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


def _job_url(response) -> str:  # type: ignore[no-untyped-def]
    location = response.headers["Location"]
    assert re.fullmatch(r"/process-models/dry-runs/\d+", location), location
    return location


def _result(browser, response, dry_runs):  # type: ignore[no-untyped-def]
    """The job page a form led to, once the worker has run the queued dry runs."""
    url = _job_url(response)
    dry_runs()
    return browser.get(url)


# --- who may use it ---


def _model_routes(app):  # type: ignore[no-untyped-def]
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("models.")]


def _url_of(rule) -> str:  # type: ignore[no-untyped-def]
    url = rule.rule.replace("<key>", "small").replace("<name>", "small.bpmn")
    return re.sub(r"<(?:int|id):(?:version|job_id)>", "1", url)


@pytest.mark.parametrize("role", ["provider", "sfo-team", "reviewer", "quality-assurer", "publication", "manager"])
def test_every_route_of_the_area_refuses_other_roles(app, signed_in, small_definition, role):
    browser = signed_in(make_user(role))
    rules = _model_routes(app)
    assert len(rules) >= 14
    for rule in rules:
        url = _url_of(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            browser._fresh_request()
            call = browser.client.get if method == "GET" else browser.client.post
            data = {"csrf_token": browser.token} if method == "POST" else None
            response = call(url, data=data)
            assert response.status_code == 403, f"{method} {url} gave {response.status_code} to {role}"
    assert _versions() == 1


def test_every_route_needs_sign_in(app, client, small_definition):
    for rule in _model_routes(app):
        url = _url_of(rule)
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
    assert "No open cases" in page.text


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


def test_editor_saves_the_xml_to_a_draft_without_javascript(owner, small_definition, dry_runs):
    page = owner.get("/process-models/small/editor")
    assert 'id="xml"' in page.html and "Small test process" in page.html
    owner.post("/process-models/small/editor?file=small.bpmn", {"xml": variants.renamed("Renamed in the editor")})
    assert "Renamed in the editor" in owner.client.get("/process-models/small/draft/files/small.bpmn").get_data(
        as_text=True
    )
    assert _versions() == 1
    start = owner.get("/process-models/small/check")
    assert "Check and dry run" in start.text and "Deploy as a new version" not in start.text
    queued = owner.post("/process-models/small/check", {}, expect=303)
    waiting = owner.get(_job_url(queued))
    assert "Waiting for a worker to start it" in waiting.text and "Refresh to see the progress" in waiting.text
    check = _result(owner, queued, dry_runs)
    assert "Every check passed" in check.text and "Deploy as a new version" in check.text
    assert "Done" in check.text and "Not an SFO" in check.text  # end events reached by the dry run
    assert owner.client.get("/process-models/small/check").headers["Location"] == _job_url(queued)
    deployed_page = _result(
        owner, owner.post("/process-models/small/deploy", {"checksum": _checksum(check)}, 303), dry_runs
    )
    assert "Deployed small version 2" in deployed_page.text
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


def _checksum(page) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r'name="checksum" value="([0-9a-f]{64})"', page.html)
    assert match, "no deploy form on the page"
    return match.group(1)


def test_a_double_submit_gives_the_job_already_queued(owner, small_definition, dry_runs):
    owner.post("/process-models/small/editor?file=small.bpmn", {"xml": variants.renamed("Twice")})
    start = owner.get("/process-models/small/check")
    assert 'data-prevent-double-click="true"' in start.html
    first = owner.post("/process-models/small/check", {}, expect=303)
    assert owner.post("/process-models/small/check", {}, expect=303).headers["Location"] == first.headers["Location"]
    owner.post("/process-models/small/deploy", {}, expect=400, csrf=False)  # a form from elsewhere queues nothing
    deploy = owner.post("/process-models/small/deploy", {}, expect=303)
    assert owner.post("/process-models/small/deploy", {}, expect=303).headers["Location"] == deploy.headers["Location"]
    assert deploy.headers["Location"] != first.headers["Location"]  # a check and a deploy are two jobs

    dry_runs()

    assert _versions() == 2
    assert db.session.scalar(select(func.count(DryRunJob.id))) == 2
    again = owner.post("/process-models/small/check", {}, expect=303)  # once ended, a new check is a new job
    assert again.headers["Location"] not in (first.headers["Location"], deploy.headers["Location"])


def test_deploy_refuses_when_the_draft_changed_since_it_was_checked(owner, small_definition, dry_runs):
    owner.post("/process-models/small/editor?file=small.bpmn", {"xml": variants.renamed("Checked")})
    checked = _result(owner, owner.post("/process-models/small/check", {}, expect=303), dry_runs)
    assert 'data-prevent-double-click="true"' in checked.html
    owner.post("/process-models/small/editor?file=small.bpmn", {"xml": variants.renamed("Changed after")})

    refused = owner.post("/process-models/small/deploy", {"checksum": _checksum(checked)}, expect=409)

    assert "The draft has changed since it was checked" in refused.text
    assert db.session.scalar(select(func.count(DryRunJob.id)).where(DryRunJob.purpose == "deploy")) == 0
    assert _versions() == 1
    stale = owner.get(checked_url_of(checked))
    assert "The draft has changed since these files were checked" in stale.text
    assert "Deploy as a new version" not in stale.text and "Check the draft again" in stale.text


def checked_url_of(page) -> str:  # type: ignore[no-untyped-def]
    job = db.session.scalar(select(DryRunJob).where(DryRunJob.checksum == _checksum(page)))
    return f"/process-models/dry-runs/{job.id}"


def test_a_deploy_deploys_the_files_it_checked_and_keeps_a_draft_changed_meanwhile(owner, small_definition, dry_runs):
    owner.post("/process-models/small/editor?file=small.bpmn", {"xml": variants.renamed("Deployed as queued")})
    queued = owner.post("/process-models/small/deploy", {}, expect=303)
    owner.post("/process-models/small/editor?file=small.bpmn", {"xml": variants.renamed("Saved meanwhile")})

    page = _result(owner, queued, dry_runs)

    assert "Deployed small version 2" in page.text
    deployed = db.session.scalar(select(ProcessDefinition).where(ProcessDefinition.version == 2))
    assert deployed.name == "Deployed as queued"
    draft = owner.client.get("/process-models/small/draft/files/small.bpmn").get_data(as_text=True)
    assert "Saved meanwhile" in draft, "a draft saved after the deploy was queued must be kept"


def test_the_job_page_shows_progress_to_every_process_owner_without_javascript(owner, signed_in, small_definition):
    queued = owner.post("/process-models/small/check", {}, expect=303)
    colleague = signed_in(make_user("process-owner"))
    page = colleague.get(_job_url(queued))
    assert "Waiting for a worker to start it" in page.text
    assert f'href="{_job_url(queued)}"' in page.html and "Refresh to see the progress" in page.text
    assert "dry-run.js" in page.html  # progress in place where scripts run

    job = db.session.scalar(select(DryRunJob))
    job.status, job.states, job.paths, job.started_at = "running", 12, 3, job.created_at
    db.session.commit()
    assert "Dry run: explored 12 states along 3 paths" in colleague.get(_job_url(queued)).text
    progress = colleague.client.get(_job_url(queued) + "/progress").get_json()
    assert (progress["status"], progress["finished"], progress["states"], progress["paths"]) == (
        "running",
        False,
        12,
        3,
    )
    assert progress["text"].startswith("Dry run: explored 12 states along 3 paths")
    colleague.get("/process-models/dry-runs/999999", expect=404)


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
def test_bad_diagrams_uploaded_into_the_draft_are_refused_at_deploy(owner, small_definition, case, dry_runs):
    checked = _result(owner, _upload(owner, "/process-models/small/upload", {"small.bpmn": BAD[case]}, 302), dry_runs)
    assert "govuk-error-summary" in checked.html and "Deploy as a new version" not in checked.html
    assert owner.client.get("/process-models/small/check").headers["Location"] == checked_url(owner, "small")
    refused = _result(owner, owner.post("/process-models/small/deploy", {}, expect=303), dry_runs)
    assert "govuk-error-summary" in refused.html and "nothing was deployed" in refused.text
    assert _versions() == 1


def checked_url(owner, key: str) -> str:  # type: ignore[no-untyped-def]
    from app.services.definitions import checksum_of
    from app.services.dry_runs import latest_job_for
    from app.services.modelling import working_files

    user = db.session.scalar(select(User).where(User.username == owner.username))
    return f"/process-models/dry-runs/{latest_job_for(checksum_of(working_files(user, key))).id}"


def test_every_problem_is_listed_with_a_link_to_its_element(owner, small_definition, dry_runs):
    bpmn = variants.edited(
        variants.TRIAGE_SCRIPT, "<bpmn:script>import os</bpmn:script>", variants.user_task_with_missing_form()
    )
    page = _result(owner, _upload(owner, "/process-models/small/upload", {"small.bpmn": bpmn.encode()}, 302), dry_runs)
    assert 'href="#problem-set_due"' in page.html and 'id="problem-set_due"' in page.html
    assert 'href="#problem-triage"' in page.html and "missing.schema.json" in page.html


def test_gateway_without_default_and_unreachable_elements_are_refused(owner, small_definition, dry_runs):
    bpmn = variants.edited('default="f_no"', "")
    bpmn = variants.edited("</bpmn:process>", '<bpmn:task id="orphan" name="Orphan"/></bpmn:process>', bpmn)
    page = _result(
        owner, _upload(owner, "/process-models/new", {"small.bpmn": bpmn.encode(), **variants.FORMS}, 303), dry_runs
    )
    assert "f_no have no condition" in page.text and "no path from a start event reaches this element" in page.text
    assert _versions() == 1


def test_a_timer_that_gives_no_date_is_refused(owner, small_definition, dry_runs):
    bpmn = variants.edited("due_reminder_at(triage_due, 1)", "'next tuesday'")
    page = _result(
        owner, _upload(owner, "/process-models/new", {"small.bpmn": bpmn.encode(), **variants.FORMS}, 303), dry_runs
    )
    assert "triage_reminder" in page.text and "does not give an ISO date" in page.text
    assert "Add a process model" in page.text  # to try again
    assert _versions() == 1


def test_a_dead_end_found_by_the_dry_run_blocks_deploy(owner, small_definition, dry_runs):
    files = {"small.bpmn": variants.dead_end().encode(), **variants.FORMS}
    page = _result(owner, _upload(owner, "/process-models/new", files, 303), dry_runs)
    assert "Dry run: Never ends" in page.text, page.text[-3000:]
    assert _versions("stuck") == 0


def test_a_20_mb_upload_is_refused_with_the_limit(owner, small_definition, app):
    response = _upload(owner, "/process-models/small/upload", {"small.bpmn": b"x" * (20 * 1024 * 1024)}, 413)
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert str(limit) in response.get_data(as_text=True)
    assert _versions() == 1


# --- compare, form editor ---


def test_compare_lists_changed_elements(owner, small_definition, dry_runs):
    uploaded = _upload(
        owner,
        "/process-models/small/upload",
        {"small.bpmn": variants.edited("eligible == True", "eligible").encode()},
        302,
    )
    checked = _result(owner, uploaded, dry_runs)  # shows the "added" banner, and the changes
    assert "f_yes" in checked.text
    _result(owner, owner.post("/process-models/small/deploy", {"checksum": _checksum(checked)}, 303), dry_runs)
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


def test_form_editor_says_a_pattern_deploying_would_refuse_and_saves_nothing(owner, small_definition):
    schema = {"type": "object", "properties": {"crn": {"type": "string", "title": "CRN", "pattern": "^(?=x)x$"}}}
    page = owner.post(
        "/process-models/small/forms/triage.schema.json",
        {"schema": json.dumps(schema), "ui_schema": "{}", "action": "save"},
        expect=422,
    )
    assert "The pattern '^(?=x)x$' at properties.crn cannot be used" in html.unescape(page.get_data(as_text=True))
    saved = owner.client.get("/process-models/small/draft/files/triage.schema.json")
    assert saved.status_code == 404 or "pattern" not in saved.get_data(as_text=True)


@pytest.mark.parametrize(
    ("schema_text", "message"),
    [
        ('{"type": "object", "properties": {"x": ' * 10_000 + "{}" + "}}" * 10_000, "nested more than 40 levels deep"),
        ('{"type": "object", "properties": {"x": {"$ref": "#"}}}', "leads back to the top of the form"),
        ('{"type": "object", "properties": {"x": {"$ref": "#/$defs/gone"}}}', "points to nothing in the form"),
    ],
    ids=["deep", "loop", "to-nothing"],
)
def test_form_editor_says_what_is_wrong_with_a_deep_or_looping_form(owner, small_definition, schema_text, message):
    page = owner.post(
        "/process-models/small/forms/triage.schema.json",
        {"schema": schema_text, "ui_schema": "{}", "action": "preview"},
        expect=422,
    )
    assert message in html.unescape(page.get_data(as_text=True))


# --- import and export ---


def test_export_then_import_as_a_new_process_that_runs(owner, small_definition, dry_runs):
    archive = owner.client.get("/process-models/small/versions/1/export").get_data()
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        metadata = json.loads(zipped.read("small/process_model.json"))
        assert metadata["primary_process_id"] == "small" and metadata["primary_file_name"] == "small.bpmn"
        assert "files" not in metadata and "small/small.bpmn" in zipped.namelist()
        renamed = {i.filename: zipped.read(i) for i in zipped.infolist()}
    renamed["small/small.bpmn"] = variants.with_key("imported", renamed["small/small.bpmn"].decode()).encode()
    meta = {**metadata, "primary_process_id": "imported", "display_name": "Imported"}
    renamed["small/process_model.json"] = json.dumps(meta).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, content in renamed.items():
            out.writestr(name.replace("small/", "imported/"), content)
    imported = _result(owner, _upload(owner, "/process-models/new", {"imported.zip": buffer.getvalue()}, 303), dry_runs)
    assert "Deployed imported version 1" in imported.text
    assert _versions("imported") == 1
    started = instances.start_case(make_user("sfo-team"), "imported", "IMP-1", {"case_reference": "IMP-1"})
    assert started.definition.key == "imported" and started.status == "running"
    again = _upload(owner, "/process-models/new", {"imported.zip": buffer.getvalue()}, 422)
    assert "exists already" in again.get_data(as_text=True)


# --- migration ---


def test_migration_preview_and_moving_cases(people, owner, sfo_definition, dry_runs):
    case = SfoCase(people, sfo_definition, "SFO-MIG-1")
    bpmn = sfo_definition.bpmn["sfo_review.bpmn"].replace(
        'name="Confirm eligibility"', 'name="Confirm the eligibility"'
    )
    owner.post("/process-models/sfo_review/editor?file=sfo_review.bpmn", {"xml": bpmn})
    owner.get("/process-models/sfo_review/editor")  # shows the "saved" banner
    _result(owner, owner.post("/process-models/sfo_review/deploy", {}, 303), dry_runs)
    assert _versions("sfo_review") == 2
    page = owner.get("/process-models/sfo_review/migrate?version=2")
    assert "SFO-MIG-1" in page.text and "Yes" in page.text
    assert "Confirm eligibility" in page.text and "confirm_eligibility" not in page.text  # names, not ids
    owner.post("/process-models/sfo_review/migrate?version=2", {"all": "yes"})
    row = db.session.get(ProcessInstance, case.row.id)
    assert row.definition.version == 2
    assert case.task("confirm_eligibility").name == "Confirm the eligibility"
    case.do("confirm_eligibility", eligible=False)
    assert db.session.get(ProcessInstance, case.row.id).status == "completed"
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.kind == "migrated", AuditEvent.instance_id == case.row.id)
    )
