import json
from pathlib import Path

import pytest

from app.engine import DefinitionInvalid, parse_process_model
from app.models.users import LANE_GROUPS

DATA = Path(__file__).resolve().parent.parent / "data"


def _files(**replace):
    files = {p.name: p.read_bytes() for p in DATA.iterdir() if p.is_file()}
    bpmn = files["small.bpmn"].decode()
    for old, new in replace.items():
        assert old in bpmn or old == "missing", old
        bpmn = bpmn.replace(old, new)
    files["small.bpmn"] = bpmn.encode()
    return files


def _problems(files):
    with pytest.raises(DefinitionInvalid) as error:
        parse_process_model(files, LANE_GROUPS)
    return [str(p) for p in error.value.problems]


def test_small_process_parses_with_forms():
    model = parse_process_model(_files(), LANE_GROUPS)
    assert model.key == "small" and model.start_form().schema["title"] == "Notify"


def test_doctype_and_entities_are_refused():
    files = _files()
    files["small.bpmn"] = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    assert any("DOCTYPE" in p for p in _problems(files))


def test_every_problem_is_listed_together():
    problems = _problems(
        _files(
            **{
                "triage_due = add_working_days(today(), 2)": "import os\ntriage_due = 1",
                "eligible == True": "eligible.__class__",
                'value="triage.schema.json"': 'value="nowhere.schema.json"',
                'name="manager"': 'name="nobody"',
            }
        )
    )
    text = "\n".join(problems)
    assert "imports are not allowed" in text
    assert "__class__" in text
    assert "nowhere.schema.json" in text
    assert "lane 'nobody'" in text


def test_invalid_bpmn_is_reported_with_file():
    files = _files()
    files["small.bpmn"] = b"<definitions><process id='x'/></definitions>"
    problems = _problems(files)
    assert problems and all("small.bpmn" in p for p in problems)


def test_broken_form_json_is_reported():
    files = _files()
    files["triage.schema.json"] = b"{not json"
    assert any("triage.schema.json" in p and "JSON" in p for p in _problems(files))


def test_a_form_whose_pattern_the_matcher_cannot_take_is_refused():
    files = _files()
    field = {"type": "string", "title": "CRN", "pattern": "^(x)\\1$"}  # a backreference
    schema = {"type": "object", "properties": {"crn": field, "rows": {"type": "array", "items": {"type": "object"}}}}
    schema["properties"]["rows"]["items"]["patternProperties"] = {"^(x|xy)*$": {"type": "string"}}
    files["triage.schema.json"] = json.dumps(schema).encode()
    problems = [p for p in _problems(files) if "triage.schema.json" in p]
    assert len(problems) == 2 and all("pattern" in p for p in problems)
    assert any("^(x)\\1$" in p and "properties.crn" in p for p in problems)


def _nested(levels):
    """A form of groups inside groups, written as text (json.dumps itself would recurse)."""
    return ('{"type": "object", "properties": {"x": ' * levels + '{"type": "string"}' + "}}" * levels).encode()


@pytest.mark.parametrize("levels", [10_000, 500, 30])
def test_a_form_nested_too_deeply_is_refused_with_a_clear_message(levels):
    files = _files()
    files["triage.schema.json"] = _nested(levels)
    problems = [p for p in _problems(files) if "triage.schema.json" in p]
    assert problems and all("nested more than 40 levels deep" in p for p in problems)


def _triage(eligible, **defs):
    schema = {"type": "object", "required": ["eligible"], "properties": {"eligible": eligible}}
    return json.dumps({**schema, "$defs": defs} if defs else schema).encode()


YES_NO = {"type": "boolean", "title": "Is this an SFO?"}
CHAIN = {f"d{n}": {"type": "object", "properties": {"x": {"$ref": f"#/$defs/d{n + 1}"}}} for n in range(30)}


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (
            _triage({"$ref": "#/$defs/missing"}),
            "'#/$defs/missing' at properties.eligible points to nothing",
        ),
        (_triage({"$ref": "https://example.org/form.json"}), "points outside the form"),
        (_triage({"$ref": "#/$defs/a"}, a={"$ref": "#/$defs/b"}, b={"$ref": "#/$defs/a"}), "leads back to"),
        (_triage({"$ref": "#/$defs/a"}, a={"allOf": [{"$ref": "#/$defs/a"}]}), "leads back to"),
        (_triage({"type": "object", "properties": {"again": {"$ref": "#"}}}), "leads back to"),
        (_triage({"$ref": "#/$defs/d0"}, **CHAIN, d30=YES_NO), "nested more than 40 levels deep"),
        (_triage({"$id": "https://example.org/other", **YES_NO}), "has an $id of its own"),
    ],
    ids=["to-nothing", "elsewhere", "loop", "loop-through-allOf", "to-the-top", "too-long-a-chain", "inner-id"],
)
def test_a_form_whose_references_break_or_loop_is_refused_with_a_clear_message(schema, message):
    files = _files()
    files["triage.schema.json"] = schema
    problems = [p for p in _problems(files) if "triage.schema.json" in p]
    assert problems and any(message in p for p in problems), problems


def test_a_form_may_refer_to_its_own_definitions():
    files = _files()
    files["triage.schema.json"] = _triage({"$ref": "#/$defs/yes_no"}, yes_no=YES_NO)
    assert parse_process_model(files, LANE_GROUPS).start_form() is not None


def test_the_main_file_is_the_one_that_declares_the_process_not_one_that_mentions_it():
    from app.engine.definitions import main_bpmn_file

    declares = b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="sfo" /></definitions>'
    mentions = (
        b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="other">'
        b'<callActivity id="sfo" calledElement="sfo" /></process></definitions>'
    )
    assert main_bpmn_file({"a_calls.bpmn": mentions, "b_main.bpmn": declares}, "sfo") == "b_main.bpmn"
    crafted = "<process " + " id=x" * 50_000  # took the old pattern minutes; not XML at all
    assert main_bpmn_file({"a.bpmn": crafted, "b.bpmn": declares.decode()}, "sfo") == "b.bpmn"
