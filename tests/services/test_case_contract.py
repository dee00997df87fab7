"""The SFO data contract: the case variables the service reads are declared, set by the shipped SFO
process, and a deploy that stops setting one is refused before it can break a case."""

from __future__ import annotations

import json
import re

import pytest

from app.services import case_contract
from app.services.definitions import check_files, read_library
from app.services.errors import Invalid
from tests.conftest import DATA, ROOT


def _sfo_files() -> dict[str, bytes]:
    return read_library(ROOT / "bpmn", ROOT / "forms")


def test_the_shipped_sfo_process_sets_every_variable_the_service_reads(app):
    model = check_files(_sfo_files(), "sfo_review")
    assert case_contract.missing_variables(model) == {}


def test_a_form_that_loses_a_field_the_service_reads_is_refused_naming_it(app):
    files = _sfo_files()
    schema = json.loads(files["draft_report.schema.json"])
    del schema["properties"]["overall_judgement"]
    schema["required"] = [name for name in schema.get("required", []) if name != "overall_judgement"]
    files["draft_report.schema.json"] = json.dumps(schema).encode()
    with pytest.raises(Invalid) as refused:
        check_files(files, "sfo_review")
    assert refused.value.fields == {
        "overall_judgement": [
            "No form field or script sets 'overall_judgement' any more; the service reads it for the report."
        ]
    }


def test_other_processes_have_no_contract(app):
    assert case_contract.missing_variables(check_files(read_library(DATA))) == {}


def test_every_variable_is_documented_for_process_owners():
    readme = (ROOT / "bpmn" / "README.md").read_text()
    section = readme.split("## The data the service reads", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE))
    assert documented == set(case_contract.READ_BY_THE_SERVICE)
