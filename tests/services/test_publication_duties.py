"""Separation of duties, recorded facts and reviewed matches in the publication of a report."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, PublishedReport
from app.services import instances, publication, publication_check, publication_record, tasks
from app.services.errors import Forbidden, Invalid
from app.services.reports import SECTIONS
from app.services.timers import fire_due_timers
from tests.conftest import make_user
from tests.services.test_publication import clean_pack, convicted_case, publish
from tests.sfo_case import SfoCase

FROM_JORDAN = "The family had moved to England from Jordan before he was born."


def ready_to_approve(case, people, pack=None):
    case.do("anonymise_report", **(pack or clean_pack()))
    case.do("provide_progress_summary", progress_summary="The checklist is in use.")
    case.do("coordinate_publication", publication_date="2027-03-01")


def reference_for(problems, path):
    [message] = problems[path]
    return message.split("with the reference ")[1].split()[0]


# --- separation of duties ---------------------------------------------------------------------------


def test_the_anonymiser_cannot_approve_publication(sfo_definition, people):
    case = convicted_case(people, sfo_definition)
    ready_to_approve(case, people)
    approve = case.task("approve_publication")
    with pytest.raises(Forbidden) as refused:
        tasks.complete_task(people.publication, approve.id, {"publish_approved": True})
    assert "someone else must approve" in refused.value.message
    with pytest.raises(Forbidden):
        tasks.claim_task(people.publication, approve.id)
    with pytest.raises(Invalid) as assigning:
        tasks.assign_task(people.manager, approve.id, people.publication.username)
    assert "prepared the anonymised report" in assigning.value.fields["username"][0]
    assert case.task("approve_publication").assignee is None  # nothing changed
    case.do("approve_publication", as_user=people.approver, publish_approved=True)
    assert "publish_report" in case.ready()


def test_the_anonymiser_cannot_rewrite_the_comments_the_approver_returned_the_pack_with(sfo_definition, people):
    """The revision form shows the approver's comments read-only: what the anonymiser sends for them (the
    API takes any field of the form) is not taken, so the approver's comments stand."""
    case = convicted_case(people, sfo_definition)
    ready_to_approve(case, people)
    case.do("approve_publication", as_user=people.approver, publish_approved=False, publication_comments="Redo it.")
    revise = case.task("revise_anonymisation")
    pack = clean_pack(publication_comments="Approved as it stands.")
    tasks.complete_task(people.publication, revise.id, pack)
    assert case.row.data["publication_comments"] == "Redo it."
    assert tasks.prefill_of(case.task("approve_publication"))["publication_comments"] == "Redo it."


def test_neither_the_anonymiser_nor_the_last_reviser_can_approve(sfo_definition, people):
    case = convicted_case(people, sfo_definition)
    ready_to_approve(case, people)
    case.do("approve_publication", as_user=people.approver, publish_approved=False, publication_comments="Redo it.")
    case.do("revise_anonymisation", as_user=people.approver, **clean_pack())
    for preparer in (people.publication, people.approver):
        with pytest.raises(Forbidden):
            tasks.complete_task(preparer, case.task("approve_publication").id, {"publish_approved": True})
    third = make_user("publication")
    case.do("approve_publication", as_user=third, publish_approved=True)
    assert publication_record.CaseRecord(case.row).approval.actor == third.username


def test_a_reviser_who_did_not_anonymise_first_is_the_only_one_excluded_besides_the_anonymiser(sfo_definition, people):
    case = convicted_case(people, sfo_definition)
    ready_to_approve(case, people)
    case.do("approve_publication", as_user=people.approver, publish_approved=False, publication_comments="Redo it.")
    case.do("revise_anonymisation", as_user=people.publication, **clean_pack())
    case.do("approve_publication", as_user=people.approver, publish_approved=True)
    assert publication_record.CaseRecord(case.row).preparers == {people.publication.username}


# --- recorded facts, not case data --------------------------------------------------------------------


def test_a_court_outcome_in_the_case_data_alone_does_not_allow_publication(sfo_definition, people):
    case = SfoCase(people, sfo_definition)
    case.to_conviction_check()
    case.court_outcome("acquitted")
    forged = {**case.row.data, **clean_pack(), "court_outcome": "convicted_sfo", "publish_approved": True}
    case.row.data = forged  # what a script in a diagram or a data correction could do
    with pytest.raises(publication.NotPublishable) as refused:
        publication.publish_snapshot(case.row, "someone")
    assert "no record of that court outcome" in refused.value.problems["_form"][0]
    assert publication_record.CaseRecord(case.row).court_outcome == "acquitted"


def test_approval_in_the_case_data_alone_does_not_allow_publication(sfo_definition, people):
    case = convicted_case(people, sfo_definition)
    ready_to_approve(case, people)
    case.row.data = {**case.row.data, "publish_approved": True}
    with pytest.raises(publication.NotPublishable) as refused:
        publication.publish_snapshot(case.row, "someone")
    assert refused.value.problems["_form"] == ["The publication team has not approved this report for publication."]


def test_an_approval_recorded_by_the_anonymiser_does_not_count(sfo_definition, people):
    case = convicted_case(people, sfo_definition)
    ready_to_approve(case, people)
    approve = case.task("approve_publication")
    db.session.add(
        AuditEvent(
            instance_id=case.row.id,
            occurred_at=case.row.updated_at,
            actor=people.publication.username,
            kind="task-completed",
            task_id=approve.id,
            summary="",
            detail={"data": {"publish_approved": True}},
        )
    )
    assert publication_record.CaseRecord(case.row).approval is None


def test_an_approval_before_the_last_revision_does_not_count(sfo_definition, people):
    case = convicted_case(people, sfo_definition)
    ready_to_approve(case, people)
    case.do("approve_publication", as_user=people.approver, publish_approved=True)
    assert publication_record.CaseRecord(case.row).approval is not None
    anonymise = next(t for t in instances.tasks_of(case.row, "completed") if t.bpmn_id == "anonymise_report")
    db.session.add(
        AuditEvent(
            instance_id=case.row.id,
            occurred_at=case.row.updated_at,
            actor=people.publication.username,
            kind="task-completed",
            task_id=anonymise.id,
            summary="",
            detail={"data": clean_pack()},
        )
    )
    assert publication_record.CaseRecord(case.row).approval is None


def test_the_court_outcome_recorded_by_a_chase_task_counts(sfo_definition, people, clock):
    case = SfoCase(people, sfo_definition)
    case.to_conviction_check()
    clock.set(dt.datetime(2027, 6, 2, 9, tzinfo=dt.UTC))
    fire_due_timers()
    assert publication_record.CaseRecord(case.row).court_outcome is None
    case.do("chase_court_outcome", outcome_known=True, court_outcome="convicted_sfo")
    assert publication_record.CaseRecord(case.row).court_outcome == "convicted_sfo"


def test_a_manager_may_approve_after_three_returns(sfo_definition, people):
    case = convicted_case(people, sfo_definition)
    ready_to_approve(case, people)
    for _ in range(3):
        case.do("approve_publication", as_user=people.approver, publish_approved=False, publication_comments="No.")
        if "revise_anonymisation" in case.ready():
            case.do("revise_anonymisation", **clean_pack())
    case.do("resolve_publication_returns", publish_approved=True, manager_publication_rationale="Good enough.")
    assert publication_record.CaseRecord(case.row).approval.actor == people.manager.username
    case.do("publish_report", published_on="2027-03-01")
    assert db.session.scalar(select(PublishedReport)) is not None


# --- reviewed matches --------------------------------------------------------------------------------


def test_a_reviewed_match_is_kept_and_recorded_with_who_and_why(sfo_definition, people):
    case = convicted_case(people, sfo_definition)
    pack = clean_pack(anonymised_what_happened=f"Mr A moved to a flat.\n{FROM_JORDAN}")
    with pytest.raises(Invalid) as refused:
        tasks.complete_task(people.publication, case.task("anonymise_report").id, pack)
    [message] = refused.value.fields["anonymised_what_happened"]
    assert message.startswith("What happened, 2nd paragraph, still contains a word that matches part of the name")
    reference = reference_for(refused.value.fields, "anonymised_what_happened")

    pack["reviewed_matches"] = [{"reference": reference, "reason": "Jordan is the country here."}]
    report = publish(case, people, pack)
    assert FROM_JORDAN in report.content["sections"][1]["text"]
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "match-reviewed"))
    assert (event.actor, event.detail["reference"], event.detail["reason"]) == (
        people.publication.username,
        reference,
        "Jordan is the country here.",
    )
    assert "What happened, 2nd paragraph" in event.detail["where"] and "Jordan" not in event.detail["where"]


def test_a_reviewed_match_covers_only_that_occurrence(sfo_definition, people):
    case = convicted_case(people, sfo_definition)
    pack = clean_pack(anonymised_what_happened=FROM_JORDAN)
    with pytest.raises(Invalid) as refused:
        tasks.complete_task(people.publication, case.task("anonymise_report").id, pack)
    reviewed = [{"reference": reference_for(refused.value.fields, "anonymised_what_happened"), "reason": "Country."}]
    elsewhere = clean_pack(
        anonymised_what_happened=FROM_JORDAN,
        anonymised_lessons=FROM_JORDAN,  # the same sentence in another field
        anonymised_summary="Jordan was supervised for two years.",
        reviewed_matches=reviewed,
    )
    with pytest.raises(Invalid) as again:
        tasks.complete_task(people.publication, case.task("anonymise_report").id, elsewhere)
    assert set(again.value.fields) == {"anonymised_lessons", "anonymised_summary"}


def test_a_reviewed_match_must_name_a_current_match(sfo_definition, people):
    case = convicted_case(people, sfo_definition)
    pack = clean_pack(reviewed_matches=[{"reference": "R-00000000", "reason": "Guess."}])
    with pytest.raises(Invalid) as refused:
        tasks.complete_task(people.publication, case.task("anonymise_report").id, pack)
    assert refused.value.fields["reviewed_matches.0.reference"][0].startswith(
        "Reviewed match 1: the check finds no match with the reference R-00000000"
    )


def test_the_whole_name_cannot_be_kept_after_review(sfo_definition, people):
    case = convicted_case(people, sfo_definition)
    pack = clean_pack(anonymised_summary="Jordan Blackwood was supervised.")
    with pytest.raises(Invalid) as refused:
        tasks.complete_task(people.publication, case.task("anonymise_report").id, pack)
    [message] = refused.value.fields["anonymised_summary"]
    assert "reference" not in message and "still contains the name of the person on probation" in message


def test_reviews_set_in_the_case_data_are_not_honoured(sfo_definition, people):
    case = convicted_case(people, sfo_definition)
    ready_to_approve(case, people)
    checked = {**case.row.data, "anonymised_lessons": FROM_JORDAN}
    [finding] = [f for f in publication_check.findings(checked, checked) if f.path == "anonymised_lessons"]
    case.row.data = {**checked, "reviewed_matches": [{"reference": finding.reference, "reason": "Forged."}]}
    with pytest.raises(Invalid) as refused:
        case.do("approve_publication", publish_approved=True)
    assert "anonymised_lessons" in refused.value.fields


# --- every public text, every problem ----------------------------------------------------------------


@pytest.mark.parametrize(
    "path, change",
    [
        ("anonymised_summary", {"anonymised_summary": "Clean\u200b text."}),
        (
            "anonymised_recommendations.0.text",
            {"anonymised_recommendations": [{"text": "Re\u00adview."}, {"text": "B."}]},
        ),
        (
            "anonymised_responses.1.owner",
            {"anonymised_responses": [{"action": "A."}, {"action": "B.", "owner": "Head\u202e"}]},
        ),
        ("anonymised_responses.0.action", {"anonymised_responses": [{"action": "A\u2060."}, {"action": "B."}]}),
        ("anonymised_progress_summary", {"anonymised_progress_summary": "Done\u0007."}),
    ],
)
def test_invisible_characters_are_refused_in_every_public_text(sfo_definition, people, path, change):
    case = convicted_case(people, sfo_definition)
    with pytest.raises(Invalid) as refused:
        tasks.complete_task(people.publication, case.task("anonymise_report").id, clean_pack(**change))
    assert set(refused.value.fields) == {path}
    assert "contains an invisible or control character (U+" in refused.value.fields[path][0]


def test_every_problem_in_a_field_is_reported_at_once(sfo_definition, people):
    case = convicted_case(people, sfo_definition)
    text = "Nothing here.\nMr Blackwood was born on 4th March 1990.\nHe lived on Harbour Rw with S\u200bam."
    with pytest.raises(Invalid) as refused:
        tasks.complete_task(
            people.publication, case.task("anonymise_report").id, clean_pack(anonymised_what_happened=text)
        )
    messages = [m.split(".")[0] for m in refused.value.fields["anonymised_what_happened"]]
    assert messages == [
        "What happened, 3rd paragraph, contains an invisible or control character (U+200B ZERO WIDTH SPACE)",
        "What happened, 2nd paragraph, still contains a word that matches part of the name of the person on probation",
        "What happened, 2nd paragraph, still contains a date that matches the person's date of birth",
        "What happened, 3rd paragraph, still contains the street of the person's address",
        "What happened, 3rd paragraph, still contains a word that matches part of the name of a victim",
    ]


def test_text_outside_the_passages_is_checked_before_it_reaches_the_public_page(sfo_definition, people):
    case = convicted_case(people, sfo_definition)
    report = PublishedReport(
        title="A review", offence_title="Murder", content={"recommendations": [{"addressee": "Sam Oduya's family"}]}
    )
    problems = publication._unchecked_public_problems(report, case.row.data, case.row.data)
    assert problems == [
        "The published page still contains the name of a victim. Send the report back so that it can be revised."
    ]


def test_a_name_blanked_in_the_case_data_after_it_was_recorded_is_still_checked(sfo_definition, people):
    """The gate reads every value the service recorded for the identifying fields (the notification as
    started, each task's answers, each correction), not only the case data as it is now, which a
    diagram script or a correction could change."""
    case = convicted_case(people, sfo_definition)
    row = case.row
    row.data = {**row.data, "person_name": "", "victim_names": "", "crn": ""}  # as a script could leave it
    db.session.commit()
    pack = clean_pack(
        anonymised_summary="Sam Oduya was not known to the service.",  # the victim, named at notification
        anonymised_what_happened="His CRN, X654321, was checked at transfer.",
        redaction_log=[],
    )
    with pytest.raises(Invalid) as refused:
        case.do("anonymise_report", **pack)
    assert "a victim" in " ".join(refused.value.fields["anonymised_summary"])
    assert "CRN" in " ".join(refused.value.fields["anonymised_what_happened"])


@pytest.mark.parametrize(
    "text", ["Case SFO-2027-001 was reviewed.", "The review (sfo 2027/001) found gaps.", "See SFO-2O27-OO1."]
)
def test_the_case_s_own_reference_is_refused_in_the_published_report(sfo_definition, people, text):
    """The reference links the public report to the case's records, and a reference is free text."""
    case = convicted_case(people, sfo_definition)
    with pytest.raises(Invalid) as refused:
        tasks.complete_task(people.publication, case.task("anonymise_report").id, clean_pack(anonymised_summary=text))
    [message] = refused.value.fields["anonymised_summary"]
    assert "still contains the case's reference" in message and "2027" not in message


def test_another_case_s_reference_is_refused_in_the_published_report_unless_reviewed(sfo_definition, people):
    """Another case's reference tells the public of that case, whose report may stay internal."""
    SfoCase(people, sfo_definition, reference="NPS-N-2026-0042")
    case = convicted_case(people, sfo_definition)
    pack = clean_pack(anonymised_lessons="As in NPS-N-2026-0042, risk was not reassessed.")
    with pytest.raises(Invalid) as refused:
        tasks.complete_task(people.publication, case.task("anonymise_report").id, pack)
    [message] = refused.value.fields["anonymised_lessons"]
    assert "still contains the reference of another case" in message and "0042" not in message
    pack["reviewed_matches"] = [{"reference": reference_for(refused.value.fields, "anonymised_lessons"), "reason": "x"}]
    tasks.complete_task(people.publication, case.task("anonymise_report").id, pack)
    assert "provide_progress_summary" in case.ready()


def test_a_case_started_after_a_check_is_known_to_the_next_check(sfo_definition, people):
    """The other cases' references are read once per transaction (publishing checks twice in one): a check in a
    later transaction sees a case started since."""
    case = convicted_case(people, sfo_definition)
    pack = clean_pack(anonymised_lessons="As in NPS-N-2026-0077, risk was not reassessed.")
    tasks.complete_task(people.publication, case.task("anonymise_report").id, pack)  # no such case yet: it passes
    SfoCase(people, sfo_definition, reference="NPS-N-2026-0077")
    case.do("provide_progress_summary", progress_summary="The checklist is in use.", progress_as_at="2027-03-01")
    case.do("coordinate_publication", publication_date="2027-03-01", coordination_notes="No other reviews")
    with pytest.raises(Invalid) as refused:
        case.do("approve_publication", publish_approved=True)
    assert "still contains the reference of another case" in " ".join(refused.value.fields["anonymised_lessons"])


def test_a_part_of_the_report_longer_than_the_check_reads_is_refused_unread(sfo_definition, people):
    """One word of a megabyte in a section (a paste gone wrong, or sent on purpose) held the request for
    hours: the check now reads at most 100,000 characters of one part and says so."""
    case = convicted_case(people, sfo_definition)
    task_id = case.task("anonymise_report").id
    pack = clean_pack(anonymised_lessons="Blackwood " * 100_000)
    with pytest.raises(Invalid) as refused:
        tasks.complete_task(people.publication, task_id, pack)
    [message] = refused.value.fields["anonymised_lessons"]
    assert "1,000,000 characters long. Shorten it to 100,000 characters or fewer" in message
    assert case.task("anonymise_report").state == "ready"


def test_the_report_as_a_whole_is_read_up_to_its_limit(sfo_definition, people):
    case = convicted_case(people, sfo_definition)
    sections = {f"anonymised_{name}": "Mr A was supervised. " * 4_500 for name, _ in SECTIONS[:6]}
    with pytest.raises(Invalid) as refused:
        tasks.complete_task(people.publication, case.task("anonymise_report").id, clean_pack(**sections))
    messages = [m for ms in refused.value.fields.values() for m in ms]
    assert any("the report's text is longer than 500,000 characters in all" in m for m in messages), messages


def test_a_provider_s_progress_summary_longer_than_the_check_reads_stops_approval_unread(sfo_definition, people):
    case = convicted_case(people, sfo_definition)
    case.do("anonymise_report", **clean_pack(anonymised_progress_summary=""))
    case.do("provide_progress_summary", progress_summary="a-" * 60_000, progress_as_at="2027-03-01")
    case.do("coordinate_publication")
    with pytest.raises(Invalid) as refused:
        case.do("approve_publication", publish_approved=True)
    [message] = refused.value.fields["anonymised_progress_summary"]
    assert message.startswith("The provider's progress summary is 120,000 characters long."), message
