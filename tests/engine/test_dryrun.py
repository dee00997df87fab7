"""The dry run: every path of a model explored headless, with what blocks a deploy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from app.engine.definitions import parse_process_model
from app.engine.dryrun import DRY_RUN_START, Limits, dry_run
from app.engine.runtime import Instance
from app.models.users import LANE_GROUPS
from app.services.definitions import read_library
from app.services.sample_data import sample_for
from tests.api import variants

ROOT = Path(__file__).resolve().parent.parent.parent


def _run(files, limits=Limits()):  # type: ignore[no-untyped-def]
    model = parse_process_model(files, LANE_GROUPS)
    start = sample_for(model.start_form().schema, {}, DRY_RUN_START.date())
    return dry_run(model, start, sample_for, limits)


def test_small_process_reaches_both_end_events_by_each_choice():
    report = _run(variants.files())
    assert report.ok and not report.truncated
    assert report.reached == ["Done", "Not an SFO"] and report.unreached == []
    steps = {str(s) for p in report.paths for s in p.steps}
    assert "Triage the case (eligible = True)" in steps and "Triage the case (eligible = False)" in steps
    assert any(s.startswith("Timer 'Triage due soon'") for s in steps)  # boundary timers fire once
    assert any(s.startswith("Timer 'Triage overdue'") for s in steps)
    assert "Triage is overdue" in steps  # the escalation task it opens is completed


def test_sfo_model_reaches_every_end_event_without_a_blocking_path(monkeypatch):
    # Each step starts from a state as the service keeps it: compacted (finished rounds of loops dropped).
    # Stepping on the whole history made the dry run twice as slow as it is.
    complete, droppable = Instance.complete_task, []

    def compact_then_complete(instance, *args, **kwargs):  # type: ignore[no-untyped-def]
        droppable.append(instance.compact())
        return complete(instance, *args, **kwargs)

    monkeypatch.setattr(Instance, "complete_task", compact_then_complete)
    report = _run(read_library(ROOT / "bpmn", ROOT / "forms"))
    assert len(droppable) > 1000 and not any(droppable)
    assert report.reached == ["Closed unpublished", "Not an SFO", "Published"]
    assert report.ok and not report.truncated
    labels = {s.label for p in report.paths for s in p.steps}
    assert "Message 'court-outcome'" in labels
    details = {s.detail for p in report.paths for s in p.steps}
    assert "court_outcome = 'convicted_sfo'" in details and "qa_decision = 'return'" in details


def test_sfo_model_with_two_providers_reaches_every_end_event_without_a_blocking_path():
    """A case supervised by two providers: the provider response runs once for each (1,224 states, against
    1,221 for one provider, which the sampled notification names)."""
    model = parse_process_model(read_library(ROOT / "bpmn", ROOT / "forms"), LANE_GROUPS)
    start = sample_for(model.start_form().schema, {"other_providers": ["south-probation"]}, DRY_RUN_START.date())
    report = dry_run(model, start, sample_for, Limits())
    assert report.reached == ["Closed unpublished", "Not an SFO", "Published"]
    assert report.ok and not report.truncated
    answered = [sum(s.label == "Respond to the recommendations" for s in p.steps) for p in report.paths]
    assert max(answered) == 2  # one response for each provider


def test_a_script_failing_at_runtime_is_an_error_path():
    bpmn = variants.edited(
        variants.TRIAGE_SCRIPT, "<bpmn:script>triage_due = add_working_days(missing_value, 2)</bpmn:script>"
    )
    report = _run(variants.files(bpmn))
    assert not report.ok
    assert report.blocking[0].result == "error" and report.blocking[0].element_id == "set_due"


def test_a_loop_with_no_way_out_never_ends():
    # After the message, go back to wait for it again, for ever.
    bpmn = variants.edited(
        '<bpmn:sequenceFlow id="f4" sourceRef="wait_outcome" targetRef="end_done" />',
        '<bpmn:sequenceFlow id="f4" sourceRef="wait_outcome" targetRef="loop_back" />'
        '<bpmn:exclusiveGateway id="loop_back"><bpmn:incoming>f4</bpmn:incoming><bpmn:incoming>f_yes</bpmn:incoming>'
        "<bpmn:outgoing>f_again</bpmn:outgoing></bpmn:exclusiveGateway>"
        '<bpmn:sequenceFlow id="f_again" sourceRef="loop_back" targetRef="wait_outcome" />'
        '<bpmn:sequenceFlow id="f_done" sourceRef="end_start_never" targetRef="end_done" />',
    )
    bpmn = bpmn.replace('<bpmn:sequenceFlow id="f_done" sourceRef="end_start_never" targetRef="end_done" />', "")
    bpmn = bpmn.replace(
        'targetRef="wait_outcome">\n      <bpmn:conditionExpression>',
        'targetRef="loop_back">\n      <bpmn:conditionExpression>',
    )
    bpmn = bpmn.replace(
        '<bpmn:endEvent id="end_done" name="Done"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>', ""
    )
    bpmn = bpmn.replace(
        "<bpmn:flowNodeRef>end_done</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>loop_back</bpmn:flowNodeRef>"
    )
    report = _run(variants.files(bpmn))
    assert [p.result for p in report.blocking] == ["loop"]
    assert report.reached == ["Not an SFO"]


def test_exploration_is_bounded():
    report = _run(read_library(ROOT / "bpmn", ROOT / "forms"), Limits(max_states=10))
    assert report.truncated and report.states <= 11


def test_a_deadline_computed_with_datetime_now_falls_on_the_dry_runs_own_dates():
    """SpiffArena's models compute deadlines with datetime.now(): in a dry run that is the dry run's clock, so
    its timers fire where a case's would, as with the service's today()."""

    def timer_steps(script: str) -> set[str]:
        report = _run(variants.files(variants.edited(variants.TRIAGE_SCRIPT, f"<bpmn:script>{script}</bpmn:script>")))
        assert report.ok, report.problems
        return {str(s) for p in report.paths for s in p.steps if str(s).startswith("Timer ")}

    with_today = timer_steps("triage_due = add_working_days(today(), 2)")
    assert len(with_today) == 2  # the reminder and the escalation, at their moments
    # (on the machine's clock, a deadline before the dry run's start: neither timer showed at all)
    assert timer_steps("triage_due = add_working_days(datetime.now().date(), 2)") == with_today


def test_the_dry_runs_today_is_the_date_in_london():
    """At 23:30 UTC in British Summer Time it is already tomorrow in London, where the process's today() is:
    the dates the dry run tries for a form (today, and a date to come) are London's, so a condition on the
    date being today can be met."""
    bpmn = variants.edited(
        variants.ELIGIBLE_CONDITION, "<bpmn:conditionExpression>decided_on == today()</bpmn:conditionExpression>"
    )
    triage = {
        "type": "object",
        "required": ["eligible", "decided_on"],
        "properties": {"eligible": {"type": "boolean"}, "decided_on": {"type": "string", "format": "date"}},
    }
    model = parse_process_model(variants.files(bpmn, triage=triage), LANE_GROUPS)
    late_evening = dt.datetime(2027, 7, 5, 23, 30, tzinfo=dt.UTC)  # 00:30 on 6 July in London
    start = sample_for(model.start_form().schema, {}, dt.date(2027, 7, 6))
    report = dry_run(model, start, sample_for, Limits(), start=late_evening)
    assert report.reached == ["Done", "Not an SFO"] and report.unreached == []
    details = {s.detail for p in report.paths for s in p.steps}
    assert "decided_on = '2027-07-06'" in details
