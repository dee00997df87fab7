"""Hostile or absurd input on pages gets a clear 4xx, never a 500: huge numbers, digits that are not
ASCII, NUL characters, dates far in the future."""

from __future__ import annotations

import io

import pytest

from tests.conftest import make_user
from tests.services.test_model_zip import _zip

HUGE = "99999999999999999999999"


@pytest.fixture
def manager(signed_in, sfo_definition):  # type: ignore[no-untyped-def]
    return signed_in(make_user("manager"))


@pytest.fixture
def owner(signed_in, sfo_definition):  # type: ignore[no-untyped-def]
    return signed_in(make_user("process-owner"))


def _status(browser, url: str) -> int:  # type: ignore[no-untyped-def]
    browser._fresh_request()
    return browser.client.get(url).status_code


@pytest.mark.parametrize(
    "url",
    [
        f"/cases?page={HUGE}",
        f"/tasks?page={HUGE}",
        "/cases?page=%C2%B2",
        "/tasks?page=-1",
        f"/monitoring/cases?page={HUGE}",
        f"/monitoring/cases?version={HUGE}",
        "/monitoring/cases?version=%C2%B2",
        f"/monitoring/cases/{HUGE}",
        f"/monitoring/cases/{HUGE}/diagram.bpmn",
        f"/monitoring/cases/{HUGE}/suspend",
        "/monitoring/cases?notified_from-day=%C2%B2&notified_from-month=1&notified_from-year=2027",
        f"/monitoring/cases?notified_from-day=1&notified_from-month=1&notified_from-year={HUGE}",
        f"/published?year={HUGE}",
        "/published?year=0",
        f"/cases/SFO-1/report?version={HUGE}",
    ],
)
def test_huge_or_odd_numbers_on_manager_pages_are_refused_clearly(manager, url):
    status = _status(manager, url)
    assert status in (200, 400, 404), f"{url}: {status}"


@pytest.mark.parametrize(
    "url",
    [
        f"/process-models/sfo_review/versions/{HUGE}/files/sfo_review.bpmn",
        f"/process-models/sfo_review/versions/{HUGE}/export",
        f"/process-models/sfo_review/compare?new={HUGE}",
        f"/process-models/sfo_review/compare?old={HUGE}",
        f"/process-models/sfo_review/migrate?version={HUGE}",
    ],
)
def test_huge_numbers_on_process_model_pages_are_refused_clearly(owner, url):
    status = _status(owner, url)
    assert status in (400, 404), f"{url}: {status}"


def test_huge_instance_ids_in_a_migration_are_ignored(owner):
    owner.get("/process-models/sfo_review/migrate")
    owner.post("/process-models/sfo_review/migrate?version=1", [("instance", HUGE), ("instance", "²")])


def test_nul_in_sign_in_fields_is_refused(browser):
    browser.get("/sign-in")
    browser._fresh_request()
    response = browser.client.post(
        "/sign-in", data={"username": "casey\x00", "password": "x\x00", "csrf_token": browser.token}
    )
    assert response.status_code == 400 and b"NUL" in response.get_data()


def test_nul_in_a_form_field_is_refused_and_changes_nothing(signed_in, sfo_definition):
    from app.extensions import db
    from app.models import ProcessInstance

    provider = signed_in(make_user("provider"))
    provider.get("/cases/new")
    provider._fresh_request()
    response = provider.client.post(
        "/cases/new", data={"case_reference": "SFO-NUL-1", "person_name": "A\x00B", "csrf_token": provider.token}
    )
    assert response.status_code == 400 and b"NUL" in response.get_data()
    assert db.session.scalar(db.select(db.func.count()).select_from(ProcessInstance)) == 0
    provider._fresh_request()
    assert provider.client.get("/cases?reference=SFO%00").status_code == 400


def test_nul_in_an_uploaded_model_file_is_refused(owner):
    from io import BytesIO

    owner.get("/process-models/sfo_review")
    owner._fresh_request()
    response = owner.client.post(
        "/process-models/sfo_review/upload",
        data={
            "files": [(BytesIO(b'{"type": "object", "title": "a\\u0000b"}'), "extra.schema.json")],
            "csrf_token": owner.token,
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and b"NUL" in response.get_data()
    owner._fresh_request()
    response = owner.client.post(
        "/process-models/sfo_review/upload",
        data={"files": [(BytesIO(b"<definitions>\x00</definitions>"), "extra.bpmn")], "csrf_token": owner.token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and b"NUL" in response.get_data()


def test_a_damaged_model_zip_is_refused_on_the_page(signed_in, sfo_definition):
    owner = signed_in(make_user("process-owner"))
    owner.get("/process-models/new")
    owner._fresh_request()
    content = _zip({"p/process_model.json": b"[]", "p/a.bpmn": b"<definitions/>"})
    response = owner.client.post(
        "/process-models/new",
        data={"files": [(io.BytesIO(content), "p.zip")], "csrf_token": owner.token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and b"There is a problem" in response.get_data()
