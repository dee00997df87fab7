"""A provider reads its case's history, but not what the SFO teams wrote in it: the reasons a team gave
for extending a deadline, reopening publication or keeping a match in the report quote the review's own
material (people, places, what the review found). The teams and managers read the whole history."""

from __future__ import annotations

import datetime as dt

import pytest

from app.extensions import db
from app.services import deadlines
from app.services.audit import record_event
from tests.services.test_deadlines_that_help import scoped
from tests.web.conftest import Browser

WRITTEN_BY_THE_TEAM = "Jane Hollis at 14 Mill Lane"


def _seen_by(api, client, people, case_id: int, reference: str, user) -> str:  # type: ignore[no-untyped-def]
    return (
        repr(api.get(f"/process-instances/{case_id}/events", user))
        + Browser(client.application.test_client()).sign_in(user).get(f"/cases/{reference}").text
    )


def test_a_provider_is_told_a_deadline_moved_but_not_why(api, client, people, sfo_definition):
    case = scoped(people, sfo_definition, evidence="2027-04-15", liaison="2027-04-15")
    evidence = case.task("gather_evidence")
    deadlines.extend_deadline(people.manager, evidence.id, dt.date(2027, 6, 30), f"Waiting for {WRITTEN_BY_THE_TEAM}")
    provider_sees = _seen_by(api, client, people, case.row.id, case.row.business_key, people.provider)
    assert WRITTEN_BY_THE_TEAM not in provider_sees
    assert "30 June 2027" in provider_sees  # what changed is still said
    assert WRITTEN_BY_THE_TEAM in _seen_by(api, client, people, case.row.id, case.row.business_key, people.manager)


@pytest.mark.parametrize(
    "kind",
    ["deadline-extended", "reopen-requested", "match-reviewed", "error", "a-kind-added-later"],
)
def test_events_quoting_the_teams_text_are_summarised_for_providers(api, client, people, sfo_definition, kind):
    case = scoped(people, sfo_definition, evidence="2027-04-15", liaison="2027-04-15")
    record_event(case.row, people.manager.username, kind, f"Something about {WRITTEN_BY_THE_TEAM}.")
    db.session.commit()
    reference = case.row.business_key
    assert WRITTEN_BY_THE_TEAM not in _seen_by(api, client, people, case.row.id, reference, people.provider)
    assert WRITTEN_BY_THE_TEAM in _seen_by(api, client, people, case.row.id, reference, people.team)
