"""The themes of one review, set by the SFO team or a manager from the moment quality assurance approves the
report, and corrected at any time after, closed cases included.

There is one store of a review's themes: the ``review_theme`` projection, which the lessons figures and the
digest read. The closure task that tags themes starts from it and writes back to it (see
``lessons.stored_themes_prefill`` and ``lessons.record_themes``), so the page and the task never disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..models import ProcessInstance, Theme, User
from ..working_days import as_date
from .access import check_instance_visible, require_role
from .errors import Conflict, Invalid, NotFound
from .lessons import list_themes, record_themes, stored_themes
from .progress import CASE_GONE, lock_instance
from .reports import draft_versions
from .runtime import transactional

THEME_ROLES = ("sfo-team", "manager", "admin")
NOT_YET = "Themes can be set once quality assurance has approved the report."


@dataclass(frozen=True)
class CaseThemes:
    approved_on: dt.date | None  # when quality assurance approved the report; None before
    current: list[str]  # theme codes, in the order of the managed list
    options: list[Theme]  # the themes offered: the active ones, and any inactive one the review carries


def report_approved_on(instance: ProcessInstance) -> dt.date | None:
    """The day quality assurance approved the report (its first approval), read from the audit trail."""
    approved = [v.decision for v in draft_versions(instance) if v.decision and v.decision.decision == "approve"]
    return as_date(approved[0].at) if approved else None


def may_set_themes(user: User) -> bool:
    return user.role in THEME_ROLES


def _check_may_set(user: User, instance: ProcessInstance) -> None:
    check_instance_visible(user, instance)
    require_role(user, THEME_ROLES, "set the themes of a review")


def themes_of_case(user: User, instance: ProcessInstance) -> CaseThemes:
    _check_may_set(user, instance)
    current = stored_themes(instance)
    options = [t for t in list_themes() if t.active or t.code in current]
    return CaseThemes(report_approved_on(instance), current, options)


@transactional
def set_themes(user: User, instance: ProcessInstance, codes: list[str]) -> list[str]:
    """Replace the review's themes; refused, changing nothing, before approval or for codes not offered.
    Returns the themes now stored."""
    _check_may_set(user, instance)
    # under the case's lock, as the closure task's completion writes them: two changes at once would each
    # delete the rows they saw and add their own, leaving a mixture of both
    if not lock_instance(instance.id):
        raise NotFound(CASE_GONE)
    found = themes_of_case(user, instance)
    if found.approved_on is None:
        raise Conflict(NOT_YET)
    chosen = list(dict.fromkeys(str(code) for code in codes))
    offered = [t.code for t in found.options]
    if not chosen:
        raise Invalid("Select the themes of the review.", {"themes": ["Select at least one theme"]})
    if any(code not in offered for code in chosen):
        raise Invalid("A theme is not in the list.", {"themes": ["Select themes from the list"]})
    ordered = [code for code in offered if code in chosen]
    record_themes(instance, ordered, user.username)
    return ordered
