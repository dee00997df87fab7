"""What a page or an API response shows, gathered once per request for the caller.

``task_view`` is a task with its form, starting values, draft and the case facts shown beside it;
``case_view`` is a case with the data, tasks and history the caller may see; ``inbox_view`` is a page of
tasks with its total and the counts of other lists. The web pages and the API's presenters both render
these, and neither goes back to the models or the engine to finish the picture. Each fact is read the
first time it is asked for and kept, so a response pays only for what it shows, and only once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..engine import Form
from ..form_model.dates import govuk_date
from ..models import AuditEvent, ProcessInstance, Task, TaskDraft, User
from . import instances, tasks
from .access import may_work_on, tasks_seen_on
from .audit import events_of
from .case_providers import providers_named_in
from .publication_check import kept_matches
from .publication_record import CaseRecord, check_mode, duty_conflict
from .runtime import loaded_values_kept, model_of_instance


class TaskView:
    """A task the caller may see (``tasks.get_task_and_draft`` checked it), with the caller's draft, and what
    its page or answer shows."""

    def __init__(self, user: User, task: Task, draft: TaskDraft | None):
        self.user, self.task = user, task
        self._draft_row = draft  # the caller's draft, read with the task

    @property
    def case(self) -> ProcessInstance:
        return self.task.instance

    @property
    def is_open(self) -> bool:
        return self.task.state == "ready"

    @cached_property
    def form(self) -> Form | None:
        return tasks.form_of(self.task)

    @property
    def schema(self) -> dict[str, Any]:
        return self.form.schema if self.form else {"type": "object"}

    @property
    def ui_schema(self) -> dict[str, Any]:
        return self.form.ui_schema if self.form else {}

    @cached_property
    def documentation(self) -> str:
        return tasks.documentation_of(self.task)

    @cached_property
    def prefill(self) -> dict[str, Any]:
        return tasks.prefill_of(self.task)

    @property
    def draft(self) -> dict[str, Any] | None:
        """The caller's draft as the form shows it, or None if they saved none."""
        row = self._draft_row
        return tasks.shown_values(self.task, row.data) if row else None

    @property
    def draft_saved_at(self) -> dt.datetime | None:
        row = self._draft_row
        return row.updated_at if row else None

    def shown_values(self, values: dict[str, Any] | None = None) -> dict[str, Any]:
        """What the form shows: ``values`` (as posted), else the caller's draft, over the starting values."""
        if values is None:
            row = self._draft_row
            values = row.data if row else {}
        return tasks.shown_values(self.task, values)

    @cached_property
    def case_data(self) -> dict[str, Any]:
        return instances.visible_data(self.user, self.case)

    @cached_property
    def duty_conflict(self) -> str | None:
        """Why the caller may not take this step (the four-eyes rules), or None."""
        return duty_conflict(self.user, self._record, self.task.bpmn_id) if self.is_open else None

    @cached_property
    def _record(self) -> CaseRecord:
        return CaseRecord(self.case)  # read only if a rule needs it, once for all of them

    @cached_property
    def may_work(self) -> bool:
        return self.is_open and may_work_on(self.user, self.task) and self.duty_conflict is None

    @cached_property
    def kept_matches(self) -> list[Any]:
        """Look-alikes of the person's details that a checker chose to keep, shown to whoever approves."""
        if check_mode(self.case, self.task.bpmn_id) in ("approve", "publish"):
            return list(kept_matches(self._record))
        return []

    @property
    def qa_comments(self) -> str | None:
        """Quality assurance's comments while the report is back with the reviewer (and being re-checked)."""
        comments = self.case_data.get("qa_comments")
        return str(comments) if self.case_data.get("qa_decision") == "return" and comments else None

    @property
    def suspension(self) -> str | None:
        return suspension_of(self.case)

    @property
    def summary(self) -> list[tuple[str, str]]:
        """The few facts every task page shows beside the form."""
        return case_summary(self.case, self.case_data)


def task_view(user: User, task_id: str) -> TaskView:
    """The task, if the caller may see it (404 otherwise), read with its case's data and state and with the
    caller's draft."""
    return TaskView(user, *tasks.get_task_and_draft(user, task_id))


def suspension_of(row: ProcessInstance) -> str | None:
    """Why the case is suspended (the reason given when it was), or None if it is not."""
    if row.status != "suspended":
        return None
    return instances.suspension_reason(row) or "No reason was given."


def case_summary(row: ProcessInstance, data: dict[str, Any]) -> list[tuple[str, str]]:
    """Reference, person, offence, providers, stage and reviewer, from the data the caller may see."""
    offence = data.get("offence_description") or str(data.get("offence_category", "")).replace("_", " ")
    providers = providers_named_in(row)
    facts = [
        ("Case reference", row.business_key),
        ("Person", data.get("person_name")),
        ("Offence", offence),
        ("Providers" if len(providers) > 1 else "Provider", ", ".join(providers) or row.provider_org),
        ("Stage", str(row.stage or "").replace("-", " ").capitalize()),
        ("Reviewer", row.reviewer),
    ]
    return [(label, str(value)) for label, value in facts if value]


@dataclass(frozen=True)
class CompletedStep:
    """A completed task the caller may see, with the form it was completed on (None if it had none)."""

    task: Task
    form: Form | None


class CaseView:
    """A case the caller may see (the service checked it), and what its page or answer shows."""

    def __init__(self, user: User, row: ProcessInstance):
        self.user, self.row = user, row

    @cached_property
    def data(self) -> dict[str, Any]:
        """Case data for the caller: providers see the notification and their own answers only."""
        return instances.visible_data(self.user, self.row)

    @cached_property
    def _tasks(self) -> list[Task]:
        return instances.tasks_of(self.row, "ready", "completed")

    @cached_property
    def ready_tasks(self) -> list[Task]:
        """The case's open tasks the caller may see, oldest first."""
        return [task for task in tasks_seen_on(self.user, self.row, self._tasks) if task.state == "ready"]

    @cached_property
    def completed_tasks(self) -> list[Task]:
        return [task for task in tasks_seen_on(self.user, self.row, self._tasks) if task.state == "completed"]

    @property
    def held_elsewhere(self) -> bool:
        """Open with a team the caller cannot see (providers see only their own tasks)."""
        return not self.ready_tasks and any(task.state == "ready" for task in self._tasks)

    @cached_property
    def completed_steps(self) -> list[CompletedStep]:
        """What each completed task recorded is read from the case data with the task's form."""
        steps = self.completed_tasks
        if self.user.is_provider:
            steps = [task for task in steps if task.lane == "provider"]
        return [CompletedStep(task, tasks.form_of(task)) for task in steps]

    @cached_property
    def notification_form(self) -> Form | None:
        return model_of_instance(self.row).start_form()

    @cached_property
    def providers(self) -> list[str]:
        return providers_named_in(self.row)

    def events(self, hidden: tuple[str, ...] = ()) -> list[Any]:
        return events_seen_by(self.user, [event for event in events_of(self.row) if event.kind not in hidden])

    @property
    def error_message(self) -> str | None:
        return error_seen_by(self.user, self.row)

    @property
    def suspension(self) -> str | None:
        return suspension_of(self.row)


class Presented:
    """A row plus the values an answer or page shows instead of, or beside, its own; other attributes are
    read from the row."""

    def __init__(self, row: Any, **extra: Any):
        self._row = row
        self.__dict__.update(extra)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)


# What a provider is told of a failed step. The message itself quotes the values the step failed on, which
# can be any team's data: the teams and managers read it (monitoring, the case's history), providers do not.
FAILED_FOR_PROVIDERS = "A step of the case failed. The SFO team has been told and will put it right."

# The case's history as providers read it. These events' summaries are written by the service from names,
# dates and choices, and are read as they are (a suspension or cancellation reason is on the case's page
# for providers too, and notes are shared by design).
READ_BY_PROVIDERS_AS_WRITTEN = frozenset(
    {
        "attachment-added",
        "attachment-downloaded",
        "cancelled",
        "case-note",
        "completed",
        "data-corrected",
        "draft-carried",
        "message",
        "migrated",
        "notification",
        "notification-failed",
        "notification-unknown",
        "other-review-added",
        "publication-reopened",
        "recommendation-tracked",
        "record-exported",
        "resumed",
        "retention-reduced",
        "retried",
        "reviewer-changed",
        "script-printed",
        "started",
        "suspended",
        "task-assigned",
        "task-claimed",
        "task-completed",
        "task-created",
        "task-released",
        "themes-changed",
    }
)


def _deadline_moved(event: AuditEvent) -> str:
    new_due = govuk_date((event.detail or {}).get("new_due"))
    return f"A deadline was moved to {new_due}." if new_due else "A deadline was moved."


# The others quote what a team wrote or found (the reason for a new deadline or for reopening publication,
# a match kept in the anonymised report, the values a step failed on): providers are told what happened.
SUMMARIES_FOR_PROVIDERS: dict[str, Callable[[AuditEvent], str]] = {
    "error": lambda event: FAILED_FOR_PROVIDERS,
    "deadline-extended": _deadline_moved,
    "reopen-requested": lambda event: "A conviction was recorded after the case closed.",
    "match-reviewed": lambda event: "A possible identifying detail in the anonymised report was checked and kept.",
}
UPDATED_FOR_PROVIDERS = "The SFO team updated the case."


def error_seen_by(user: User, row: ProcessInstance) -> str | None:
    if row.error_message is None or not user.is_provider:
        return row.error_message
    return FAILED_FOR_PROVIDERS


def _summary_for_providers(event: AuditEvent) -> Any:
    if event.kind in READ_BY_PROVIDERS_AS_WRITTEN:
        return event
    summary = SUMMARIES_FOR_PROVIDERS.get(event.kind, lambda event: UPDATED_FOR_PROVIDERS)(event)
    return Presented(event, summary=summary)


def events_seen_by(user: User, events: list[AuditEvent]) -> list[Any]:
    """The case's history as the caller may read it: a provider reads what happened, not what a team wrote."""
    if not user.is_provider:
        return events
    return [_summary_for_providers(event) for event in events]


def case_view(user: User, reference: str) -> CaseView:
    """The case with this reference, if the caller may see it (404 otherwise)."""
    return CaseView(user, instances.get_instance_by_key(user, reference))


def case_view_of(user: User, row: ProcessInstance) -> CaseView:
    """The view of a case the service has just read or changed for the caller."""
    return CaseView(user, row)


@dataclass
class InboxView:
    """A page of tasks, how many the list holds, and how many each other list holds (the inbox's tabs)."""

    rows: list[tasks.TaskRow]
    total: int
    counts: dict[str, int] = field(default_factory=dict)
    new_tasks: int = 0

    @cached_property
    def returned(self) -> set[str]:
        """The tasks on the page that are a step done before on the same case, come round again."""
        return {row.id for row in self.rows if row.returned}


def inbox_view(
    user: User,
    filters: tasks.TaskFilters,
    today: dt.date | None = None,
    *,
    tabs: dict[str, tasks.TaskFilters] | None = None,
    tab: str = "",
    visit: bool = False,
    returned: bool = False,
) -> InboxView:
    """The page of tasks ``filters`` selects. With ``tabs`` (each list's filters, by name), every list is
    counted in one statement, and ``tab`` names the one shown, whose count is the page's total. With
    ``visit``, the tasks the user can work on that arrived since their last visit are counted with them, and
    this visit becomes the last unless none did (on the first visit, none is new). With ``returned``, the
    rows say which tasks came round again (``InboxView.returned``; the API's lists do without)."""
    since = user.inbox_seen_at if visit else None
    counts = tasks.count_each(user, tabs or {}, today, since)
    new_tasks = counts.pop(tasks.ARRIVED, 0)
    if visit and (since is None or new_tasks):  # with none new, counting from the visit before is the same
        with loaded_values_kept():  # the visit changes only the user's last visit: the page reads all as loaded
            tasks.inbox_seen(user)
    rows, total = tasks.list_tasks(user, filters, today, counts.get(tab), with_returned=returned)
    return InboxView(rows, total, counts, new_tasks)
