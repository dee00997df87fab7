"""The SFO diagram that process owners read: a short top level of stages (sub-processes), lanes named for
people, one deadline pattern, and listeners for what can come at any time. And the engine facts the
structure relies on, each with the model parsed again and the state reloaded between steps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from lxml import etree

from app.clock import FrozenClock
from app.demo import notification_dates
from app.engine import DefinitionInvalid, Engine, parse_process_model
from app.engine.listeners import listeners_of, on_side_path
from app.engine.reopen import reopen, reopens
from app.models.users import GROUP_TITLES, LANE_GROUPS
from app.services.definitions import read_library
from app.services.sample_data import sample_for

ROOT = Path(__file__).resolve().parent.parent.parent
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
NOT_FLOW_ELEMENTS = {"sequenceFlow", "laneSet", "documentation", "extensionElements", "dataObject"}
STAGES = [
    "eligibility",
    "scoping",
    "liaison",
    "drafting",
    "provider_response",
    "conviction_check",
    "publication",
    "closure",
]


def _process():
    root = etree.parse(str(ROOT / "bpmn" / "sfo_review.bpmn")).getroot()
    return root.find(f"{BPMN}process[@id='sfo_review']")


def _local(element):
    return etree.QName(element).localname


def test_the_top_level_has_at_most_40_flow_elements_and_every_stage_is_a_sub_process():
    process = _process()
    elements = [e for e in process if isinstance(e.tag, str) and _local(e) not in NOT_FLOW_ELEMENTS]
    assert len(elements) <= 40, [e.get("id") for e in elements]
    sub_processes = [e.get("id") for e in elements if _local(e) == "subProcess" and e.get("triggeredByEvent") != "true"]
    assert sub_processes == STAGES
    tasks = [e.get("id") for e in elements if _local(e) == "userTask"]
    assert tasks == []  # every person's task (and its deadline timers) is inside a stage or a listener
    on_stages = [(e.get("attachedToRef"), _local(e[-1])) for e in elements if _local(e) == "boundaryEvent"]
    assert on_stages == [("publication", "messageEventDefinition")]  # a court outcome that stops publication


def test_lanes_are_named_for_people():
    names = {lane.get("name") for lane in _process().iter(f"{BPMN}lane")}
    assert names <= set(GROUP_TITLES.values()) and {"SFO team", "Quality assurance"} <= names


def test_the_court_outcome_is_listened_for_by_a_non_interrupting_event_sub_process():
    listener = _process().find(f"{BPMN}subProcess[@id='court_outcome_listener']")
    assert listener.get("triggeredByEvent") == "true"
    start = listener.find(f"{BPMN}startEvent")
    assert start.get("isInterrupting") == "false"
    assert start.find(f"{BPMN}messageEventDefinition").get("messageRef") == "message_court_outcome"


def test_every_deadline_uses_the_one_pattern():
    """Each task with a due date: a reminder and an overdue timer, each raising its deadline message."""
    root = etree.parse(str(ROOT / "bpmn" / "sfo_review.bpmn")).getroot()
    boundaries = {b.get("attachedToRef"): [] for b in root.iter(f"{BPMN}boundaryEvent")}
    for boundary in root.iter(f"{BPMN}boundaryEvent"):
        boundaries[boundary.get("attachedToRef")].append(boundary)
    with_due = [
        t for t in root.iter(f"{BPMN}userTask") if any(p.get("name") == "dueDate" for p in t.iter("{*}property"))
    ]
    assert len(with_due) == 14  # gather_evidence and liaise_with_other_review too (issue 15)
    ends = {e.get("id"): e for e in root.iter(f"{BPMN}endEvent")}
    flows = {f.get("sourceRef"): f.get("targetRef") for f in root.iter(f"{BPMN}sequenceFlow")}
    for task in with_due:
        raised = sorted(
            ends[flows[b.get("id")]].find(f"{BPMN}messageEventDefinition").get("messageRef")
            for b in boundaries[task.get("id")]
            if b.get("cancelActivity") == "false"
        )
        assert raised == ["message_deadline_overdue", "message_deadline_reminder"], task.get("id")


def test_task_ids_that_others_rely_on_are_kept():
    model = _model()
    ids = {getattr(s, "bpmn_id", None) for s in model.all_task_specs()}
    assert {
        "confirm_eligibility",
        "allocate_reviewer",
        "write_terms_of_reference",
        "liaise_with_other_review",
        "gather_evidence",
        "draft_report",
        "quality_assure_report",
        "resolve_qa_returns",
        "record_provider_response",
        "chase_court_outcome",
        "review_long_wait",
        "anonymise_report",
        "provide_progress_summary",
        "coordinate_publication",
        "approve_publication",
        "revise_anonymisation",
        "resolve_publication_returns",
        "publish_report",
        "tag_themes",
        "await_court_outcome",
        "court_outcome_received",
        "chase_timer",
    } <= ids


# --- lanes --------------------------------------------------------------------------------------------


def _model():
    return parse_process_model(read_library(ROOT / "bpmn", ROOT / "forms"), LANE_GROUPS)


def test_a_task_keeps_its_own_lane_inside_a_sub_process_and_lanes_resolve_to_group_ids():
    lanes = {s.bpmn_id: s.lane for s in _model().all_task_specs() if type(s).__name__ == "UserTask"}
    assert lanes["allocate_reviewer"] == "sfo-team" and lanes["write_terms_of_reference"] == "reviewer"  # scoping
    assert lanes["quality_assure_report"] == "quality-assurer" and lanes["resolve_qa_returns"] == "manager"
    assert lanes["provide_progress_summary"] == "provider" and lanes["anonymise_report"] == "publication"
    assert lanes["gather_evidence"] == "reviewer"  # no lane of its own: the sub-process's lane
    assert lanes["overdue_task_escalation"] == "manager"


def test_a_lane_that_names_no_group_is_refused_listing_the_names_a_lane_may_have():
    files = read_library(ROOT / "bpmn", ROOT / "forms")
    files["sfo_review.bpmn"] = files["sfo_review.bpmn"].replace(b'name="Quality assurance"', b'name="QA people"')
    with pytest.raises(DefinitionInvalid) as refused:
        parse_process_model(files, LANE_GROUPS)
    message = str(refused.value)
    assert (
        "lane 'QA people' does not match any user group" in message and "Quality assurance (quality-assurer)" in message
    )


# --- behaviour with the model parsed again between steps ---------------------------------------------------


class Steps:
    """One case, each step in a fresh engine on a freshly parsed model."""

    def __init__(self, **answers):
        self.clock = FrozenClock(dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC))
        self.engine = Engine(self.clock)
        model = _model()
        data = sample_for(model.start_form().schema, {"other_reviews": []}, self.clock.now().date())
        data.update(
            notification_dates(self.clock.now().date()), case_reference="SFO-1", provider_org="north", **answers
        )
        instance = self.engine.new_instance(model, data)
        instance.run()
        self.state = self.engine.dump(instance)

    def load(self):
        return self.engine.load(_model(), self.state)

    def act(self, action):
        instance = self.load()
        result = action(instance)
        self.state = self.engine.dump(instance)
        return result

    def do(self, bpmn_id, **answers):
        def complete(instance):
            task = next(t for t in instance.ready_human_tasks() if t.bpmn_id == bpmn_id)
            instance.complete_task(task.id, sample_for(task.form.schema, answers, self.clock.now().date()))

        self.act(complete)

    def message(self, name, payload):
        return self.act(lambda instance: instance.deliver_message(name, payload))

    def ready(self):
        return sorted(t.bpmn_id for t in self.load().ready_human_tasks())

    def to_conviction_check(self):
        if "confirm_eligibility" in self.ready():
            self.do("confirm_eligibility", eligible=True)
        self.do("allocate_reviewer", reviewer="reviewer1")
        self.do("write_terms_of_reference", other_reviews=[])
        self.do("gather_evidence")
        self.do("draft_report")
        self.do("quality_assure_report", qa_decision="approve")
        self.do("record_provider_response")


def test_a_listener_that_ran_in_another_process_ends_cleanly_there():
    """SpiffWorkflow wires a message-started event sub-process when it first runs: a case reloaded by a
    process that never ran it failed at its end ('No input task connected')."""
    steps = Steps()
    steps.do("confirm_eligibility", eligible=True)
    steps.do("allocate_reviewer", reviewer="reviewer1")
    steps.do("write_terms_of_reference", other_reviews=[])
    assert steps.message("other-review-added", {"agency": "Northshire SAB", "review_type": "other"})
    steps.do("liaise_with_added_review")  # ends the listener, in a fresh engine
    assert steps.load().errors() == []
    assert [r["agency"] for r in steps.load().data()["added_reviews"]] == ["Northshire SAB"]


def test_listeners_leave_nothing_waiting_until_their_message_comes():
    steps = Steps()
    steps.do("confirm_eligibility", eligible=True)
    instance = steps.load()
    assert instance.waiting_message_names() == []  # the court outcome listener is not a wait
    assert {(item.message, item.accept_when) for item in listeners_of(instance.model)} == {
        ("court-outcome", "eligible"),
        ("other-review-added", "other_reviews_open"),
        ("other-review-published", "eligible"),
        ("deadline-reminder", None),
        ("deadline-overdue", None),
    }
    assert steps.message("court-outcome", {"court_outcome": "acquitted", "outcome_date": "2027-02-26"})
    instance = steps.load()
    assert instance.waiting_message_names() == [] and instance.errors() == []
    assert instance.data()["court_outcomes"][0]["court_outcome"] == "acquitted"


def test_an_outcome_kept_early_is_used_by_the_conviction_check_without_waiting():
    steps = Steps()
    steps.do("confirm_eligibility", eligible=True)
    steps.message("court-outcome", {"court_outcome": "convicted_sfo", "outcome_date": "2027-02-26"})
    steps.to_conviction_check()
    assert steps.ready() == ["anonymise_report", "provide_progress_summary"]
    assert steps.load().data()["court_outcome"] == "convicted_sfo"


def test_side_paths_do_not_overwrite_the_case_data():
    """An escalation carries the data of the moment its path began; the case's newer values win."""
    steps = Steps()
    steps.do("confirm_eligibility", eligible=True)
    steps.do("allocate_reviewer", reviewer="reviewer1")
    steps.clock.set(dt.datetime(2027, 3, 20, 9, tzinfo=dt.UTC))  # terms of reference overdue
    steps.act(lambda instance: instance.run())
    assert "overdue_task_escalation" in steps.ready()
    reviews = [{"agency": "Northshire CSP", "review_type": "domestic_homicide_review"}]
    steps.do("write_terms_of_reference", other_reviews=reviews)
    instance = steps.load()
    escalation = next(t for t in instance.workflow.get_tasks() if t.task_spec.name == "overdue_task_escalation")
    assert on_side_path(escalation) and escalation.data["other_reviews"] == []
    assert [r["agency"] for r in instance.data()["other_reviews"]] == ["Northshire CSP"]


def test_a_closed_unpublished_case_reopens_at_its_last_decision():
    steps = Steps()
    steps.to_conviction_check()
    steps.message("court-outcome", {"court_outcome": "acquitted", "outcome_date": "2027-02-26"})
    steps.do("tag_themes")
    closed = steps.load()
    assert (closed.is_completed, closed.outcome()) == (True, "Closed unpublished")
    assert not reopens(closed, "court-outcome", {"court_outcome": "convicted_other"})
    conviction = {"court_outcome": "convicted_sfo", "outcome_date": "2027-03-01"}
    assert reopens(closed, "court-outcome", conviction)
    steps.act(lambda instance: reopen(instance, "court-outcome", conviction))
    reopened = steps.load()
    assert (reopened.is_completed, reopened.outcome()) == (False, None)
    assert steps.ready() == ["anonymise_report", "provide_progress_summary"]
    assert [o["court_outcome"] for o in reopened.data()["court_outcomes"]] == ["acquitted", "convicted_sfo"]
    for bpmn_id in (
        "anonymise_report",
        "provide_progress_summary",
        "coordinate_publication",
        "approve_publication",
        "publish_report",
    ):
        steps.do(bpmn_id, publish_approved=True, publication_date="2027-03-01")
    done = steps.load()
    assert (done.is_completed, done.outcome()) == (True, "Published")
    assert not reopens(done, "court-outcome", conviction)


def test_a_data_object_reference_spiffworkflow_cannot_resolve_is_refused_instead_of_hanging():
    """SpiffWorkflow loops for ever on a reference inside a sub-process that it cannot resolve."""
    import signal

    def stuck(*_):  # type: ignore[no-untyped-def]
        raise TimeoutError("the parse hung")

    files = read_library(ROOT / "bpmn", ROOT / "forms")
    files["sfo_review.bpmn"] = files["sfo_review.bpmn"].replace(
        b'id="conviction_court_outcomes" dataObjectRef="court_outcomes"',
        b'id="conviction_court_outcomes" dataObjectRef="look_for_court_outcome"',
    )
    previous = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(60)
    try:
        with pytest.raises(DefinitionInvalid) as refused:
            parse_process_model(files, LANE_GROUPS)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert "conviction_court_outcomes" in str(refused.value) and "look_for_court_outcome" in str(refused.value)
