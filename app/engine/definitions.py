"""Parse and check a set of BPMN, DMN and form files into a runnable process model.

Everything a process owner uploads passes through ``parse_process_model``: XML is parsed with
DTDs and entities refused, the BPMN is validated against the schema and parsed by SpiffWorkflow,
every expression is compiled in the sandbox, and every form a task names must exist and be a
valid JSON Schema. All problems are collected and raised together.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from copy import deepcopy
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask, MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import AdHocSubprocess
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser, SpiffProcessParser

from ..form_model.files import is_ui_schema
from ..form_model.patterns import schema_pattern_problems
from ..form_model.references import MAX_DEPTH, depth_problem, reference_problems
from .sandbox import UnsafeCode, compile_expression, compile_script
from .timers import without_catch_up

FORM_SCHEMA_PROPERTY = "formJsonSchemaFilename"
FORM_UI_PROPERTY = "formUiSchemaFilename"
CONDITION_PROPERTIES = ("acceptWhen", "reopenWhen")  # conditions a listener start event or an end event may carry
_SAFE_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


@dataclass(frozen=True)
class Problem:
    message: str
    file: str | None = None
    element_id: str | None = None

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.file, self.element_id) if part)
        return f"{where}: {self.message}" if where else self.message


class DefinitionInvalid(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


@dataclass
class Form:
    schema: dict[str, Any]
    ui_schema: dict[str, Any] = field(default_factory=dict)


@dataclass
class ProcessModel:
    """A parsed, checked process definition: what one deployed version runs."""

    key: str
    name: str
    spec: Any
    subprocess_specs: dict[str, Any]
    forms: dict[str, dict[str, Any]]
    settings: dict[str, Any] = field(default_factory=dict)  # the process's settings, read with setting(name)
    # Every name a lane may carry, mapped to its group id, as the model's lanes were resolved: the names
    # a diagram gives lanes elsewhere (``lane_owners``) resolve the same way, with no look-up per task.
    lanes: dict[str, str] = field(default_factory=dict)

    def all_task_specs(self) -> Iterator[Any]:
        for process in (self.spec, *self.subprocess_specs.values()):
            yield from process.task_specs.values()

    def element(self, bpmn_id: str) -> Any | None:
        """The task spec of a diagram element; for a multi-instance task, the spec of its instances."""
        return self._elements.get(bpmn_id)

    @cached_property
    def _elements(self) -> dict[str | None, Any]:
        """Each element's spec: the first with properties (a multi-instance task's instances carry them),
        else the first. Made once per model: every task read looks its element up."""
        found: dict[str | None, Any] = {}
        for spec in self.all_task_specs():
            bpmn_id = getattr(spec, "bpmn_id", None)
            if bpmn_id not in found or (task_properties(spec) and not task_properties(found[bpmn_id])):
                found[bpmn_id] = spec
        return found

    def form_for(self, task_spec: Any, data: dict[str, Any] | None = None) -> Form | None:
        """The task's form; with the task's ``data``, its options_from_task_data_var fields offer the
        options that data holds."""
        properties = task_properties(task_spec)
        schema_name = properties.get(FORM_SCHEMA_PROPERTY)
        if not schema_name or schema_name not in self.forms:
            return None
        schema = self.forms[schema_name]
        if data is not None and uses_data_options(schema):
            schema = with_data_options(schema, data)
        return Form(schema, self.forms.get(properties.get(FORM_UI_PROPERTY, ""), {}))

    def start_form(self) -> Form | None:
        for task_spec in self.spec.task_specs.values():
            if type(task_spec).__name__ == "StartEvent" and task_properties(task_spec):
                return self.form_for(task_spec)
        return None


def task_properties(task_spec: Any) -> dict[str, str]:
    extensions = getattr(task_spec, "extensions", None) or {}
    return dict(extensions.get("properties") or {})


def parse_xml(content: bytes, filename: str) -> Any:
    """Parse untrusted XML: DTDs, entities and external references are refused outright."""
    try:
        safe_xml.fromstring(content, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        message = "DOCTYPE, entity or external reference declarations are not allowed"
        raise DefinitionInvalid([Problem(message, filename)]) from None
    except safe_xml.ParseError as error:
        raise DefinitionInvalid([Problem(f"not well-formed XML ({error})", filename)]) from None
    try:
        return etree.fromstring(content, parser=_SAFE_PARSER)
    except etree.XMLSyntaxError as error:
        raise DefinitionInvalid([Problem(f"not well-formed XML ({error})", filename)]) from None


class _LaneParser(SpiffProcessParser):
    """Parses a process or sub-process where an element's own lane wins over its sub-process's lane.

    SpiffWorkflow gives every element of a sub-process the lane of the sub-process itself, so a stage
    drawn as one sub-process could only belong to one team. Here the sub-process's lane is only the
    default for elements that no lane lists.
    """

    def __init__(self, p: Any, node: Any, nsmap: Any, data_stores: Any, filename: Any = None, lane: Any = None):
        super().__init__(p, node, nsmap, data_stores, filename=filename, lane=None)
        self.default_lane = lane

    def get_lane_name(self, node_id: str) -> str | None:
        return super().get_lane_name(node_id) or self.default_lane


class _Parser(SpiffBpmnParser):
    PROCESS_PARSER_CLASS = _LaneParser


class ModelerValidator(BpmnValidator):
    """The BPMN schema, accepting what SpiffArena's modeler writes that it refuses and that changes
    nothing this service runs: a ``messageRef`` attribute on a start event (the message is named by the
    event's messageEventDefinition), a ``correlationKey`` attribute on a collaboration, and one data
    object id declared in several sub-processes (each sub-process reads its own)."""

    def validate(self, bpmn: Any, filename: str | None = None) -> None:
        self.preprocess(bpmn)
        checked = deepcopy(bpmn)
        for event in checked.iter(f"{{{BPMN_NS}}}startEvent"):
            event.attrib.pop("messageRef", None)
        for collaboration in checked.iter(f"{{{BPMN_NS}}}collaboration"):
            collaboration.attrib.pop("correlationKey", None)
        if self.validator.validate(checked):
            return
        errors = [e for e in self.validator.error_log if not _modeler_quirk(e.message)]
        if errors:
            raise ValidationException(errors[0].message, file_name=filename, line_number=errors[0].line)


def _modeler_quirk(message: str) -> bool:
    """A data object id repeated in sub-processes."""
    return "}dataObject', attribute 'id'" in message and "xs:ID" in message


# SpiffArena gives a task in a lane called "Process Initiator" to whoever started the case; so does this
# service, without a group for it.
INITIATOR_LANE = "process-initiator"
_INITIATOR_NAMES = ("process initiator", "process_initiator", "processinitiator", "process-initiator")


def lane_resolver(
    lane_groups: Mapping[str, str] | Iterable[str], lane_names: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Every name a lane may carry (a group id, the group's title when ``lane_groups`` maps ids to
    titles, or another name mapped to a group in ``lane_names``), in a case- and space-insensitive form,
    mapped to the group id."""
    pairs = lane_groups.items() if isinstance(lane_groups, Mapping) else ((g, g) for g in lane_groups)
    names: dict[str, str] = dict.fromkeys(_INITIATOR_NAMES, INITIATOR_LANE)
    for name, group in (lane_names or {}).items():
        names[lane_key(name)] = group
    for group, title in pairs:
        names[lane_key(group)] = group
        names[lane_key(title)] = group
    return names


def lane_key(name: str) -> str:
    """A lane name as lanes are compared: spaces collapsed, case folded."""
    return " ".join(str(name).split()).casefold()


def declared_lanes(files: dict[str, bytes]) -> list[str]:
    """The names of the lanes of the executable processes of the BPMN files (unreadable files skipped)."""
    names: list[str] = []
    for name in sorted(n for n in files if n.endswith(".bpmn")):
        try:
            root = parse_xml(files[name], name)
        except DefinitionInvalid:
            continue
        for process in root.iter(f"{{{BPMN_NS}}}process"):
            if process.get("isExecutable") == "true":
                names.extend(lane.get("name") for lane in process.iter(f"{{{BPMN_NS}}}lane") if lane.get("name"))
    return list(dict.fromkeys(names))


def parse_process_model(
    files: dict[str, bytes],
    known_groups: Mapping[str, str] | Iterable[str],
    primary: str | None = None,
    lane_names: Mapping[str, str] | None = None,
    strict_lanes: bool = True,
) -> ProcessModel:
    """Build a ProcessModel from uploaded files, or raise DefinitionInvalid listing every problem.

    ``known_groups`` are the user groups a lane may stand for: ids, or a mapping of id to title (a lane
    may then be named either way). Lanes are resolved to group ids here, once, so everything that reads a
    task's lane sees a group id. ``primary`` names the process that runs (SpiffArena's
    ``primary_process_id``, or the key of a deployed version); without it, or when the files have no
    executable process of that id, the first executable process of the first file runs. ``lane_names``
    maps further lane names to group ids. ``strict_lanes=False`` (a deployed version, whose groups may
    have changed since) resolves what it can and refuses no lane.
    """
    problems: list[Problem] = []
    forms = _parse_forms(files, problems)
    parser = _Parser(validator=ModelerValidator())
    bpmn_names = sorted(n for n in files if n.endswith(".bpmn"))
    if not bpmn_names:
        problems.append(Problem("no .bpmn file was given"))
    for name in sorted(n for n in files if n.endswith(".dmn")):
        _add_document(parser.add_dmn_xml, files[name], name, problems)
    process_ids: list[str] = []
    roots: dict[str, Any] = {}
    for name in bpmn_names:
        root = _add_document(parser.add_bpmn_xml, files[name], name, problems)
        if root is not None:
            process_ids.extend(_executable_process_ids(root))
            roots[name] = root
    if problems:
        raise DefinitionInvalid(problems)
    if not process_ids:
        raise DefinitionInvalid([Problem('no executable process (isExecutable="true") was found')])
    key = primary if primary in process_ids else process_ids[0]
    # Only the processes that run (the main one and those it calls) must be sound: a model folder may
    # hold other processes (tests, drafts) that no case of this process runs.
    running = _running_processes(roots.values(), key)
    for name, root in roots.items():
        problems.extend(check_flow(root, name, running))
    if problems:
        raise DefinitionInvalid(problems)
    model = _build_model(parser, key, forms, problems)
    if model is not None:
        model.settings = process_settings(list(roots.items()), key, problems)
        model.lanes = lanes = lane_resolver(known_groups, lane_names)
        resolve_lanes(model, lanes)
        groups = set(lanes.values()) if strict_lanes else None
        problems.extend(check_model(model, groups, _lane_titles(known_groups)))
    if problems:
        raise DefinitionInvalid(problems)
    assert model is not None
    return model


def produced_names(model: ProcessModel) -> set[str]:
    """Every case variable the model can set: its tasks' form fields, the names its scripts assign, message
    variables, data objects, multi-instance outputs and decision outputs."""
    names: set[str] = set()
    for process in (model.spec, *model.subprocess_specs.values()):
        names.update(getattr(process, "data_objects", None) or {})
    for task_spec in model.all_task_specs():
        form = model.form_for(task_spec)  # only forms a task shows: a form file nobody uses sets nothing
        properties = form.schema.get("properties") if form is not None else None
        names.update(properties if isinstance(properties, dict) else ())
        for kind, source in _code_of(task_spec):
            if kind == "script":
                names |= _assigned_names(source)
        for definition in _event_definitions(getattr(task_spec, "event_definition", None)):
            if getattr(definition, "message_var", None):
                names.add(definition.message_var)
        output = getattr(task_spec, "data_output", None)
        if output is not None:
            names.add(output.bpmn_id)
        dmn_engine = getattr(task_spec, "dmnEngine", None)
        if dmn_engine is not None:
            names.update(column.name for column in dmn_engine.decision_table.outputs if column.name)
    return names


def _assigned_names(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}


SETTING_NAME = re.compile(r"[a-z][a-z0-9_]{0,59}")
SETTING_READ = re.compile(r"""\bsetting\(\s*["']([^"']*)["']\s*\)""")


def process_settings(roots: list[tuple[str, Any]], process_id: str, problems: list[Problem]) -> dict[str, Any]:
    """The settings a process owner keeps on the process itself (``spiffworkflow:properties`` of the
    ``bpmn:process``): whole numbers (round limits, numbers of working days) or text, read by the
    diagram's code with ``setting("name")``."""
    settings: dict[str, Any] = {}
    for name, root in roots:
        for process in root.iter(f"{{{BPMN_NS}}}process"):
            if process.get("id") != process_id:
                continue
            for prop in process.findall(
                f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property"
            ):
                key, value = prop.get("name") or "", (prop.get("value") or "").strip()
                if not SETTING_NAME.fullmatch(key):
                    problems.append(
                        Problem(
                            f"the process setting {key!r} needs a name of lower-case letters, digits and _",
                            name,
                            process_id,
                        )
                    )
                    continue
                settings[key] = int(value) if re.fullmatch(r"-?\d{1,9}", value) else value
    for name, root in roots:
        for element in root.iter():
            if element.tag == f"{{{BPMN_NS}}}documentation":
                continue
            for used in SETTING_READ.findall(element.text or ""):
                if used not in settings:
                    problems.append(
                        Problem(
                            f"setting({used!r}) names no setting of the process",
                            name,
                            element.getparent().get("id") if element.getparent() is not None else None,
                        )
                    )
    return settings


def _add_document(add: Any, content: bytes, name: str, problems: list[Problem]) -> Any:
    try:
        root = parse_xml(content, name)
        add(root, name)
        return root
    except DefinitionInvalid as invalid:
        problems.extend(invalid.problems)
    except ValidationException as error:
        problems.append(Problem(_validation_message(error), name, getattr(error, "id", None)))
    except Exception as error:  # the library raises assorted errors on malformed documents
        problems.append(Problem(f"could not be read: {error}", name))
    return None


def _validation_message(error: ValidationException) -> str:
    return str(error.args[0]) if error.args else str(error)


def main_bpmn_file(bpmn_files: Mapping[str, str | bytes], process_id: str) -> str:
    """The file that declares the process ``process_id`` (others may hold the processes it calls),
    read from the parsed XML: a pattern over the text can be made to take minutes."""
    names = sorted(bpmn_files)
    for name in names:
        content = bpmn_files[name]
        try:
            root = parse_xml(content.encode() if isinstance(content, str) else content, name)
        except DefinitionInvalid:
            continue
        if any(process.get("id") == process_id for process in root.iter(f"{{{BPMN_NS}}}process")):
            return name
    return names[0] if names else ""


def _executable_process_ids(root: Any) -> list[str]:
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    return [p.get("id") for p in root.xpath("//bpmn:process[@isExecutable='true']", namespaces=ns)]


def executable_process_ids(content: bytes) -> list[str]:
    """The executable processes a BPMN file declares (none when it cannot be read)."""
    try:
        return _executable_process_ids(parse_xml(content, ""))
    except DefinitionInvalid:
        return []


def process_documentation(content: bytes, process_id: str) -> str:
    """The documentation of process ``process_id`` in a BPMN file ("" when it has none)."""
    try:
        root = parse_xml(content, "")
    except DefinitionInvalid:
        return ""
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        if process.get("id") == process_id:
            documentation = process.find(f"{{{BPMN_NS}}}documentation")
            return " ".join((documentation.text or "").split()) if documentation is not None else ""
    return ""


def _build_model(parser: Any, key: str, forms: dict[str, Any], problems: list[Problem]) -> ProcessModel | None:
    try:
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except ValidationException as error:
        where = getattr(error, "file_name", None), getattr(error, "id", None)
        problems.append(Problem(_validation_message(error), *where))
        return None
    except Exception as error:
        problems.append(Problem(f"the process could not be built: {error}"))
        return None
    for process in (spec, *subprocess_specs.values()):
        connect_loop_children(process)
        trigger_event_subprocesses_in_place(process)
        for task_spec in process.task_specs.values():
            for definition in _event_definitions(getattr(task_spec, "event_definition", None)):
                without_catch_up(definition)
    return ProcessModel(key, spec.description or key, spec, subprocess_specs, forms)


def connect_loop_children(process: Any) -> None:
    """Wire each loop or multi-instance task to hear when one of its instances completes.

    SpiffWorkflow makes this connection in two places only: when a loop creates its instances, and when
    it deserialises a spec. Our specs are parsed, not deserialised, and an instance's children may have
    been created by another process (another gunicorn worker, or before a restart); without the wiring
    the loop never learns that they finished and the case stalls. Connecting here, once per parsed
    model, makes every process behave alike.
    """
    for task_spec in process.task_specs.values():
        if isinstance(task_spec, LoopTask):
            child = process.task_specs[task_spec.task_spec]
            if not child.completed_event.is_connected(task_spec.merge_child):
                child.completed_event.connect(task_spec.merge_child)


def _parse_forms(files: dict[str, bytes], problems: list[Problem]) -> dict[str, dict[str, Any]]:
    forms: dict[str, dict[str, Any]] = {}
    for name in sorted(n for n in files if n.endswith(".json")):
        try:
            document = json.loads(files[name])
        except RecursionError:
            problems.append(Problem(f"nested more than {MAX_DEPTH} levels deep", name))
            continue
        except (ValueError, UnicodeDecodeError) as error:
            problems.append(Problem(f"not valid JSON ({error})", name))
            continue
        if not isinstance(document, dict):
            problems.append(Problem("a form file must hold a JSON object", name))
            continue
        too_deep = depth_problem(document)  # before anything below walks it recursively
        if too_deep is not None:
            problems.append(Problem(too_deep, name))
            continue
        document = _data_option_markers(document)
        if not is_ui_schema(name):
            patterns = schema_pattern_problems(document)  # first: the schema check compiles them with Python's re
            problems.extend(Problem(problem, name) for problem in patterns)
            if patterns:
                continue
            try:
                Draft202012Validator.check_schema(document)
            except SchemaError as error:
                problems.append(Problem(f"not a valid JSON Schema: {error.message}", name))
                continue
            problems.extend(Problem(problem, name) for problem in reference_problems(document))
        forms[name] = document
    return forms


# SpiffArena's forms may take a field's options from task data: "anyOf": ["options_from_task_data_var:x"],
# x being a list of {"value": ..., "label": ...}. Parsed into a keyword of this service, filled in when
# the form is shown or checked (``with_data_options``).
OPTIONS_FROM_DATA = "options_from_task_data_var:"
DATA_OPTIONS_KEYWORD = "x-sfo-options-from-data"
MAX_DATA_OPTIONS = 1000


def _data_option_markers(node: Any) -> Any:
    if isinstance(node, list):
        return [_data_option_markers(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: _data_option_markers(value) for key, value in node.items()}
    for keyword in ("anyOf", "oneOf"):
        options = node.get(keyword)
        placeholder = options[0] if isinstance(options, list) and len(options) == 1 else None
        if isinstance(placeholder, str) and placeholder.startswith(OPTIONS_FROM_DATA):
            del result[keyword]
            result[DATA_OPTIONS_KEYWORD] = placeholder[len(OPTIONS_FROM_DATA) :]
    return result


def uses_data_options(schema: Any) -> bool:
    if isinstance(schema, dict):
        return DATA_OPTIONS_KEYWORD in schema or any(uses_data_options(v) for v in schema.values())
    if isinstance(schema, list):
        return any(uses_data_options(v) for v in schema)
    return False


def with_data_options(schema: Any, data: dict[str, Any]) -> Any:
    """The schema with each options_from_task_data_var field offering the options ``data`` holds."""
    if isinstance(schema, list):
        return [with_data_options(item, data) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: with_data_options(value, data) for key, value in schema.items()}
    name = schema.get(DATA_OPTIONS_KEYWORD)
    if isinstance(name, str):
        result["oneOf"] = [_option(item) for item in (_list(data.get(name)))[:MAX_DATA_OPTIONS]] or [
            {"const": "", "title": "No options"}
        ]
    return result


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _option(item: Any) -> dict[str, Any]:
    if isinstance(item, dict) and "value" in item:
        return {"const": item["value"], "title": str(item.get("label", item["value"]))}
    return {"const": item, "title": str(item)}


def resolve_lanes(model: ProcessModel, lanes: dict[str, str]) -> None:
    """Replace each lane name (a group id or title) by its group id; unknown names stay for check_model."""
    for task_spec in model.all_task_specs():
        lane = getattr(task_spec, "lane", None)
        if lane is not None:
            task_spec.lane = lanes.get(lane_key(lane), lane)


def _lane_titles(known_groups: Mapping[str, str] | Iterable[str]) -> list[str]:
    if isinstance(known_groups, Mapping):
        return [f"{title} ({group})" for group, title in known_groups.items()]
    return sorted(known_groups)


def check_model(model: ProcessModel, known_groups: set[str] | None, titles: list[str] | None = None) -> list[Problem]:
    """Problems of the built model; ``known_groups`` None accepts any lane."""
    problems: list[Problem] = []
    accepted = ", ".join(titles or sorted(known_groups or ()))
    for task_spec in model.all_task_specs():
        element = getattr(task_spec, "bpmn_id", None) or task_spec.name
        for message in _task_problems(task_spec, model, known_groups, accepted):
            problems.append(Problem(message, None, element))
    return problems


def _task_problems(task_spec: Any, model: ProcessModel, known_groups: set[str] | None, accepted: str) -> Iterator[str]:
    lane = getattr(task_spec, "lane", None)
    if lane is not None and known_groups is not None and lane not in known_groups:
        yield f"lane '{lane}' does not match any user group ({accepted})"
    properties = task_properties(task_spec)
    for key in (FORM_SCHEMA_PROPERTY, FORM_UI_PROPERTY):
        form_name = properties.get(key)
        if form_name and form_name not in model.forms:
            yield f"the form file '{form_name}' is missing"
    if isinstance(task_spec, AdHocSubprocess):
        yield (
            "ad-hoc sub-processes are not supported: SpiffWorkflow rewires their definition while an instance "
            "runs, so one case would change how the next one behaves"
        )
    if type(task_spec).__name__ == "ServiceTask":
        operator = getattr(task_spec, "operation_name", None) or "a connector"
        yield (
            f"service tasks cannot run here: this service has no connector to call {operator}; "
            "use a script task (for a calculation) or a user task (for a person to do it) instead"
        )
    for kind, source in _code_of(task_spec):
        try:
            (compile_script if kind == "script" else compile_expression)(source)
        except UnsafeCode as error:
            yield f"{kind} {source!r} is refused: {error}"


def _code_of(task_spec: Any) -> Iterator[tuple[str, str]]:
    """Every piece of Python a task spec will run, as (kind, source)."""
    for attribute in ("script", "prescript", "postscript"):
        if getattr(task_spec, attribute, None):
            yield "script", getattr(task_spec, attribute)
    for condition, _ in getattr(task_spec, "cond_task_specs", []) or []:
        if condition is not None and getattr(condition, "args", None):
            yield "condition", condition.args[0]
    event_definition = getattr(task_spec, "event_definition", None)
    if isinstance(task_spec, CatchingEvent) or event_definition is not None:
        yield from _event_expressions(event_definition)
    if isinstance(task_spec, (LoopTask, MultiInstanceTask)):
        for attribute in ("cardinality", "condition"):
            if getattr(task_spec, attribute, None):
                yield "expression", getattr(task_spec, attribute)
    dmn_engine = getattr(task_spec, "dmnEngine", None)
    if dmn_engine is not None:
        yield from _decision_expressions(dmn_engine.decision_table)
    properties = task_properties(task_spec)
    for name in CONDITION_PROPERTIES:
        if properties.get(name):
            yield "condition", properties[name]


def _event_definitions(event_definition: Any) -> list[Any]:
    if event_definition is None:
        return []
    return list(getattr(event_definition, "event_definitions", None) or [event_definition])


def _event_expressions(event_definition: Any) -> Iterator[tuple[str, str]]:
    for definition in _event_definitions(event_definition):
        expression = getattr(definition, "expression", None)
        if isinstance(expression, str) and expression:
            yield "expression", expression


def _decision_expressions(table: Any) -> Iterator[tuple[str, str]]:
    for column in table.inputs:
        if column.expression:
            yield "expression", column.expression
    for rule in table.rules:
        for entry in rule.inputEntries:
            for test in entry.lhs:
                if test:
                    yield "expression", _as_comparison(test)
        for entry in rule.outputEntries:
            if entry.text:
                yield "expression", entry.text


def _as_comparison(test: str) -> str:
    """A DMN input test is either a value (compared with ==) or starts with an operator."""
    test = test.replace("?", "value")
    try:
        compile_expression(test)
        return test
    except UnsafeCode:
        return f"value {test}"


def trigger_event_subprocesses_in_place(process: Any) -> None:
    """Let a message- or signal-triggered event sub-process start without rewiring the shared spec.

    The first time such a sub-process is triggered, SpiffWorkflow connects the start task to it in
    both directions. The spec is shared by every instance of a deployed version in a process, so from
    then on every new instance in that process started the sub-process at once, as a normal path, and
    waited for it before it could end: behaviour that depended on which process had triggered what.
    Wiring the sub-process's own side (its input from the start, its output to the end) before any
    instance runs is all the trigger needs, and it then leaves the start task's outputs alone.
    """
    for name in process.start.trigger_specs:
        event_subprocess = process.task_specs[name]
        if process.start.name not in event_subprocess._inputs:
            event_subprocess._inputs.append(process.start.name)
        if process.end.name not in event_subprocess._outputs:
            event_subprocess.connect(process.end)


# --- flow checks on the XML: gateways and reachability --------------------------------------------

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_SPLITTING = ("exclusiveGateway", "inclusiveGateway")
_NOT_FLOW_NODES = {
    "sequenceFlow",
    "laneSet",
    "lane",
    "flowNodeRef",
    "documentation",
    "extensionElements",
    "incoming",
    "outgoing",
    "conditionExpression",
    "dataObject",
    "dataObjectReference",
    "dataStoreReference",
    "textAnnotation",
    "association",
    "ioSpecification",
    "property",
    "dataInputAssociation",
    "dataOutputAssociation",
    "multiInstanceLoopCharacteristics",
    "standardLoopCharacteristics",
    "group",
    "childLaneSet",
}


def _running_processes(roots: Iterable[Any], key: str) -> set[str]:
    """``key`` and every process its call activities call, directly or not, among the files' processes."""
    processes = {p.get("id"): p for root in roots for p in root.iter(f"{{{BPMN_NS}}}process")}
    running, todo = set(), [key]
    while todo:
        current = todo.pop()
        if current in running or current not in processes:
            continue
        running.add(current)
        todo.extend(a.get("calledElement") for a in processes[current].iter(f"{{{BPMN_NS}}}callActivity"))
    return running


def check_flow(root: Any, file_name: str, only: set[str] | None = None) -> list[Problem]:
    """Gateways that can get stuck and elements no path reaches, per executable process (of ``only``,
    when given)."""
    problems: list[Problem] = []
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        if process.get("isExecutable") != "true" or (only is not None and process.get("id") not in only):
            continue
        problems.extend(Problem(m, file_name, e) for e, m in _gateway_problems(process))
        problems.extend(Problem(m, file_name, e) for e, m in _unreachable(process))
        problems.extend(Problem(m, file_name, e) for e, m in _data_object_problems(process))
    return problems


def _data_object_problems(process: Any) -> Iterator[tuple[str, str]]:
    """Data object references SpiffWorkflow can resolve: to a data object of their own process or
    sub-process, or of the one just around it. (It looks no further, and for a reference it cannot resolve
    inside a sub-process it loops for ever: such a diagram would hang the deploy.)"""
    for reference in process.iter(f"{{{BPMN_NS}}}dataObjectReference"):
        container = reference.getparent()
        places = [container] + ([container.getparent()] if container is not process else [])
        wanted = reference.get("dataObjectRef")
        if not any(o.get("id") == wanted for place in places for o in place if _local(o) == "dataObject"):
            yield (
                reference.get("id"),
                (
                    f"the data object '{wanted}' must be defined in this process or sub-process, or in the one just "
                    "around it"
                ),
            )


def _local(element: Any) -> str:
    return str(etree.QName(element).localname) if isinstance(element.tag, str) else ""


def _flows(container: Any) -> list[Any]:
    return [c for c in container if _local(c) == "sequenceFlow"]


def _gateway_problems(process: Any) -> Iterator[tuple[str, str]]:
    leaving: dict[str, list[Any]] = {}
    for flow in process.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        leaving.setdefault(flow.get("sourceRef"), []).append(flow)
    for gateway in process.iter(*(f"{{{BPMN_NS}}}{kind}" for kind in _SPLITTING)):
        outgoing = leaving.get(gateway.get("id"), [])
        if len(outgoing) < 2:
            continue
        default = gateway.get("default")
        condition = f"{{{BPMN_NS}}}conditionExpression"
        bare = [f.get("id") for f in outgoing if f.get("id") != default and f.find(condition) is None]
        if bare:
            yield gateway.get("id"), f"the gateway's flows {', '.join(bare)} have no condition and are not its default"
        elif not default:
            yield gateway.get("id"), "the gateway has no default flow: a case where no condition holds would be stuck"


def _flow_nodes(container: Any) -> list[Any]:
    return [
        c
        for c in container
        if isinstance(c.tag, str) and etree.QName(c).namespace == BPMN_NS and _local(c) not in _NOT_FLOW_NODES
    ]


def _unreachable(process: Any) -> Iterator[tuple[str, str]]:
    edges: dict[str, set[str]] = {}
    starts: list[str] = []
    _collect_edges(process, edges, starts, top=True)
    reached, todo = set(), list(starts)
    while todo:
        current = todo.pop()
        if current not in reached:
            reached.add(current)
            todo.extend(edges.get(current, ()))
    for node in process.iter():
        if node is process or not isinstance(node.tag, str) or node.get("id") is None or node.get("id") in reached:
            continue
        parent = node.getparent()
        is_flow_node = etree.QName(node).namespace == BPMN_NS and _local(node) not in _NOT_FLOW_NODES
        if is_flow_node and parent is not None and _is_flow_container(parent):
            yield node.get("id"), "no path from a start event reaches this element"


def _is_flow_container(element: Any) -> bool:
    return _local(element) in ("process", "subProcess", "transaction", "adHocSubProcess")


def _collect_edges(container: Any, edges: dict[str, set[str]], starts: list[str], top: bool) -> None:
    links: dict[str, list[str]] = {}
    throws: list[tuple[str, str]] = []
    for flow in _flows(container):
        edges.setdefault(flow.get("sourceRef"), set()).add(flow.get("targetRef"))
    for node in _flow_nodes(container):
        node_id, kind = node.get("id"), _local(node)
        if kind == "startEvent" and (top or container.get("triggeredByEvent") != "true"):
            starts.append(node_id)
        if kind == "boundaryEvent":
            edges.setdefault(node.get("attachedToRef"), set()).add(node_id)
        if kind in ("subProcess", "transaction", "adHocSubProcess"):
            _collect_edges(node, edges, [], top=False)
            inner = [n.get("id") for n in _flow_nodes(node) if _local(n) == "startEvent" or (kind == "adHocSubProcess")]
            inner += [n.get("id") for n in _flow_nodes(node) if n.get("triggeredByEvent") == "true"]
            edges.setdefault(node_id, set()).update(inner)
            if node.get("triggeredByEvent") == "true" and top:
                starts.append(node_id)
        if kind == "subProcess" and node.get("triggeredByEvent") == "true":
            starts.append(node_id) if top else edges.setdefault(container.get("id"), set()).add(node_id)
        link = node.find(f"{{{BPMN_NS}}}linkEventDefinition")
        if link is not None:
            name = link.get("name") or node.get("name") or ""
            if kind == "intermediateCatchEvent":
                links.setdefault(name, []).append(node_id)
            else:
                throws.append((node_id, name))
    for node_id, name in throws:
        edges.setdefault(node_id, set()).update(links.get(name, []))
