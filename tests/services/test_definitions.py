"""The one rule for a version's main BPMN file, where the monitoring diagram used to follow another."""

from app.models import ProcessDefinition
from app.services.definitions import main_bpmn

DECLARES = "<definitions xmlns='http://www.omg.org/spec/BPMN/20100524/MODEL'><process id='sfo' /></definitions>"
CALLS = (
    '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="other">'
    '<callActivity id="sfo" calledElement="sfo" /></process></definitions>'
)


def test_the_diagram_shown_is_the_file_that_declares_the_process():
    """The monitoring pages looked for the text id="sfo": they drew the file whose call activity has that
    id, and missed a process declared with single quotes; the editor, export and API read the XML."""
    definition = ProcessDefinition(key="sfo", bpmn={"a_calls.bpmn": CALLS, "b_main.bpmn": DECLARES})
    assert main_bpmn(definition) == DECLARES


def test_a_version_without_the_process_shows_its_first_file_and_one_without_files_none():
    assert main_bpmn(ProcessDefinition(key="gone", bpmn={"b.bpmn": DECLARES, "a.bpmn": CALLS})) == CALLS
    assert main_bpmn(ProcessDefinition(key="sfo", bpmn={})) is None
