"""The records-retention policy, applied by ``sfo retention --dry-run|--apply``: closed cases older than
the configured years are reduced to anonymised statistics (or deleted); open cases and published
reports are never touched; everything is audited; and the monitoring figures (dashboard and lessons)
stay exactly the same after a reduction."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from app.cli import cli
from app.extensions import db
from app.models import (
    AuditEvent,
    DeadlineExtension,
    OutboxDelivery,
    OutboxMessage,
    ProcessInstance,
    PublishedReport,
    Task,
)
from app.models.publication import RecommendationRecord, ReviewTheme
from app.services import lessons
from app.services.monitoring import case_list, dashboard
from app.services.retention import STATISTICAL_FIELDS
from tests.conftest import START, auth_headers
from tests.services.test_publication import PERSON
from tests.services.test_records import EXTENSION_REASON, published_case
from tests.sfo_case import SfoCase

TODAY = START.date()
SEVEN_YEARS_LATER = START.replace(year=START.year + 7) + dt.timedelta(days=1)


@pytest.fixture
def policy(app, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "SFO_RETENTION_YEARS", "7")
    monkeypatch.setitem(app.config, "SFO_RETENTION_ACTION", "reduce")
    return lambda action: monkeypatch.setitem(app.config, "SFO_RETENTION_ACTION", action)


def sfo(app, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["retention", *args], obj=app)


@pytest.fixture
def cases(app, sfo_definition, people, clock):  # type: ignore[no-untyped-def]
    """A published case, a case found not eligible (both closed on 1 March 2027), a case still open, and a
    case closed a year later."""
    published = published_case(people, sfo_definition)
    not_eligible = SfoCase(people, sfo_definition, "SFO-RET-2", person_name="Alex Marlowe")
    not_eligible.do("confirm_eligibility", eligible=False)
    not_eligible.finish()
    still_open = SfoCase(people, sfo_definition, "SFO-RET-3", person_name="Casey Norwood")
    still_open.do("confirm_eligibility", eligible=True)
    clock.set(START.replace(year=START.year + 1))
    recent = SfoCase(people, sfo_definition, "SFO-RET-4", person_name="Drew Ellison")
    recent.do("confirm_eligibility", eligible=False)
    recent.finish()
    db.session.commit()
    assert [c.row.status for c in (published, not_eligible, still_open, recent)] == [
        "completed",
        "completed",
        "running",
        "completed",
    ]
    return published, not_eligible, still_open, recent


def figures() -> str:
    """Every figure of the dashboard and the lessons pages for March 2027, as one comparable text."""
    dashboard.history_cache.clear()
    digest = lessons.lessons_digest(dt.date(2027, 1, 1), dt.date(2027, 12, 31), TODAY)
    values = {
        "open": dashboard.open_cases_by_stage(),
        "heatmap": dashboard.active_tasks_by_element(),
        "overdue": dashboard.overdue_by_stage(TODAY),
        "timeliness": dashboard.timeliness(TODAY),
        "extensions": dashboard.extensions_by_month(TODAY),
        "extensions_by_stage": dashboard.extensions_by_stage(),
        "durations": dashboard.stage_durations(),
        "outcomes": dashboard.outcomes(),
        "throughput": dashboard.throughput(TODAY),
        "themes": lessons.theme_counts("quarter"),
        "recommendations": lessons.recommendation_counts(TODAY),
        "digest": (digest.themes, digest.recommendations, len(digest.entries)),
    }
    return repr(values)


def snapshot(row_id: int) -> str:
    db.session.expire_all()
    row = db.session.get(ProcessInstance, row_id)
    events = db.session.scalar(select(func.count()).where(AuditEvent.instance_id == row_id))
    return json.dumps([row.business_key, row.data, row.state, row.lock_version, events], default=str)


def test_without_a_policy_the_command_says_so_and_changes_nothing(app, monkeypatch):
    monkeypatch.setitem(app.config, "SFO_RETENTION_YEARS", None)
    result = sfo(app, "--dry-run")
    assert result.exit_code == 1 and "No retention policy is configured: set SFO_RETENTION_YEARS" in result.output
    for years in ("seven", "0", "2.5", "-3"):
        monkeypatch.setitem(app.config, "SFO_RETENTION_YEARS", years)
        result = sfo(app, "--apply")
        assert result.exit_code == 1 and "SFO_RETENTION_YEARS must be a whole number of years" in result.output
    monkeypatch.setitem(app.config, "SFO_RETENTION_YEARS", "7")
    monkeypatch.setitem(app.config, "SFO_RETENTION_ACTION", "shred")
    result = sfo(app, "--apply")
    assert result.exit_code == 1 and "SFO_RETENTION_ACTION must be 'reduce' or 'delete'" in result.output
    assert sfo(app).exit_code == 2


def test_the_dry_run_lists_the_closed_cases_past_the_period_and_changes_nothing(app, cases, clock, policy):
    published, not_eligible, still_open, recent = cases
    clock.set(SEVEN_YEARS_LATER)
    before = [snapshot(c.row.id) for c in cases]

    result = sfo(app, "--dry-run")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"SFO-REC-1 (case {published.row.id}, completed 2027-03-01): would be reduced")
    assert lines[1].startswith(f"SFO-RET-2 (case {not_eligible.row.id}, completed 2027-03-01): would be reduced")
    assert lines[2] == (
        "Dry run, nothing changed: 2 reduced to anonymised statistics, 0 deleted "
        "(closed cases older than 7 years; open cases are never touched)."
    )
    assert [snapshot(c.row.id) for c in cases] == before
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.kind.like("retention-%"))) is None


def test_reduction_keeps_every_monitoring_figure_and_nothing_personal(app, client, cases, clock, policy, people):
    published, not_eligible, still_open, recent = cases
    report = db.session.scalar(select(PublishedReport))
    published_before = json.dumps([report.slug, report.instance_id, report.content, report.themes, report.title])
    figures_before = figures()
    open_before, recent_before = snapshot(still_open.row.id), snapshot(recent.row.id)
    clock.set(SEVEN_YEARS_LATER)

    result = sfo(app, "--apply")

    assert result.exit_code == 0, result.output
    assert "Applied: 2 reduced to anonymised statistics, 0 deleted" in result.output
    assert figures() == figures_before
    assert (snapshot(still_open.row.id), snapshot(recent.row.id)) == (open_before, recent_before)
    db.session.expire_all()
    report = db.session.scalar(select(PublishedReport))
    assert json.dumps([report.slug, report.instance_id, report.content, report.themes, report.title]) == (
        published_before
    )
    for case in (published, not_eligible):
        row = db.session.get(ProcessInstance, case.row.id)
        assert row.business_key == f"reduced/{row.id}" and row.reduced_at == SEVEN_YEARS_LATER
        assert set(row.data) <= set(STATISTICAL_FIELDS) and row.state == "" and row.reviewer is None
        assert row.updated_at.date() == TODAY and row.status == "completed"
        kinds = db.session.scalars(select(AuditEvent.kind).where(AuditEvent.instance_id == row.id)).all()
        assert kinds == ["retention-reduced"]
        assert db.session.scalar(select(func.count()).where(OutboxMessage.instance_id == row.id)) == 0
        people_on_tasks = select(Task.assignee, Task.completed_by).where(Task.instance_id == row.id)
        assert set(db.session.execute(people_on_tasks).all()) == {(None, None)}
    assert db.session.get(ProcessInstance, published.row.id).data["court_outcome"] == "convicted_sfo"
    assert db.session.scalars(select(DeadlineExtension.reason)).all() == [""]
    assert set(db.session.scalars(select(RecommendationRecord.text))) == {""}
    assert db.session.scalars(select(ReviewTheme.theme_code)).all() == ["risk_assessment"]
    # Nothing that named the people is left about the reduced cases.
    kept = json.dumps(
        [
            [r.business_key, r.data, r.state, r.created_by, r.error_message]
            for r in db.session.scalars(select(ProcessInstance).where(ProcessInstance.reduced_at.is_not(None)))
        ]
    )
    for personal in (PERSON, "Alex Marlowe", "X654321", "SFO-REC-1", "SFO-RET-2", people.reviewer.username):
        assert personal not in kept
    assert EXTENSION_REASON not in repr(db.session.scalars(select(DeadlineExtension)).all())
    # Audited, and the reduced cases are gone from pages, the API and the case lists.
    [summary] = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "retention-applied")).all()
    assert summary.detail["reduced"] == [published.row.id, not_eligible.row.id]
    headers = auth_headers(people.manager)
    assert client.get(f"/api/v1/process-instances/{published.row.id}", headers=headers).status_code == 404
    listed = client.get("/api/v1/process-instances?per_page=100", headers=headers).get_json()
    assert {item["business_key"] for item in listed["items"]} == {"SFO-RET-3", "SFO-RET-4"}
    page = case_list.list_cases(people.manager, case_list.CaseFilters(), TODAY)
    assert {row.reference for row in page.rows} == {"SFO-RET-3", "SFO-RET-4"}
    # Applying again finds nothing more to do.
    assert "Applied: 0 reduced to anonymised statistics, 0 deleted" in sfo(app, "--apply").output


def test_deletion_removes_closed_cases_but_only_reduces_a_published_one(app, cases, clock, policy):
    published, not_eligible, still_open, recent = (case.row.id for case in cases)
    policy("delete")
    clock.set(SEVEN_YEARS_LATER)

    result = sfo(app, "--apply")

    assert result.exit_code == 0, result.output
    assert "reduced (published report: reduced, never deleted)" in result.output
    assert "Applied: 1 reduced to anonymised statistics, 1 deleted" in result.output
    db.session.expire_all()
    assert db.session.get(ProcessInstance, not_eligible) is None
    for model in (Task, AuditEvent, OutboxMessage):
        assert db.session.scalar(select(func.count()).where(model.instance_id == not_eligible)) == 0
    assert db.session.get(ProcessInstance, published).reduced_at is not None
    assert db.session.scalar(select(PublishedReport.instance_id)) == published
    [deleted] = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "retention-deleted")).all()
    assert deleted.instance_id is None and deleted.detail["reference"] == "SFO-RET-2"
    assert db.session.get(ProcessInstance, still_open).status == "running"
    assert db.session.get(ProcessInstance, recent).reduced_at is None


def test_deletion_leaves_no_row_of_the_case_in_any_table(app, cases, clock, policy):
    """Every table that refers to a case loses the case's rows when it is deleted, on SQLite too, where no
    foreign key cascades: a row left behind kept what it said of the case (a failure's description, who
    supervised it) and would belong to the next case given the same id."""
    from app.models.publication import ReviewFailure

    _, not_eligible, *_ = cases
    gone = not_eligible.row.id
    failure = {"classification": "systemic", "relevant_to_outcome": True, "description": "Missed."}
    db.session.add(ReviewFailure(instance_id=gone, number=1, approved_on=clock.now().date(), **failure))
    sent = _sent_through_notify(gone, clock)
    db.session.commit()
    policy("delete")
    clock.set(SEVEN_YEARS_LATER)

    assert sfo(app, "--apply").exit_code == 0

    db.session.expire_all()
    referring = [
        table
        for table in db.metadata.sorted_tables
        if any(key.column.table.name == "process_instance" for key in table.foreign_keys)
    ]
    assert {"case_provider", "review_failure", "task", "audit_event"} <= {table.name for table in referring}
    left = {
        table.name: db.session.scalar(select(func.count()).select_from(table).where(table.c.instance_id == gone))
        for table in referring
    }
    assert not any(left.values()), left
    assert db.session.get(OutboxDelivery, sent) is None  # a recipient's copy of a notification goes with it


def _sent_through_notify(instance_id: int, clock) -> int:  # type: ignore[no-untyped-def]
    """A copy of one of the case's notifications, as GOV.UK Notify sent it to one recipient; its id."""
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.instance_id == instance_id)).first()
    assert message is not None
    delivery = OutboxDelivery(
        outbox_id=message.id, email="team@example.test", status="delivered", created_at=clock.now()
    )
    db.session.add(delivery)
    db.session.flush()
    return delivery.id


def test_reduction_leaves_no_copy_of_a_notification_sent_through_notify(app, cases, clock, policy):
    published, *_ = cases
    sent = _sent_through_notify(published.row.id, clock)
    db.session.commit()
    clock.set(SEVEN_YEARS_LATER)

    assert sfo(app, "--apply").exit_code == 0

    db.session.expire_all()
    assert db.session.get(OutboxDelivery, sent) is None


def test_a_case_reopened_after_the_dry_run_is_left_alone(app, cases, clock, policy, monkeypatch):
    from app.services import retention

    published, not_eligible, *_ = cases
    clock.set(SEVEN_YEARS_LATER)
    listed = retention.due_cases(retention.policy_from_config())
    row = db.session.get(ProcessInstance, not_eligible.row.id)
    row.status = "waiting"  # as a late conviction reopening it would
    db.session.commit()
    monkeypatch.setattr(retention, "due_cases", lambda policy: listed)

    done = retention.apply_policy(retention.policy_from_config())

    assert [d.instance_id for d in done] == [published.row.id]
    assert db.session.get(ProcessInstance, not_eligible.row.id).reduced_at is None


@pytest.mark.parametrize("action", ["reduce", "delete"])
def test_notes_and_documents_go_with_the_case_and_their_files_with_them(
    app, cases, clock, policy, people, tmp_path, monkeypatch, action
):
    from app.models import CaseAttachment
    from app.services import attachments, notes
    from tests.document_samples import PDF

    _, not_eligible, still_open, _ = cases
    monkeypatch.setitem(app.config, "SFO_ATTACHMENT_DIR", str(tmp_path))
    notes.add_note(people.team, not_eligible.row, "Spoke to Alex Marlowe's sister.")
    attachments.add_attachment(people.team, not_eligible.row, "statement.pdf", PDF)
    monkeypatch.setitem(app.config, "SFO_ATTACHMENT_DIR", None)
    attachments.add_attachment(people.team, not_eligible.row, "in-database.pdf", PDF)
    monkeypatch.setitem(app.config, "SFO_ATTACHMENT_DIR", str(tmp_path))
    kept = attachments.add_attachment(people.team, still_open.row, "open-case.pdf", PDF)
    gone = not_eligible.row.id
    policy(action)
    clock.set(SEVEN_YEARS_LATER)

    assert sfo(app, "--apply").exit_code == 0

    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(CaseAttachment.instance_id == gone)) == 0
    assert db.session.scalar(select(func.count()).where(AuditEvent.kind == "case-note")) == 0
    assert [path.name for path in tmp_path.iterdir()] == [kept.stored_name]  # the open case's file stays


def test_reducing_a_case_cancels_a_ready_task_left_on_it_so_no_list_shows_it(app, cases, clock, policy, people):
    """The task lists count ready tasks without reading their case (``task_visibility``): no ready task may
    be left on a reduced case. Closing a case cancels its tasks; a row left ready by older code or a hand
    edit is cancelled by retention too."""
    from app.services.tasks import TaskFilters, count_tasks, list_tasks

    _, not_eligible, _, _ = cases
    left = Task(
        id="00000000-0000-4000-8000-00000000abcd",
        instance_id=not_eligible.row.id,
        bpmn_id="confirm_eligibility",
        name="Left ready by mistake",
        lane="sfo-team",
        state="ready",
        created_at=START,
    )
    db.session.add(left)
    db.session.commit()
    clock.set(SEVEN_YEARS_LATER)

    assert sfo(app, "--apply").exit_code == 0

    db.session.expire_all()
    assert db.session.get(Task, left.id).state == "cancelled"
    team = TaskFilters(candidate="me", per_page=100)
    rows, total = list_tasks(people.team, team)
    assert left.id not in {task.id for task in rows}
    assert total == count_tasks(people.team, team) == len(rows)


def test_the_tasks_of_a_reduced_case_are_not_found_like_the_case(app, client, cases, clock, policy, people):
    """A reduced case answers 404 everywhere; its task rows stay for the figures, but reading one by its id
    (the API, the task pages) is not found either."""
    from app.services import tasks
    from app.services.errors import NotFound

    published, *_ = cases
    task_ids = db.session.scalars(select(Task.id).where(Task.instance_id == published.row.id)).all()
    clock.set(SEVEN_YEARS_LATER)

    assert sfo(app, "--apply").exit_code == 0

    db.session.expire_all()
    headers = auth_headers(people.manager)
    for task_id in task_ids:
        with pytest.raises(NotFound):
            tasks.get_task(people.manager, task_id)
        assert client.get(f"/api/v1/tasks/{task_id}", headers=headers).status_code == 404


def test_reduction_leaves_no_tracking_evidence_nor_who_recorded_it(app, cases, clock, policy, people):
    """The evidence recorded against a recommendation is free text written about the case (it may name
    staff), and who recorded it is a person: neither is a statistic, and the inspection view (page, CSV,
    API) would go on showing them to managers and the provider for the reduced case."""
    from app.services import tracking
    from app.services.runtime import london_today

    published, *_ = cases
    tracking.track(people.provider, published.row, 1, "in_progress", "Priya Lambert is retraining staff.", "")
    db.session.commit()
    clock.set(SEVEN_YEARS_LATER)

    assert sfo(app, "--apply").exit_code == 0

    db.session.expire_all()
    [record] = db.session.scalars(select(RecommendationRecord).where(RecommendationRecord.number == 1)).all()
    assert (record.evidence, record.tracked_by) == (None, None)
    assert record.tracking_status == "in_progress"  # where the action stood is a figure, and stays
    shown = tracking.inspection(people.provider, people.provider.organisation, london_today())
    assert "Priya Lambert" not in repr(shown) and people.provider.username not in repr(shown)


def test_reduction_leaves_no_description_of_the_failures_the_report_recorded(app, cases, clock, policy):
    """The lessons figures count a reduced review's failures by class; the description is the report's own
    words about the case and goes, so the failure search no longer finds it."""
    from app.models.publication import ReviewFailure

    published, *_ = cases
    db.session.execute(
        update(ReviewFailure)
        .where(ReviewFailure.instance_id == published.row.id)
        .values(description="Priya Lambert did not visit.")
    )
    db.session.commit()
    clock.set(SEVEN_YEARS_LATER)

    assert sfo(app, "--apply").exit_code == 0

    db.session.expire_all()
    kept = db.session.scalars(select(ReviewFailure).where(ReviewFailure.instance_id == published.row.id)).all()
    assert kept and {(f.description, f.classification) for f in kept} == {("", "systemic")}
    assert lessons.search_failures("Priya") == []
