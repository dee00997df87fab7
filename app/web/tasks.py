"""The inbox (/tasks) and the task page (/tasks/<id>)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..form_model.errors import error_summary_items, merge_errors
from ..models import TaskDraft, User
from ..services import tasks as task_service
from ..services.access import may_work_on
from ..services.errors import CaseNotWorkable, Conflict, Forbidden, Invalid, ServiceError
from ..services.forms import validate_form_data
from ..services.progress import STAGES
from ..services.read_models import TaskView, inbox_view, task_view
from ..services.runtime import london_today
from ..services.tasks import TaskRow
from ..services.users import user_in_group
from ..working_days import add_working_days
from .auth import keeps_input_when_token_expires, safe_next, signed_in_user
from .case_data import Answer
from .filters import govuk_datetime
from .forms import FORM_ACTION, apply_form_action, list_action, parse_form, render_form
from .params import page_arg
from .task_material import material_for, people_for

tasks = Blueprint("tasks", __name__)
PER_PAGE = 50
DUE_SOON_WORKING_DAYS = 2


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    empty: str


TABS = (
    Tab("mine", "My tasks", "You have no tasks. Pick one up from Unassigned in my teams."),
    Tab("team", "Unassigned in my teams", "Your teams have no unassigned tasks."),
    Tab("overdue", "Overdue", "Nothing is overdue."),
    Tab("completed", "Completed by me", "You have not completed any tasks yet."),
)


MAX_SEARCH = 100


def tab_filters(user: User, tab: str, stage: str | None, due: str | None, page: int) -> task_service.TaskFilters:
    today = london_today()
    sort = request.args.get("sort") or "due"
    common = task_service.TaskFilters(
        stage=stage,
        page=page,
        per_page=PER_PAGE,
        due_by={"today": today, "week": today + dt.timedelta(days=7)}.get(due or ""),
        newest_due_first=request.args.get("order") == "desc",
        search=(request.args.get("q") or "").strip()[:MAX_SEARCH],
        sort=sort if sort in task_service.SORTS else "due",
    )
    if tab == "team":
        return replace(common, candidate="me")
    if tab == "overdue":
        return replace(common, overdue=True, workable=user.role not in ("manager", "admin"))
    if tab == "completed":
        return replace(common, state="completed", completed_by="me")
    return replace(common, assignee="me")


def due_tags(today: dt.date) -> Callable[[TaskRow], dict[str, str] | None]:
    """The tag of a ready task's deadline ("Overdue", "Due soon" or none), for a page of tasks seen today."""
    soon = dt.date.fromisoformat(add_working_days(today, DUE_SOON_WORKING_DAYS))

    def due_tag(task: TaskRow) -> dict[str, str] | None:
        if task.state != "ready" or task.due_on is None:
            return None
        if task.due_on < today:
            return {"text": "Overdue", "classes": "govuk-tag--red"}
        if task.due_on <= soon:
            return {"text": "Due soon", "classes": "govuk-tag--yellow"}
        return None

    return due_tag


@tasks.get("/tasks")
def inbox() -> str:
    user = signed_in_user()
    tab = request.args.get("tab", "mine")
    if tab not in {t.key for t in TABS}:
        tab = "mine"
    stage = request.args.get("stage") if request.args.get("stage") in STAGES else None
    due = request.args.get("due") if request.args.get("due") in ("today", "week") else None
    page = page_arg(request.args)
    today = london_today()
    view = inbox_view(
        user,
        tab_filters(user, tab, stage, due, page),
        today,
        tabs={t.key: tab_filters(user, t.key, stage, due, 1) for t in TABS},
        tab=tab,
        visit=tab == "mine" and page == 1,
        returned=True,
    )
    return render_template(
        "tasks/inbox.html",
        title="Tasks",
        tabs=TABS,
        tab=tab,
        rows=view.rows,
        total=view.total,
        counts=view.counts,
        stage=stage,
        due=due,
        page=page,
        pages=max(1, -(-view.total // PER_PAGE)),
        stages=STAGES,
        due_tag=due_tags(today),
        returned=view.returned,
        new_tasks=view.new_tasks,
        user=user,
        search=(request.args.get("q") or "").strip()[:MAX_SEARCH],
        sort=request.args.get("sort") if request.args.get("sort") in task_service.SORTS else "due",
    )


@tasks.post("/tasks/<task_id>/claim")
def claim(task_id: str) -> Response:
    user = signed_in_user()
    try:
        task = task_service.claim_task(user, task_id)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(safe_next(request.form.get("next"), url_for("tasks.inbox", tab="team")))
    flash(f"You picked up '{task.name}' for {task.business_key}. It is in My tasks.", "success")
    return redirect(safe_next(request.form.get("next"), url_for("tasks.task", task_id=task.id)))


@tasks.post("/tasks/<task_id>/release")
def release(task_id: str) -> Response:
    user = signed_in_user()
    try:
        task = task_service.release_task(user, task_id)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("tasks.inbox"))
    flash(f"You released '{task.name}' for {task.business_key}. Your team can pick it up.", "success")
    return redirect(url_for("tasks.inbox"))


# --- the task page -------------------------------------------------------------------------------


def _page(
    view: TaskView, values: dict, errors: dict[str, list[str]], *, kept_as_draft: bool = False
) -> tuple[str, int]:
    schema, ui_schema = view.schema, view.ui_schema
    return render_template(
        "tasks/task.html",
        title=view.task.name,
        task=view.task,
        row=view.case,
        user=view.user,
        may_work=view.may_work,
        instructions=view.documentation,
        qa_comments=view.qa_comments,
        summary=[Answer(label, value) for label, value in view.summary],
        form_html=render_form(schema, ui_schema, values, errors, people_for(schema)) if view.may_work else None,
        has_form=view.form is not None,
        error_list=error_summary_items(errors, schema, ui_schema),
        draft_saved_at=view.draft_saved_at,
        duty_conflict=view.duty_conflict,
        kept_matches=view.kept_matches,
        material=material_for(view.task, schema),
        suspension=view.suspension,
        kept_as_draft=kept_as_draft,
    ), 200  # errors are in the error summary: the page itself is what was asked for


@tasks.get("/tasks/<task_id>")
def task(task_id: str) -> tuple[str, int] | Response:
    view = task_view(signed_in_user(), task_id)
    if not view.is_open:
        return redirect(url_for("tasks.finished", task_id=task_id))
    # a draft holds what was typed; what the process knows (read-only answers) still comes from the case
    return _page(view, view.shown_values(), {})


EXPIRED_FORM_MESSAGE = (
    "This form was open too long and its security check expired, so nothing was submitted or saved. "
    "Your answers are below: check them, then submit or save a draft again."
)


@tasks.post("/tasks/<task_id>")
@keeps_input_when_token_expires
def submit(task_id: str) -> tuple[str, int] | Response:
    view = task_view(signed_in_user(), task_id)
    if not view.is_open:
        return redirect(url_for("tasks.finished", task_id=task_id))
    user, schema = view.user, view.schema
    parsed = parse_form(schema, view.ui_schema, request.form)
    shown = view.shown_values(parsed.values)  # read-only answers are not posted back
    if g.get("token_expired"):
        return _page(view, shown, {"_form": [EXPIRED_FORM_MESSAGE]})
    action = list_action(request.form)
    if action:
        return _page(view, apply_form_action(schema, shown, action), {})
    try:
        if request.form.get(FORM_ACTION) == "draft":
            return _save_draft(view, parsed.data, shown, parsed.errors)
        if parsed.errors:
            problems = merge_errors(parsed.errors, validate_form_data(schema, parsed.data, user_in_group))
            return _page(view, shown, problems)
        task_service.complete_task(user, task_id, parsed.data)
    except Invalid as invalid:
        return _page(view, shown, merge_errors(parsed.errors, invalid.fields))
    except CaseNotWorkable:
        return _keep_as_draft(view, parsed.data, shown)
    except Conflict:
        return redirect(url_for("tasks.finished", task_id=task_id))
    return redirect(url_for("tasks.done", task_id=task_id))


def _save_draft(view: TaskView, data: dict, shown: dict, errors: dict[str, list[str]]) -> tuple[str, int] | Response:
    if errors:  # keep what they typed on screen, and say what could not be read
        return _page(view, shown, errors)
    _keep_draft(view, data)
    flash("Your draft is saved. Only you can see it until you submit the form.", "success")
    return redirect(url_for("tasks.task", task_id=view.task.id))


def _keep_as_draft(view: TaskView, data: dict, shown: dict) -> tuple[str, int]:
    """The case cannot move on now (it is suspended): what was typed is kept as the user's draft."""
    draft = _keep_draft(view, data)
    return _page(TaskView(view.user, view.task, draft), shown, {}, kept_as_draft=True)  # the draft's time is new


def _keep_draft(view: TaskView, data: dict) -> TaskDraft:
    if not view.task.assignee:
        task_service.claim_task(view.user, view.task.id)
    return task_service.save_draft(view.user, view.task.id, data)


@tasks.post("/tasks/<task_id>/autosave")
def autosave(task_id: str) -> tuple[dict, int]:
    """The task form's script saves what is typed as the user's draft every minute (JSON answer)."""
    view = task_view(signed_in_user(), task_id)
    if not view.is_open:
        return {"saved": False, "message": "This task is no longer open. Your answers were not saved."}, 409
    parsed = parse_form(view.schema, view.ui_schema, request.form)
    try:
        draft = _keep_draft(view, parsed.data)
    except ServiceError as error:
        return {"saved": False, "message": error.message}, error.status
    return {"saved": True, "message": f"Draft saved automatically {govuk_datetime(draft.updated_at)}."}, 200


@tasks.get("/tasks/<task_id>/done")
def done(task_id: str) -> str:
    """After submitting: what happens next, and the next task if it is the user's."""
    user = signed_in_user()
    try:
        task = task_service.get_task(user, task_id)
    except Forbidden:  # done, and the case is no longer theirs to see: say it went in, and nothing of the case
        task = task_service.task_done_by(user, task_id)
        return render_template(
            "tasks/done.html", title=f"{task.name}: submitted", task=task, row=task.instance, case_withdrawn=True
        )
    next_tasks = task_service.ready_tasks_for(user, task.instance)
    mine = [t for t in next_tasks if t.assignee == user.username]
    team = [t for t in next_tasks if not t.assignee and may_work_on(user, t)]
    return render_template(
        "tasks/done.html",
        title=f"{task.name}: submitted",
        task=task,
        row=task.instance,
        mine=mine,
        team=team,
        others=[t for t in next_tasks if t not in mine and t not in team],
        user=user,
        case_withdrawn=False,
    )


@tasks.get("/tasks/<task_id>/finished")
def finished(task_id: str) -> tuple[str, int]:
    """The task was completed (by someone else, or by this user in another tab) or is no longer needed."""
    user = signed_in_user()
    task = task_service.get_task(user, task_id)
    return render_template(
        "tasks/finished.html", title=f"{task.name}: no longer open", task=task, row=task.instance
    ), 409 if request.args.get("conflict") else 200
