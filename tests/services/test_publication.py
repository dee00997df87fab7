"""Publication of a case convicted of the SFO: the anonymisation check and the published snapshot."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import ProcessInstance, PublishedReport
from app.services import anonymisation, publication, tasks
from app.services.errors import Invalid
from app.services.publication_record import CaseRecord
from tests.sfo_case import SfoCase

PERSON = "Jordan Blackwood"
TITLE = "Risk not reassessed after a move between regions"
SUMMARY = "Risk was not reassessed when the person moved home; the review recommends a transfer checklist."


def convicted_case(people, definition, **answers):
    case = SfoCase(
        people,
        definition,
        person_name=PERSON,
        crn="X654321",
        date_of_birth="1990-03-04",
        victim_names="Sam Oduya",
        person_address="14 Harbour Row, Eastleigh",
        **answers,
    )
    case.do("confirm_eligibility", eligible=True)
    case.do("allocate_reviewer", reviewer=people.reviewer.username)
    case.do("write_terms_of_reference", other_reviews=[])
    case.do("gather_evidence", staff_names="Priya Lambert")
    case.do(
        "draft_report",
        summary=f"{PERSON} was supervised for two years.",
        what_happened="Mr Blackwood moved to 14 Harbour Row in 2025.",
        recommendations=[
            {"text": "Review how risk is assessed at transfer.", "addressee": "probation_provider", "level": "local"},
            {
                "text": "Make sure the practitioner of Blackwood records home visits.",
                "addressee": "hmpps",
                "level": "national",
            },
        ],
    )
    case.do("quality_assure_report", qa_decision="approve")
    case.do(
        "record_provider_response",
        responses=[
            {
                "recommendation": 1,
                "response": "accept",
                "action": "New transfer checklist.",
                "owner": "Head of PDU",
                "target_date": "2027-06-30",
            },
            {
                "recommendation": 2,
                "response": "partly",
                "action": "Priya Lambert will audit visits.",
                "owner": "Senior manager",
                "target_date": "2027-01-31",
            },
        ],
    )
    case.court_outcome("convicted_sfo")
    return case


def clean_pack(**overrides):
    pack = {f"anonymised_{name}": f"Clean text for {title.lower()}." for name, title in publication.SECTIONS}
    pack.update(
        public_title=TITLE,
        public_summary=SUMMARY,
        anonymised_recommendations=[
            {"text": "Review how risk is assessed at transfer."},
            {"text": "Make sure the practitioner of Mr A records home visits."},
        ],
        anonymised_responses=[
            {"action": "New transfer checklist.", "owner": "Head of PDU"},
            {"action": "A practice manager will audit visits.", "owner": "Senior manager"},
        ],
        anonymised_progress_summary="The checklist is in use.",
        redaction_log=[
            {"category": "person", "original": PERSON, "replacement": "Mr A", "location": "Summary"},
            {"category": "staff", "original": "Priya Lambert", "replacement": "a practice manager"},
        ],
        anonymisation_checks=["person", "victims", "staff", "addresses"],
    )
    pack.update(overrides)
    return pack


def test_the_anonymisation_form_starts_as_the_approved_report(sfo_definition, people):
    case = convicted_case(people, sfo_definition)
    prefill = tasks.prefill_of(case.task("anonymise_report"))
    assert prefill["anonymised_summary"].startswith(PERSON)
    assert [r["text"] for r in prefill["anonymised_recommendations"]][0] == "Review how risk is assessed at transfer."
    assert prefill["anonymised_responses"][1] == {
        "action": "Priya Lambert will audit visits.",
        "owner": "Senior manager",
    }


@pytest.mark.parametrize(
    "path, change, where",
    [
        ("anonymised_summary", {"anonymised_summary": f"{PERSON} was supervised."}, "Summary"),
        ("anonymised_what_happened", {"anonymised_what_happened": "mr BLACKWOOD moved."}, "What happened"),
        (
            "anonymised_recommendations.1.text",
            {
                "anonymised_recommendations": [
                    {"text": "Fine."},
                    {"text": "Make sure the practitioner of Blackwood records visits."},
                ]
            },
            "Recommendation 2",
        ),
        (
            "anonymised_responses.1.action",
            {
                "anonymised_responses": [
                    {"action": "Fine.", "owner": "Head of PDU"},
                    {"action": "Jordan  Blackwood's visits audited.", "owner": "x"},
                ]
            },
            "The provider's response to recommendation 2 (action)",
        ),
        # The title, the summary and a response's action and owner are each shown as one paragraph, where a
        # line break is a space: a name split by one is whole on the page.
        (
            "public_summary",
            {"public_summary": "The supervision of Mr Black\nwood before the offence."},
            "The short summary for the list of published reviews",
        ),
        ("public_title", {"public_title": "The supervision of Mr Black\r\nwood"}, "The title of the published review"),
        (
            "anonymised_responses.0.owner",
            {
                "anonymised_responses": [
                    {"action": "Fine.", "owner": "Ms Lam\nbert"},
                    {"action": "A practice manager will audit visits.", "owner": "Senior manager"},
                ]
            },
            "The provider's response to recommendation 1 (action owner)",
        ),
        ("anonymised_lessons", {"anonymised_lessons": "Born 4 March 1990."}, "Lessons"),
        ("anonymised_lessons", {"anonymised_lessons": "CRN X654321 was used."}, "Lessons"),
        (
            "anonymised_good_practice",
            {"anonymised_good_practice": "Visits to Harbour Row were frequent."},
            "Good practice",
        ),
        ("anonymised_lessons", {"anonymised_lessons": "Sam Oduya was not protected."}, "Lessons"),
        (
            "anonymised_progress_summary",
            {"anonymised_progress_summary": "Priya Lambert has audited visits."},
            "The provider's progress summary",
        ),
    ],
)
def test_anonymisation_is_refused_while_an_identifier_remains(sfo_definition, people, path, change, where):
    case = convicted_case(people, sfo_definition)
    task = case.task("anonymise_report")
    with pytest.raises(Invalid) as refused:
        tasks.complete_task(people.publication, task.id, clean_pack(**change))
    message = refused.value.fields[path][0]
    assert message.startswith(f"{where} still contains ")
    for value in (PERSON, "Blackwood", "X654321", "1990", "Harbour", "Oduya", "Lambert"):
        assert value not in message
    assert case.task("anonymise_report").state == "ready"  # nothing changed


def test_the_number_of_recommendations_must_not_change(sfo_definition, people):
    case = convicted_case(people, sfo_definition)
    with pytest.raises(Invalid) as refused:
        tasks.complete_task(
            people.publication,
            case.task("anonymise_report").id,
            clean_pack(anonymised_recommendations=[{"text": "Only one."}]),
        )
    assert "2 recommendations" in refused.value.fields["anonymised_recommendations"][0]


def publish(case, people, pack=None):
    case.do("anonymise_report", **(pack or clean_pack()))
    case.do(
        "provide_progress_summary",
        progress_summary="The checklist is in use.",
        progress_as_at="2027-03-01",
        recommendation_progress=[
            {"recommendation": 1, "status": "done"},
            {"recommendation": 2, "status": "in_progress"},
        ],
    )
    case.do("coordinate_publication", publication_date="2027-03-01", coordination_notes="No other reviews")
    case.do("approve_publication", publish_approved=True)
    case.do("publish_report", published_on="2027-03-01")
    return db.session.scalar(select(PublishedReport))


def test_a_check_reads_only_the_other_cases_whose_reference_the_text_may_hold(sfo_definition, people):
    """Each check read every other case's reference (50,000 rows at 50,000 cases, 390 ms of a completion): it
    now reads, by the tails of the references the text may hold, only the cases that could match."""
    for reference in ("SFO-OTHER-1", "NPS-N-2026-0077", "SFO-2027-0042"):
        SfoCase(people, sfo_definition, reference)
    case = convicted_case(people, sfo_definition)
    checked = CaseRecord(case.row).case_for_check()

    def keys_of(*references: str) -> frozenset[str]:
        return anonymisation.reference_keys(references)

    def keys_read(text: str) -> frozenset[str]:
        return anonymisation.with_other_cases(checked, [text])[anonymisation.OTHER_CASES]

    assert keys_read("Risk was not reassessed in 2026.") == frozenset()
    assert keys_read("As in NPS N 2026 77, risk was not reassessed.") == anonymisation.reference_keys(
        ["NPS-N-2026-0077"]
    )
    assert keys_read("See sfo/2027/42 and SFO OTHER 1.") == anonymisation.reference_keys(
        ["SFO-2027-0042", "SFO-OTHER-1"]
    )
    with pytest.raises(TypeError):  # a lookup never reaches the gate unread, where it would find nothing
        anonymisation.identifiers(checked)


def test_a_case_written_without_its_reference_tails_is_still_read_by_every_check(sfo_definition, people):
    """A row written other than through the model (a restore, a bulk load) has no tails: every check reads it."""
    other = SfoCase(people, sfo_definition, "NPS-N-2026-0078")
    db.session.execute(
        update(ProcessInstance)
        .where(ProcessInstance.id == other.row.id)
        .values(reference_tail=None, reference_tail_unpadded=None)
    )
    case = convicted_case(people, sfo_definition)
    checked = anonymisation.with_other_cases(CaseRecord(case.row).case_for_check(), ["Nothing to see."])
    assert checked[anonymisation.OTHER_CASES] == anonymisation.reference_keys(["NPS-N-2026-0078"])


def test_a_convicted_case_is_published_after_redaction(sfo_definition, people):
    case = convicted_case(people, sfo_definition)
    report = publish(case, people)
    assert report is not None and report.slug == "2027-001" and report.year == 2027
    text = repr(report.content) + report.title
    for value in (PERSON, "Blackwood", "Lambert", "Oduya", "X654321", "Harbour", case.row.business_key):
        assert value not in text
    [first, second] = report.content["recommendations"]
    assert second["text"] == "Make sure the practitioner of Mr A records home visits."
    assert (first["response"], first["progress"], second["action"]) == (
        "Accepted",
        "Done",
        "A practice manager will audit visits.",
    )
    assert report.content["progress_summary"] == "The checklist is in use."
    case.do("tag_themes", themes=["risk_assessment", "mappa"])
    assert (case.row.outcome, report.themes) == ("Published", ["risk_assessment", "mappa"])


def test_approval_is_refused_while_the_providers_progress_summary_names_the_person(sfo_definition, people):
    case = convicted_case(people, sfo_definition)
    case.do("anonymise_report", **clean_pack(anonymised_progress_summary=""))
    case.do("provide_progress_summary", progress_summary=f"{PERSON}'s case was audited.")
    case.do("coordinate_publication")
    with pytest.raises(Invalid) as refused:
        case.do("approve_publication", publish_approved=True)
    assert refused.value.fields["anonymised_progress_summary"][0].startswith(
        "The provider's progress summary still contains"
    )
    case.do("approve_publication", publish_approved=False, publication_comments="Anonymise the progress summary.")
    revise = case.task("revise_anonymisation")
    assert tasks.prefill_of(revise)["anonymised_progress_summary"] == f"{PERSON}'s case was audited."
    case.do("revise_anonymisation", **clean_pack(anonymised_progress_summary="Mr A's case was audited."))
    case.do("approve_publication", publish_approved=True)
    case.do("publish_report", published_on="2027-03-01")
    report = db.session.scalar(select(PublishedReport))
    assert report.content["progress_summary"] == "Mr A's case was audited."


def test_an_acquitted_case_is_never_published(sfo_definition, people):
    case = SfoCase(people, sfo_definition)
    case.to_conviction_check()
    case.court_outcome("acquitted")
    case.do("tag_themes")
    assert case.row.outcome == "Closed unpublished"
    assert db.session.scalar(select(PublishedReport)) is None
    with pytest.raises(publication.NotPublishable):
        publication.publish_snapshot(case.row, "someone")
