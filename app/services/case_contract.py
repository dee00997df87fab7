"""The SFO data contract: the case variables this service's own code reads from a case of the SFO
process (pages, report, anonymisation gate, publication, lessons, access rules), each with what it is
for. The process owner may change the diagram and forms freely, but a deploy of the SFO process that no
longer sets one of these is refused, naming the variable and what would stop working (bpmn/README.md,
"The data the service reads"). Other processes have no contract: the service reads nothing of theirs."""

from __future__ import annotations

from ..engine.definitions import ProcessModel, produced_names

SFO_PROCESS_KEY = "sfo_review"

READ_BY_THE_SERVICE: dict[str, str] = {
    # who and what the case is about
    "case_reference": "the case's reference: messages, pages and the API find the case by it",
    "provider_org": "the notifying provider: its staff see the case and do its provider tasks",
    "other_providers": "the other providers that supervised the person: their staff see the case and answer "
    "the recommendations addressed to them",
    "person_name": "the inbox's search, and the anonymisation gate's first check",
    "date_of_birth": "the anonymisation gate",
    "crn": "the anonymisation gate",
    "pnc": "the anonymisation gate",
    "person_address": "the anonymisation gate",
    "victim_names": "the anonymisation gate",
    "staff_names": "the anonymisation gate",
    "offence_category": "case pages, monitoring and the lessons figures",
    "offence_description": "case pages",
    "eligible": "the case's outcome when it is not an SFO, and the acceptWhen of the court-outcome and "
    "other-review-published listeners",
    "reviewer": "who reviews the case: their tasks and what they may see",
    # the review
    "what_happened": "the report",
    "done_differently": "the report: what should have been done differently and why it was not",
    "failures": "the report, the failures search and the lessons figures",
    "good_practice": "the report's good practice section and the lessons digest",
    "lessons_for_dissemination": "the report and the lessons digest",
    "overall_judgement": "the report",
    "recommendations": "the report, the provider's response rows and recommendation tracking",
    "qa_decision": "the report's versions: which draft quality assurance approved or returned",
    "qa_comments": "the report's versions: what quality assurance asked to change",
    "other_reviews": "liaison with other agencies' reviews, on the case page and in the report",
    # after the report
    "report_sent_on": "recommendation tracking starts from the day the report was sent",
    "responses": "the provider's response to each recommendation, in the report and on the public page",
    "recommendation_progress": "progress against each recommendation, in the report",
    "progress_summary": "the report's progress section",
    "progress_as_at": "the report's progress section",
    "themes": "the review's themes, for the lessons figures and the digest",
    "recommendation_themes": "the themes of each recommendation, for the lessons figures",
    # the court outcome and publication
    "court_outcome": "whether the report may be published (a conviction for the SFO)",
    "outcome_date": "the published report's conviction date",
    "outcome_known": "the publication record",
    "anonymised_summary": "the published report",
    "anonymised_recommendations": "the published report",
    "anonymised_responses": "the published report",
    "anonymised_progress_summary": "the published report",
    "public_title": "the published report's title on the public list (checked by the anonymisation gate)",
    "public_summary": "the published report's summary on the public list (checked by the anonymisation gate)",
    "redaction_log": "the anonymisation gate and the approver's view of what was removed",
    "publish_approved": "the publication approval the publish step checks",
    "publication_date": "the published report's date",
}


def missing_variables(model: ProcessModel) -> dict[str, str]:
    """The contract's variables the SFO process no longer sets (none for other processes)."""
    if model.key != SFO_PROCESS_KEY:
        return {}
    produced = produced_names(model)
    return {name: use for name, use in READ_BY_THE_SERVICE.items() if name not in produced}
