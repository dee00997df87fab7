"""A manager downloads a case's whole record from its page in a real browser, with and without
JavaScript; the page passes axe, and the dashboard says when the worker last ran."""

from __future__ import annotations

import json
import zipfile

import pytest

from app import worker
from app.extensions import db
from tests.sfo_case import SfoCase


@pytest.mark.parametrize("javascript", [True, False])
def test_a_manager_downloads_the_whole_record_from_the_case_page(people, app, sfo_definition, person, javascript):
    case = SfoCase(people, sfo_definition, "SFO-ZIP-1", person_name="Robin Ashdown")
    case.do("confirm_eligibility", eligible=True)
    worker.run_once(app)
    db.session.commit()
    manager = person(people.manager, javascript=javascript)
    manager.visit("/monitoring")
    assert "The background worker last completed a pass at" in manager.page.inner_text("#worker-status")
    manager.visit("/cases/SFO-ZIP-1")
    with manager.page.expect_download() as download:
        manager.page.get_by_role("link", name="Download the whole record of case SFO-ZIP-1 (zip)").click()
    assert download.value.suggested_filename == "sfo-case-SFO-ZIP-1-record.zip"
    with zipfile.ZipFile(download.value.path()) as bundle:
        record = json.loads(bundle.read("record.json"))
    assert record["case"]["reference"] == "SFO-ZIP-1" and record["data"]["person_name"] == "Robin Ashdown"
    assert [a["bpmn_id"] for a in record["answers"]] == ["confirm_eligibility"]
    manager.visit("/cases/SFO-ZIP-1")
    assert "record-exported" not in manager.page.content()  # the history says it in words
    assert "downloaded the case's whole record" in manager.page.inner_text("body")
