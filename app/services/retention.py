"""The records-retention policy: closed cases older than SFO_RETENTION_YEARS are reduced to anonymised
statistics (SFO_RETENTION_ACTION=reduce, the default) or deleted (delete). Applied by
``sfo retention --dry-run|--apply``; open cases and published reports are never touched.

Reduced, a case keeps only what the monitoring dashboard and the lessons pages count: its status,
stage, outcome, provider organisation and dates; its tasks' stages, teams and dates (not who did
them); its deadline extensions' dates (not the reason or approver); its themes; its recommendations'
addressee, level, response, target date and progress (not their text, nor the evidence tracked against
them or who tracked it); its report's failures' classes (not their description); and from its data only
the fields in ``STATISTICAL_FIELDS``. Its reference becomes ``reduced/<id>``; its engine state, audit trail
(with its notes), notifications, drafts and documents (their rows, and their files when kept in
SFO_ATTACHMENT_DIR) are deleted, and one ``retention-reduced`` event says what was done. A document's
file is removed only once the deletion of its row is committed.
A case with a published report is reduced even under ``delete``, so the published report keeps its
link to the statistics and is not changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy import Table, delete, select, update

from ..extensions import db
from ..form_model.dates import govuk_date
from ..models import (
    AuditEvent,
    CaseAttachment,
    DeadlineExtension,
    OutboxDelivery,
    OutboxMessage,
    ProcessInstance,
    PublishedReport,
    RecommendationRecord,
    ReviewFailure,
    Task,
    TaskDraft,
)
from .attachments import remove_files, stored_files
from .audit import record_event
from .errors import Invalid
from .runtime import now, transaction

CLOSED_STATUSES = ("completed", "cancelled")
ACTIONS = ("reduce", "delete")
# Case data kept after reduction: categories the figures count, never free text or identifiers.
STATISTICAL_FIELDS = ("court_outcome", "offence_category", "supervision_type", "eligible", "overall_judgement")
ACTOR = "retention"


@dataclass(frozen=True)
class Policy:
    years: int
    action: str

    def cutoff(self, moment: dt.datetime) -> dt.datetime:
        return moment - relativedelta(years=self.years)


@dataclass(frozen=True)
class Decision:
    instance_id: int
    reference: str
    status: str
    closed_at: dt.datetime
    action: str  # reduce | delete
    published: bool


def policy_from_config() -> Policy:
    """The configured policy; a clear error when it is missing or malformed."""
    years, action = current_app.config.get("SFO_RETENTION_YEARS"), current_app.config.get("SFO_RETENTION_ACTION")
    if years is None:
        raise Invalid("No retention policy is configured: set SFO_RETENTION_YEARS (and SFO_RETENTION_ACTION).")
    whole = str(years).strip()
    if not whole.isdigit() or int(whole) < 1:
        raise Invalid(f"SFO_RETENTION_YEARS must be a whole number of years, 1 or more (it is {years!r}).")
    if action not in ACTIONS:
        raise Invalid(f"SFO_RETENTION_ACTION must be 'reduce' or 'delete' (it is {action!r}).")
    return Policy(int(whole), str(action))


def due_cases(policy: Policy) -> list[Decision]:
    """Closed cases last changed before the cutoff and not yet reduced, oldest first, with what to do."""
    published = select(PublishedReport.instance_id).where(PublishedReport.instance_id.is_not(None))
    query = (
        select(ProcessInstance.id, ProcessInstance.business_key, ProcessInstance.status, ProcessInstance.updated_at)
        .add_columns(ProcessInstance.id.in_(published).label("published"))
        .where(
            ProcessInstance.status.in_(CLOSED_STATUSES),
            ProcessInstance.reduced_at.is_(None),
            ProcessInstance.updated_at < policy.cutoff(now()),
        )
        .order_by(ProcessInstance.updated_at, ProcessInstance.id)
    )
    return [
        Decision(id_, reference, status, closed_at, "reduce" if published else policy.action, bool(published))
        for id_, reference, status, closed_at, published in db.session.execute(query)
    ]


def _delete_notifications(row: ProcessInstance) -> None:
    """The case's notifications, and each recipient's copy sent through GOV.UK Notify (an email address
    each): their key to the notification cascades on PostgreSQL only."""
    sent = select(OutboxMessage.id).where(OutboxMessage.instance_id == row.id)
    db.session.execute(delete(OutboxDelivery).where(OutboxDelivery.outbox_id.in_(sent)))
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.instance_id == row.id))


def _rows_that_go_with_a_case() -> list[Table]:
    """Every table whose rows are the case's (its key to the case cascades on PostgreSQL), children first.
    Deleted one by one, as SQLite does not cascade: a row left there kept what it said of the case and would
    belong to the next case given the same id."""
    return [
        table
        for table in reversed(db.metadata.sorted_tables)
        if any(key.column.table.name == "process_instance" and key.ondelete == "CASCADE" for key in table.foreign_keys)
    ]


def apply_policy(policy: Policy) -> list[Decision]:
    """Carry out every due decision, each case in its own transaction; the ones carried out."""
    done = []
    for decision in due_cases(policy):
        with transaction():
            row = db.session.get(ProcessInstance, decision.instance_id, with_for_update=True)
            # Reopened (a late conviction) or changed since it was listed: leave it alone.
            if row is None or row.status not in CLOSED_STATUSES or row.updated_at >= policy.cutoff(now()):
                continue
            files = stored_files(row.id)
            db.session.execute(delete(CaseAttachment).where(CaseAttachment.instance_id == row.id))
            if decision.action == "delete":
                _delete(row, policy)
            else:
                _reduce(row, policy)
        remove_files(files)  # committed: the rows that named them are gone
        done.append(decision)
    if done:
        with transaction():
            reduced = sum(d.action == "reduce" for d in done)
            record_event(
                None,
                ACTOR,
                "retention-applied",
                f"Retention policy ({policy.years} years, {policy.action}) applied: "
                f"{reduced} case(s) reduced to anonymised statistics, {len(done) - reduced} deleted.",
                years=policy.years,
                action=policy.action,
                reduced=[d.instance_id for d in done if d.action == "reduce"],
                deleted=[d.reference for d in done if d.action == "delete"],
            )
    return done


def _reduce(row: ProcessInstance, policy: Policy) -> None:
    data = row.data or {}
    row.data = {name: data[name] for name in STATISTICAL_FIELDS if name in data}
    row.state = ""
    row.business_key = f"reduced/{row.id}"
    row.reviewer = None
    row.created_by = ACTOR
    row.error_element = row.error_message = None
    row.next_timer_at = None
    row.request_id = None
    row.reduced_at = now()  # updated_at stays the closing time: throughput counts closures by it
    tasks = select(Task.id).where(Task.instance_id == row.id)
    db.session.execute(delete(TaskDraft).where(TaskDraft.task_id.in_(tasks)))
    db.session.execute(update(Task).where(Task.instance_id == row.id).values(assignee=None, completed_by=None))
    # A closed case has no ready task (closing cancels them); the task lists count on that (``task_visibility``).
    db.session.execute(
        update(Task)
        .where(Task.instance_id == row.id, Task.state == "ready")
        .values(state="cancelled", completed_at=now())
    )
    db.session.execute(
        update(DeadlineExtension).where(DeadlineExtension.instance_id == row.id).values(reason="", approved_by="")
    )
    db.session.execute(
        update(RecommendationRecord)
        .where(RecommendationRecord.instance_id == row.id)
        .values(text="", evidence=None, tracked_by=None)
    )
    db.session.execute(update(ReviewFailure).where(ReviewFailure.instance_id == row.id).values(description=""))
    _delete_notifications(row)
    db.session.execute(delete(AuditEvent).where(AuditEvent.instance_id == row.id))
    record_event(
        row,
        ACTOR,
        "retention-reduced",
        f"Closed more than {policy.years} years ago: the record was reduced to anonymised statistics "
        "under the retention policy.",
        years=policy.years,
    )


def _delete(row: ProcessInstance, policy: Policy) -> None:
    reference, closed = row.business_key, row.updated_at
    db.session.execute(
        delete(TaskDraft).where(TaskDraft.task_id.in_(select(Task.id).where(Task.instance_id == row.id)))
    )
    _delete_notifications(row)
    for table in _rows_that_go_with_a_case():
        db.session.execute(delete(table).where(table.c.instance_id == row.id))
    db.session.delete(row)
    record_event(
        None,
        ACTOR,
        "retention-deleted",
        f"Case {reference} (closed {govuk_date(closed)}) was deleted under the retention policy "
        f"({policy.years} years).",
        reference=reference,
        years=policy.years,
    )
