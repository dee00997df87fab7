"""Who may see and do what. Every read and write of a case or task goes through these checks.

Rules: process definitions (their versions, diagrams and files) are read by process owners, managers
and admins; anyone who may start a process also reads its latest version's start form. A provider may
start only a process whose start event lies in the provider lane. The review body (sfo-team,
quality-assurer, publication, manager, admin) sees every case; a
reviewer sees the cases allocated to them; a provider user sees only the cases their organisation is a
provider of (a case supervised by several providers is seen by each) and only their organisation's
provider-lane tasks of them; a reviewer also sees a case on which they hold an open task
(a manager gave them one). A reviewer replaced on a case no longer sees it, though the tasks they
completed of it still name them. Another organisation's case is reported as not found, so its
existence does not leak.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, select, union

from ..models import ProcessInstance, Task, User
from ..models.users import REVIEW_BODY_ROLES
from .case_providers import cases_of_organisation, is_provider_of
from .errors import Forbidden, NotFound

MANAGING_ROLES = ("manager", "admin")
STARTING_ROLES = ("provider", "sfo-team", "manager", "admin")
MESSAGE_ROLES = ("sfo-team", "manager", "admin")
DEPLOYING_ROLES = ("process-owner", "admin")
ADMIN_ROLES = ("admin",)
DEFINITION_READING_ROLES = ("process-owner", "manager", "admin")


def reads_definitions(user: User) -> bool:
    return user.role in DEFINITION_READING_ROLES


def check_reads_definitions(user: User) -> None:
    require_role(user, DEFINITION_READING_ROLES, "read process definitions")


def start_lanes(model: Any) -> set[str | None]:
    """The lanes the process's start events lie in (None for a start event outside any lane)."""
    return {
        getattr(spec, "lane", None) for spec in model.spec.task_specs.values() if type(spec).__name__ == "StartEvent"
    }


def may_start(user: User, model: Any) -> bool:
    if user.role not in STARTING_ROLES:
        return False
    if user.is_provider:
        return any(lane is not None and user.in_group(lane) for lane in start_lanes(model))
    return True


def check_may_start(user: User, model: Any) -> None:
    if not may_start(user, model):
        raise Forbidden("You cannot start this process: it does not start in your team's lane.")


def sees_all_cases(user: User) -> bool:
    return user.role in REVIEW_BODY_ROLES


def can_see_instance(user: User, instance: ProcessInstance) -> bool:
    if sees_all_cases(user):
        return True
    if user.is_provider:
        return is_provider_of(instance, user.organisation)
    if user.role == "reviewer":
        return instance.reviewer == user.username or _holds_task_on(user, instance)
    return False


def _holds_task_on(user: User, instance: ProcessInstance) -> bool:
    """A manager may reassign a reviewer's task to another reviewer, who then needs to see the case (while
    the task is open: a completed task keeps its assignee, also that of a reviewer since replaced)."""
    from ..extensions import db

    return db.session.scalar(_held_tasks(user).where(Task.instance_id == instance.id).limit(1)) is not None


def _held_tasks(user: User) -> Select:
    """The cases' ids of the open tasks ``user`` holds."""
    return select(Task.instance_id).where(Task.assignee == user.username, Task.state == "ready")


def check_instance_visible(user: User, instance: ProcessInstance | None) -> ProcessInstance:
    if instance is None:
        raise NotFound("There is no such case.")
    if instance.reduced_at is not None:  # only its anonymised statistics are left (retention policy)
        raise NotFound(
            "There is no such case: its record was reduced to anonymised statistics under the retention policy."
        )
    if can_see_instance(user, instance):
        return instance
    if user.is_provider:
        raise NotFound("There is no such case.")
    raise Forbidden("You do not have access to this case.")


def visible_instances(user: User, query: Select) -> Select:
    query = query.where(ProcessInstance.reduced_at.is_(None))  # reduced by the retention policy: statistics only
    if sees_all_cases(user):
        return query
    if user.is_provider:
        return (
            query.where(ProcessInstance.id.in_(cases_of_organisation(user.organisation)))
            if user.organisation
            else query.where(false())
        )
    if user.role == "reviewer":
        # A union of two indexed look-ups: an OR of the two conditions made PostgreSQL scan every case.
        allocated = select(ProcessInstance.id).where(ProcessInstance.reviewer == user.username).correlate(None)
        return query.where(ProcessInstance.id.in_(union(allocated, _held_tasks(user))))
    return query.where(false())


def can_see_task(user: User, task: Task) -> bool:
    if not can_see_instance(user, task.instance):
        return False
    if user.is_provider:
        return task.lane == "provider" and task.organisation == user.organisation
    return True


def tasks_seen_on(user: User, instance: ProcessInstance, tasks: list[Task]) -> list[Task]:
    """Those of the case's ``tasks`` the user may see (``can_see_task`` for each, judging the case once)."""
    if not can_see_instance(user, instance):
        return []
    if not user.is_provider:
        return list(tasks)
    return [task for task in tasks if task.lane == "provider" and task.organisation == user.organisation]


def check_task_visible(user: User, task: Task | None) -> Task:
    if task is None or task.instance.reduced_at is not None:  # a reduced case's tasks go with it
        raise NotFound("There is no such task.")
    if can_see_task(user, task):
        return task
    if user.is_provider:
        raise NotFound("There is no such task.")
    raise Forbidden("You do not have access to this task.")


def visible_tasks(user: User, query: Select) -> Select:
    """``query``, of tasks joined to their case, kept to the tasks ``user`` may see."""
    on_task, on_case = task_visibility(user)
    return query.where(*on_task, *on_case)


def task_visibility(user: User, *, ready_only: bool = False, held_by_user: bool = False) -> tuple[list[Any], list[Any]]:
    """The conditions that keep a list of tasks to those ``user`` may see: those on the task alone, and
    those that need its case joined (none, where the list allows, so that counting it reads ``task`` alone).

    ``ready_only``: the list holds only ready tasks. None is on a reduced case: a case is reduced only when
    closed, closing it cancels its ready tasks, and retention cancels any it finds.
    ``held_by_user``: the list holds only tasks assigned to the user, or completed by them (which they held).
    None is on a reduced case (retention clears every assignee and completer), and a reviewer sees every case
    on which they hold an open task; the tasks a reviewer completed stay in their list (the task, the case's
    reference and stage) after another reviewer is given the case, though its pages refuse them.
    """
    on_case: list[Any] = [] if ready_only or held_by_user else [ProcessInstance.reduced_at.is_(None)]
    if sees_all_cases(user):
        return [], on_case
    if user.is_provider:
        if not user.organisation:
            return [false()], []
        on_task = [
            Task.lane == "provider",
            Task.organisation == user.organisation,
            Task.instance_id.in_(cases_of_organisation(user.organisation)),
        ]
        return on_task, on_case
    if user.role == "reviewer":
        if held_by_user:
            return [Task.assignee == user.username], on_case
        # A union of two indexed look-ups: an OR of the two conditions made PostgreSQL scan every case.
        allocated = select(ProcessInstance.id).where(ProcessInstance.reviewer == user.username).correlate(None)
        return [Task.instance_id.in_(union(allocated, _held_tasks(user).correlate(None)))], on_case
    return [false()], []


def may_work_on(user: User, task: Task) -> bool:
    """Whether the user may claim, draft or complete this task."""
    if task.assignee:
        return task.assignee == user.username
    if task.lane is None or not user.in_group(task.lane):
        return False
    if task.lane == "provider":
        return task.organisation == user.organisation
    return task.lane != "reviewer"  # reviewer tasks go to the allocated reviewer by name


def check_may_work_on(user: User, task: Task) -> None:
    if not may_work_on(user, task):
        if task.assignee and task.assignee != user.username:
            raise Forbidden(f"This task is assigned to {task.assignee}.")
        raise Forbidden("This task is not for your team.")


def require_role(user: User, roles: tuple[str, ...], action: str) -> None:
    if user.role not in roles:
        raise Forbidden(f"You do not have permission to {action}.")


def assignable_filter(user: User):
    """Unclaimed tasks of the user's groups (and organisation, for providers)."""
    clause = (Task.assignee.is_(None)) & (Task.lane.in_(sorted(user.group_names - {"reviewer"})))
    if user.is_provider:
        clause = clause & (Task.organisation == user.organisation)
    return clause
