"""A pinned corpus of SpiffArena-style process-model folders (tests/data/spiffarena), one for each
reason SpiffArena models used to be refused here, imported as a process owner imports them (zip, job,
dry run in a child process): which deploy, which are refused and why, and how the deployed ones run."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest

from app.api.presenters import present_events
from app.services import instances, modelling, tasks
from app.services.audit import events_of
from app.services.definitions import deploy_files
from app.services.dry_runs import fresh_job
from app.services.errors import Invalid
from app.services.runtime import now
from tests.conftest import DATA, make_user, model_files

CORPUS = DATA / "spiffarena"
LIMIT = 10_000_000
# folder: (status of its deploy job, the process deployed or a phrase of the refusal)
EXPECTED = {
    "two_processes": ("passed", "Process_main"),  # primary_process_id is not the first process
    "finance_lanes": ("failed", "lane 'Finance Team' does not match any user group"),  # until a group is made
    "instructions_only": ("passed", "Process_instructions"),  # a user task without a form, a manual task
    "group": ("passed", "Process_caller"),  # a call activity to a process of another model of the group
    "safe_helpers": ("passed", "Process_helpers"),  # timedelta, datetime, time, print, options from data
    "service_task": ("failed", "service tasks cannot run here: this service has no connector"),
    # messageRef on a start event, correlationKey on a collaboration, one data object id in two sub-processes
    "modeler_quirks": ("passed", "Process_quirks"),
}


def _zip(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.writestr(f"{folder.name}/{path.relative_to(folder)}", path.read_bytes())
    return buffer.getvalue()


def test_the_corpus_covers_every_folder():
    assert sorted(EXPECTED) == sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_each_model_of_the_corpus_deploys_or_is_refused_with_its_reason(app, dry_runs, folder):
    owner = make_user("process-owner")
    job_ids = [job.id for job in modelling.import_zip(owner, _zip(CORPUS / folder), LIMIT)]
    dry_runs()
    jobs = [fresh_job(job_id) for job_id in job_ids]
    status, expected = EXPECTED[folder]
    main = next(job for job in jobs if job.process_key != "Process_greeting")
    assert main.status == status, (main.outcome, main.problems)
    if status == "passed":
        assert main.definition is not None and main.definition.key == expected
    else:
        assert expected in str(main.problems)
        assert "NameError" not in str(main.problems)


def test_safe_helpers_run_with_the_service_clock_and_the_user_who_acted(app):
    deploy_files(model_files(CORPUS / "safe_helpers"), "system")
    team = make_user("sfo-team")
    row = instances.start_case(team, "Process_helpers", "HELP-1", {})
    assert row.data["started_by"] == team.username
    assert row.data["stamp"] == int(now().timestamp())
    # datetime.now() and utcnow() read the service clock too (SpiffArena's naive local and UTC times), so a
    # dry run and a test see the engine's time; anything else datetime offers is datetime's own
    assert row.data["now_stamp"] == now().astimezone().replace(tzinfo=None).isoformat()
    assert row.data["utc_stamp"] == now().astimezone(dt.UTC).replace(tzinfo=None).isoformat()
    assert row.data["is_a_datetime"] is True
    assert row.data["due"] == "2027-03-15T09:00:00+00:00" and row.data["local_due"] == "2027-03-15T09:00:00+00:00"
    assert row.data["local_due_again"] == row.data["local_due"]  # SpiffArena's keyword arguments too
    assert row.data["parsed"] == "2027-03-01"  # datetime.strptime works, though diagram code cannot import
    assert "printed" not in row.data and not any(key.startswith("_") for key in row.data)
    assert row.next_timer_at == now() + dt.timedelta(days=2)  # a timer given as a timedelta


def test_a_field_takes_its_options_from_task_data(app):
    deploy_files(model_files(CORPUS / "safe_helpers"), "system")
    team = make_user("sfo-team")
    row = instances.start_case(team, "Process_helpers", "HELP-2", {})
    task = instances.tasks_of(row, "ready")[0]
    form = tasks.form_of(task)
    assert form is not None
    assert form.schema["properties"]["colour"]["oneOf"] == [
        {"const": "red", "title": "Red"},
        {"const": "blue", "title": "Blue"},
    ]
    with pytest.raises(Invalid):
        tasks.complete_task(team, task.id, {"colour": "green"})
    done = tasks.complete_task(team, task.id, {"colour": "blue"})
    assert done.status == "completed" and done.data["said"] == "You chose blue"


@pytest.mark.parametrize(
    "script, refusal",
    [
        ("import time\nx = time.time()", "imports are not allowed"),
        ("time.sleep(5)", "sleep"),
        ("x = get_localtime(datetime(2027, 1, 1), '../../etc/passwd')", "not a time zone name"),
    ],
)
def test_the_restricted_rules_still_hold_for_the_new_helpers(app, script, refusal):
    files = model_files(CORPUS / "safe_helpers")
    bpmn = files["safe_helpers.bpmn"].decode()
    start, end = bpmn.index("<bpmn:script>print"), bpmn.index("</bpmn:script>")
    files["safe_helpers.bpmn"] = (bpmn[:start] + f"<bpmn:script>{script}" + bpmn[end:]).encode()
    result = modelling.check_and_dry_run(files)
    assert not result.ok
    assert refusal in str(result.problems)


def test_what_a_script_prints_is_kept_as_that_task_s_log(app):
    """SpiffArena's ``print`` writes to the task's log: here the case's audit trail, shown to managers;
    providers see that something was printed, not what (it may hold data they may not read)."""
    deploy_files(model_files(CORPUS / "safe_helpers"), "system")
    row = instances.start_case(make_user("sfo-team"), "Process_helpers", "HELP-PRINT", {})
    [event] = [e for e in events_of(row) if e.kind == "script-printed"]
    assert event.detail["printed"] == "starting\n" and "printed 1 line" in event.summary
    assert "starting" not in str(row.data)
    provider = make_user("provider")
    assert present_events(provider, [event])[0].detail is None
    manager = make_user("manager")
    assert present_events(manager, [event])[0].detail == event.detail
