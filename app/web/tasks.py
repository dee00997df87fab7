"""The inbox (/tasks) and the task page (/tasks/<id>)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..engine.calendar import add_working_days
from ..form_model.errors import error_summary_items, merge_errors
from ..models import ProcessInstance, Task, User
from ..services import instances as instance_service
from ..services import tasks as task_service
from ..services.access import may_work_on
from ..services.errors import CaseNotWorkable, Conflict, Invalid, ServiceError
from ..services.forms import validate_form_data
from ..services.progress import STAGES
from ..services.publication_check import kept_matches
from ..services.publication_record import check_mode, duty_conflict
from ..services.runtime import now
from ..services.users import user_in_group
from .auth import keeps_input_when_token_expires, safe_next, signed_in_user
from .cases import case_summary
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


def _today() -> dt.date:
    return now().date()


MAX_SEARCH = 100


def tab_filters(user: User, tab: str, stage: str | None, due: str | None, page: int) -> task_service.TaskFilters:
    today = _today()
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


def due_tag(task: Task) -> dict[str, str] | None:
    if task.state != "ready" or task.due_on is None:
        return None
    today = _today()
    if task.due_on < today:
        return {"text": "Overdue", "classes": "govuk-tag--red"}
    if task.due_on <= dt.date.fromisoformat(add_working_days(today, DUE_SOON_WORKING_DAYS)):
        return {"text": "Due soon", "classes": "govuk-tag--yellow"}
    return None


@tasks.get("/tasks")
def inbox() -> str:
    user = signed_in_user()
    tab = request.args.get("tab", "mine")
    if tab not in {t.key for t in TABS}:
        tab = "mine"
    stage = request.args.get("stage") if request.args.get("stage") in STAGES else None
    due = request.args.get("due") if request.args.get("due") in ("today", "week") else None
    page = page_arg(request.args)
    new_tasks = task_service.inbox_visit(user) if tab == "mine" and page == 1 else 0
    counts = task_service.count_each(user, {t.key: tab_filters(user, t.key, stage, due, 1) for t in TABS}, _today())
    rows, total = task_service.list_tasks(user, tab_filters(user, tab, stage, due, page), _today(), counts[tab])
    return render_template(
        "tasks/inbox.html",
        title="Tasks",
        tabs=TABS,
        tab=tab,
        rows=rows,
        total=total,
        counts=counts,
        stage=stage,
        due=due,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        stages=STAGES,
        due_tag=due_tag,
        returned=task_service.returned_task_ids(rows),
        new_tasks=new_tasks,
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


def _schemas(task: Task) -> tuple[dict, dict]:
    form = task_service.form_of(task)
    return (form.schema, form.ui_schema) if form else ({"type": "object"}, {})


def _page(
    task: Task, user: User, values: dict, errors: dict[str, list[str]], *, kept_as_draft: bool = False
) -> tuple[str, int]:
    schema, ui_schema = _schemas(task)
    row = task.instance
    conflict = duty_conflict(user, row, task.bpmn_id) if task.state == "ready" else None
    kept = kept_matches(row) if check_mode(row, task.bpmn_id) in ("approve", "publish") else []
    may_work = task.state == "ready" and may_work_on(user, task) and conflict is None
    return render_template(
        "tasks/task.html",
        title=task.name,
        task=task,
        row=row,
        user=user,
        may_work=may_work,
        instructions=task_service.documentation_of(task),
        qa_comments=returned_with(user, row),
        summary=case_summary(user, row),
        form_html=render_form(schema, ui_schema, values, errors, people_for(schema)) if may_work else None,
        has_form=task_service.form_of(task) is not None,
        error_list=error_summary_items(errors, schema, ui_schema),
        draft_saved_at=task_service.draft_saved_at(user, task),
        duty_conflict=conflict,
        kept_matches=kept,
        material=material_for(task, schema),
        suspension=suspension_of(row),
        kept_as_draft=kept_as_draft,
    ), 200  # errors are in the error summary: the page itself is what was asked for


def suspension_of(row: ProcessInstance) -> str | None:
    """Why the case is suspended (the reason given when it was), or None if it is not."""
    if row.status != "suspended":
        return None
    return instance_service.suspension_reason(row) or "No reason was given."


def returned_with(user: User, row: ProcessInstance) -> str | None:
    """Quality assurance's comments while the report is back with the reviewer (and being re-checked)."""
    data = instance_service.visible_data(user, row)
    comments = data.get("qa_comments")
    return str(comments) if data.get("qa_decision") == "return" and comments else None


@tasks.get("/tasks/<task_id>")
def task(task_id: str) -> tuple[str, int] | Response:
    user = signed_in_user()
    task = task_service.get_task(user, task_id)
    if task.state != "ready":
        return redirect(url_for("tasks.finished", task_id=task.id))
    # a draft holds what was typed; what the process knows (read-only answers) still comes from the case
    values = task_service.shown_values(task, task_service.draft_of(user, task) or {})
    return _page(task, user, values, {})


EXPIRED_FORM_MESSAGE = (
    "This form was open too long and its security check expired, so nothing was submitted or saved. "
    "Your answers are below: check them, then submit or save a draft again."
)


@tasks.post("/tasks/<task_id>")
@keeps_input_when_token_expires
def submit(task_id: str) -> tuple[str, int] | Response:
    user = signed_in_user()
    task = task_service.get_task(user, task_id)
    if task.state != "ready":
        return redirect(url_for("tasks.finished", task_id=task.id))
    schema, ui_schema = _schemas(task)
    parsed = parse_form(schema, ui_schema, request.form)
    shown = task_service.shown_values(task, parsed.values)  # read-only answers are not posted back
    if g.get("token_expired"):
        return _page(task, user, shown, {"_form": [EXPIRED_FORM_MESSAGE]})
    action = list_action(request.form)
    if action:
        return _page(task, user, apply_form_action(schema, shown, action), {})
    try:
        if request.form.get(FORM_ACTION) == "draft":
            return _save_draft(user, task, parsed.data, shown, parsed.errors)
        if parsed.errors:
            problems = merge_errors(parsed.errors, validate_form_data(schema, parsed.data, user_in_group))
            return _page(task, user, shown, problems)
        task_service.complete_task(user, task.id, parsed.data)
    except Invalid as invalid:
        return _page(task, user, shown, merge_errors(parsed.errors, invalid.fields))
    except CaseNotWorkable:
        return _keep_as_draft(user, task, parsed.data, shown)
    except Conflict:
        return redirect(url_for("tasks.finished", task_id=task.id))
    return redirect(url_for("tasks.done", task_id=task.id))


def _save_draft(
    user: User, task: Task, data: dict, shown: dict, errors: dict[str, list[str]]
) -> tuple[str, int] | Response:
    if errors:  # keep what they typed on screen, and say what could not be read
        return _page(task, user, shown, errors)
    if not task.assignee:
        task_service.claim_task(user, task.id)
    task_service.save_draft(user, task.id, data)
    flash("Your draft is saved. Only you can see it until you submit the form.", "success")
    return redirect(url_for("tasks.task", task_id=task.id))


def _keep_as_draft(user: User, task: Task, data: dict, shown: dict) -> tuple[str, int]:
    """The case cannot move on now (it is suspended): what was typed is kept as the user's draft."""
    if not task.assignee:
        task_service.claim_task(user, task.id)
    task_service.save_draft(user, task.id, data)
    return _page(task, user, shown, {}, kept_as_draft=True)


@tasks.post("/tasks/<task_id>/autosave")
def autosave(task_id: str) -> tuple[dict, int]:
    """The task form's script saves what is typed as the user's draft every minute (JSON answer)."""
    user = signed_in_user()
    task = task_service.get_task(user, task_id)
    if task.state != "ready":
        return {"saved": False, "message": "This task is no longer open. Your answers were not saved."}, 409
    schema, ui_schema = _schemas(task)
    parsed = parse_form(schema, ui_schema, request.form)
    try:
        if not task.assignee:
            task_service.claim_task(user, task.id)
        draft = task_service.save_draft(user, task.id, parsed.data)
    except ServiceError as error:
        return {"saved": False, "message": error.message}, error.status
    return {"saved": True, "message": f"Draft saved automatically {govuk_datetime(draft.updated_at)}."}, 200


@tasks.get("/tasks/<task_id>/done")
def done(task_id: str) -> str:
    """After submitting: what happens next, and the next task if it is the user's."""
    user = signed_in_user()
    task = task_service.get_task(user, task_id)
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
    )


@tasks.get("/tasks/<task_id>/finished")
def finished(task_id: str) -> tuple[str, int]:
    """The task was completed (by someone else, or by this user in another tab) or is no longer needed."""
    user = signed_in_user()
    task = task_service.get_task(user, task_id)
    return render_template(
        "tasks/finished.html", title=f"{task.name}: no longer open", task=task, row=task.instance
    ), 409 if request.args.get("conflict") else 200
