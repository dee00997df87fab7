"""Every route that names a case, a task of one, or a document of one (pages and API alike) answers a
person who may not see that case exactly as it answers for a case that does not exist (403 or 404), and
changes nothing: another organisation's provider user, and a reviewer the case is not allocated to.

The table below says how to fill each such route's parameters and what to send; a route that takes a
case's parameter and is not in the table fails the first test, so a route added later must be added here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, CaseAttachment, ProcessInstance, Task, TaskDraft
from app.services import attachments, notes, tasks
from tests.api.helpers import ApiClient
from tests.document_samples import PDF
from tests.sfo_case import SfoCase

# The parameters that name a case or something of one. Routes with none of them are not case-scoped.
CASE_PARAMETERS = {"business_key", "instance_id", "task_id", "attachment_id", "number"}
RECOMMENDATIONS = [{"text": "Audit home visits.", "addressee": "probation_provider", "level": "local"}]
TRACKING_FORM = {"status": "done", "evidence": "Done."} | {
    "done_on-day": "1",
    "done_on-month": "3",
    "done_on-year": "2027",
}


@dataclass(frozen=True)
class Send:
    """What a request sends: a page's form (``form``, CSRF token added), a file, or an API JSON body."""

    form: dict[str, str] | None = None
    file: bool = False
    json: Any = None


# endpoint -> what each of its requests sends (GETs send nothing). Every case-scoped route is here.
CASE_ROUTES: dict[str, Send] = {
    # pages
    "cases.case": Send(),
    "cases.add_note": Send(form={"note": "A stranger's note."}),
    "cases.upload_attachment": Send(file=True),
    "cases.download_attachment": Send(),
    "cases.new_other_review": Send(),
    "cases.add_other_review": Send(form={"agency": "Police", "review_type": "domestic_homicide_review"}),
    "cases.case_record": Send(),
    "reports.report": Send(),
    "tracking.case_recommendations": Send(),
    "tracking.track": Send(form=TRACKING_FORM),
    "case_themes.themes": Send(),
    "case_themes.set_themes": Send(form={"themes": "mappa"}),
    "tasks.task": Send(),
    "tasks.submit": Send(form={"action": "save"}),
    "tasks.autosave": Send(form={}),
    "tasks.claim": Send(form={}),
    "tasks.release": Send(form={}),
    "tasks.done": Send(),
    "tasks.finished": Send(),
    "monitoring.case": Send(),
    "monitoring.cancel": Send(form={"reason": "A stranger cancels."}),
    "monitoring.case_diagram": Send(),
    "monitoring.resume": Send(form={}),
    "monitoring.retry": Send(form={}),
    "monitoring.suspend": Send(form={"reason": "A stranger suspends."}),
    "monitoring.extend": Send(form={"reason": "x"}),
    "monitoring.reassign": Send(form={"username": "x"}),
    "monitoring.reopen_publication": Send(form={"reason": "x"}),
    # API
    "api.instances.get_instance": Send(),
    "api.instances.list_events": Send(),
    "api.instances.list_notes": Send(),
    "api.instances.add_note": Send(json={"text": "A stranger's note."}),
    "api.instances.list_attachments": Send(),
    "api.instances.add_attachment": Send(file=True),
    "api.instances.download_attachment": Send(),
    "api.instances.download_record": Send(),
    "api.instances.suspend": Send(json={"reason": "A stranger suspends."}),
    "api.instances.resume": Send(json={}),
    "api.instances.cancel": Send(json={"reason": "A stranger cancels."}),
    "api.instances.retry": Send(json={}),
    "api.case_changes.add_other_review": Send(json={"agency": "Police", "review_type": "domestic_homicide_review"}),
    "api.case_changes.reopen_publication": Send(json={"outcome_date": "2027-03-01", "reason": "A stranger."}),
    "api.recommendations.list_recommendations": Send(),
    "api.recommendations.get_recommendation": Send(),
    "api.recommendations.track": Send(json={"status": "done", "evidence": "Done.", "done_on": "2027-03-01"}),
    "api.tasks.get_task": Send(),
    "api.tasks.claim": Send(json={}),
    "api.tasks.unclaim": Send(json={}),
    "api.tasks.assign": Send(json={"username": "nobody"}),
    "api.tasks.save_draft": Send(json={"data": {}}),
    "api.tasks.complete": Send(json={"data": {}}),
}
MISSING = {"business_key": "NO-SUCH-CASE", "instance_id": 999999, "attachment_id": 999999, "number": 1}
MISSING_TASK = "00000000-0000-0000-0000-000000000000"


def case_routes(app) -> list[Any]:  # type: ignore[no-untyped-def]
    return [rule for rule in app.url_map.iter_rules() if CASE_PARAMETERS & set(rule.arguments)]


def test_every_case_scoped_route_is_in_the_table(app):
    assert sorted({rule.endpoint for rule in case_routes(app)} - set(CASE_ROUTES)) == []
    assert sorted(set(CASE_ROUTES) - {rule.endpoint for rule in case_routes(app)}) == []


@pytest.fixture
def case(people, sfo_definition) -> SfoCase:
    """A case at the provider's response, with a report, a recommendation, a document and a note."""
    case = SfoCase(people, sfo_definition)
    case.to_stage("drafting")
    case.do("draft_report", recommendations=RECOMMENDATIONS)
    case.do("quality_assure_report", qa_decision="approve")
    attachments.add_attachment(people.provider, case.row, "evidence.pdf", PDF)
    notes.add_note(people.provider, case.row, "The family has been told.")
    db.session.commit()
    return case


def fingerprint(row: ProcessInstance) -> tuple[Any, ...]:
    """What any change to the case would change."""
    db.session.expire_all()

    def count(model: Any, *where: Any) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    tasks = db.session.execute(select(Task.id, Task.state, Task.assignee).where(Task.instance_id == row.id)).all()
    return (
        db.session.get(ProcessInstance, row.id).lock_version,
        count(AuditEvent, AuditEvent.instance_id == row.id),
        count(CaseAttachment, CaseAttachment.instance_id == row.id),
        count(TaskDraft),
        sorted(tuple(t) for t in tasks),
    )


def values_for(rule: Any, case: SfoCase, task_id: str, missing: bool) -> dict[str, Any]:
    if missing:
        return {name: MISSING_TASK if name == "task_id" else MISSING[name] for name in rule.arguments}
    attachment = db.session.scalar(select(CaseAttachment.id).where(CaseAttachment.instance_id == case.row.id))
    known = {
        "business_key": case.row.business_key,
        "instance_id": case.row.id,
        "attachment_id": attachment,
        "number": 1,
        "task_id": task_id,
    }
    return {name: known[name] for name in rule.arguments}


def answer(client: Any, api: ApiClient, user: Any, token: str, rule: Any, method: str, url: str) -> tuple[Any, ...]:
    """The status, and for a page that redirects (picking up or releasing a task), the messages it flashed."""
    send = CASE_ROUTES[rule.endpoint]
    if rule.rule.startswith("/api/"):
        options: dict[str, Any] = {"headers": api.headers(user)}
        if send.file:
            options.update(data={"files": [(io.BytesIO(PDF), "a.pdf")]}, content_type="multipart/form-data")
        elif method != "GET":
            options["json"] = send.json
        return (client.open(url, method=method, **options).status_code,)
    data: dict[str, Any] = {**(send.form or {}), "csrf_token": token}
    if method == "GET":
        response = client.get(url)
    elif send.file:
        data["attachment"] = (io.BytesIO(PDF), "a.pdf")
        response = client.post(url, data=data, content_type="multipart/form-data")
    else:
        response = client.post(url, data=data)
    with client.session_transaction() as session:
        flashed = tuple(session.pop("_flashes", []))
    return (response.status_code, response.headers.get("Location"), flashed)


def refused(answer: tuple[Any, ...]) -> bool:
    status, *flashed = answer
    return status in (403, 404) or (status == 302 and bool(flashed[1]) and flashed[1][0][0] == "error")


def refusals(app, case: SfoCase, stranger: Any, signed_in: Any, task_ids: list[str], *, as_missing: bool) -> list[str]:  # type: ignore[no-untyped-def]
    """Each case-scoped request the stranger made that was not refused (with ``as_missing``: as for a
    missing case, so that the answer does not tell the case exists)."""
    browser = signed_in(stranger)
    api = ApiClient(browser.client)
    problems, checked = [], 0
    before = fingerprint(case.row)
    for rule in case_routes(app):
        for task_id in task_ids if "task_id" in rule.arguments else [""]:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                answers = []
                for missing in (False, True):
                    with app.test_request_context():
                        from flask import url_for

                        url = url_for(rule.endpoint, **values_for(rule, case, task_id, missing))
                    browser._fresh_request()
                    answers.append(answer(browser.client, api, stranger, browser.token, rule, method, url))
                seen, missing_answer = answers
                checked += 1
                if not refused(seen) or (as_missing and seen != missing_answer):
                    problems.append(f"{method} {rule.rule} ({rule.endpoint}): {seen}, missing case {missing_answer}")
    if fingerprint(case.row) != before:
        problems.append("the case changed")
    assert checked > 60
    return problems


def test_another_organisations_provider_is_answered_as_for_a_missing_case(app, case, people, signed_in):
    provider_task = case.task("record_provider_response").id
    [reviewer_task] = [t.id for t in db.session.scalars(select(Task).where(Task.bpmn_id == "draft_report"))]
    problems = refusals(app, case, people.other_provider, signed_in, [provider_task, reviewer_task], as_missing=True)
    assert problems == []


def test_a_reviewer_not_allocated_to_the_case_is_refused(app, case, people, signed_in):
    provider_task = case.task("record_provider_response").id
    [reviewer_task] = [t.id for t in db.session.scalars(select(Task).where(Task.bpmn_id == "draft_report"))]
    assert refusals(app, case, people.other_reviewer, signed_in, [provider_task, reviewer_task], as_missing=False) == []


def test_the_cases_own_provider_reads_what_the_strangers_were_refused(case, people, signed_in):
    """The walk above asked for things that exist: the case's provider reads them."""
    browser = signed_in(people.provider)
    attachment = db.session.scalar(select(CaseAttachment.id))
    for url in ("/cases/SFO-2027-001", "/cases/SFO-2027-001/report", "/cases/SFO-2027-001/recommendations"):
        browser.get(url)
    browser.get(f"/cases/SFO-2027-001/attachments/{attachment}")
    browser.get(f"/tasks/{case.task('record_provider_response').id}")


def test_lists_and_searches_show_a_stranger_nothing_of_the_case(case, people, signed_in):
    for stranger in (people.other_provider, people.other_reviewer):
        browser = signed_in(stranger)
        api = ApiClient(browser.client)
        for url in ("/cases?reference=SFO-2027-001", "/tasks?q=SFO-2027-001", "/tasks?tab=team&q=SFO-2027-001"):
            page = browser.get(url)
            assert not [link for link in page.links if "/cases/SFO-2027-001" in link or "/tasks/" in link], url
        assert api.get("/process-instances", stranger, business_key="SFO-2027-001")["total"] == 0
        for state in ("ready", "completed"):
            assert api.get("/tasks", stranger, business_key="SFO-2027-001", state=state)["items"] == []
            assert api.get("/tasks", stranger, process_instance_id=case.row.id, state=state)["items"] == []
    answer = ApiClient(signed_in(people.other_provider).client).call(
        "GET", "/inspection", people.other_provider, query_string={"provider": "north-probation"}
    )
    assert answer.status_code in (403, 404) and "Audit home visits" not in answer.get_data(as_text=True)


def test_a_reviewer_replaced_on_the_case_is_refused_as_a_stranger(app, people, sfo_definition, signed_in):
    """The reviewer lane is the allocated reviewer's: once a manager gives the case to another reviewer, the
    one replaced no longer reads it (its later drafts, documents and tasks), though they completed tasks of it."""
    case = SfoCase(people, sfo_definition)
    case.to_stage("liaison")
    gather = case.task("gather_evidence")
    tasks.assign_task(people.manager, gather.id, people.other_reviewer.username, make_case_reviewer=True)
    attachments.add_attachment(people.other_reviewer, case.row, "interview.pdf", PDF)
    db.session.commit()
    [written] = [t.id for t in db.session.scalars(select(Task).where(Task.bpmn_id == "write_terms_of_reference"))]
    problems = refusals(app, case, people.reviewer, signed_in, [gather.id, written], as_missing=False)
    # the page after submitting says that the task they did went in, and nothing of the case
    assert problems == ["GET /tasks/<task_id>/done (tasks.done): (200, None, ()), missing case (404, None, ())"]
    done = signed_in(people.reviewer).get(f"/tasks/{written}/done")
    assert "You no longer have access to it" in done.text and f"/cases/{case.row.business_key}" not in done.text
    assert signed_in(people.other_reviewer).get(f"/tasks/{gather.id}").status == 200
