"""The people of the SFO process, as the ``people`` fixture gives them to every test.

Each user is made on first use, so a test pays only for the ones it needs and no user exists that the
test did not ask for."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from app.models import User
from tests.conftest import make_user


class People:
    @cached_property
    def provider(self) -> User:
        return make_user("provider", organisation="north-probation")

    @cached_property
    def other_provider(self) -> User:
        return make_user("provider", organisation="south-probation")

    @cached_property
    def team(self) -> User:
        return make_user("sfo-team")

    @cached_property
    def other_team(self) -> User:
        """Another member of the SFO team."""
        return make_user("sfo-team")

    @cached_property
    def reviewer(self) -> User:
        return make_user("reviewer")

    @cached_property
    def other_reviewer(self) -> User:
        return make_user("reviewer")

    @cached_property
    def manager(self) -> User:
        return make_user("manager")

    @cached_property
    def qa(self) -> User:
        return make_user("quality-assurer")

    @cached_property
    def publication(self) -> User:
        return make_user("publication")

    @cached_property
    def approver(self) -> User:
        """A second member of the publication team: who anonymises a report cannot approve it."""
        return make_user("publication")

    @cached_property
    def owner(self) -> User:
        return make_user("process-owner")

    def for_task(self, task: dict[str, Any]) -> User:
        """Who does a task: someone of its lane, the second publication user for the approval."""
        return self.approver if task["bpmn_id"] == "approve_publication" else self.for_lane(task["lane"])

    def for_lane(self, lane: str | None) -> User:
        """Someone of the lane's team (the allocated reviewer is ``reviewer``)."""
        return {
            "provider": self.provider,
            "sfo-team": self.team,
            "reviewer": self.reviewer,
            "quality-assurer": self.qa,
            "publication": self.publication,
            "manager": self.manager,
        }[lane or "sfo-team"]
