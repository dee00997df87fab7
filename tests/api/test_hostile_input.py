"""Hostile or absurd input through the API: a clear 4xx with the error body, nothing changed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ProcessInstance
from tests.api.test_sfo_paths import _notification

HUGE = 10**30


def _cases() -> int:
    return db.session.scalar(select(func.count()).select_from(ProcessInstance)) or 0


@pytest.mark.parametrize("field", ["first_court_appearance", "charge_date", "offence_date", "supervision_start"])
def test_a_date_far_in_the_future_is_refused_not_left_in_error(api, people, sfo_definition, field):
    data = _notification(sfo_definition, "SFO-FAR-1", **{field: "9999-12-31"})
    answer = api.post(
        "/process-instances",
        people.provider,
        {"process_key": "sfo_review", "business_key": "SFO-FAR-1", "data": data},
        expect=422,
    )
    assert field in answer["error"]["fields"]
    assert "between" in answer["error"]["fields"][field][0]
    assert _cases() == 0


def test_a_date_long_ago_is_refused(api, people, sfo_definition):
    data = _notification(sfo_definition, "SFO-OLD-1", date_of_birth="0001-01-01")
    answer = api.post(
        "/process-instances",
        people.provider,
        {"process_key": "sfo_review", "business_key": "SFO-OLD-1", "data": data},
        expect=422,
    )
    assert "date_of_birth" in answer["error"]["fields"]


@pytest.mark.parametrize(
    "body",
    [
        '{"name": "\\ud800", "business_key": "x"}',
        '{"process_key": "\\udfff"}',
        '{"data": {"\\ud83d": 1}, "process_key": "sfo_review"}',
    ],
)
def test_a_lone_surrogate_in_json_is_a_bad_request(api, people, sfo_definition, body):
    for path in ("/messages", "/process-instances"):
        response = api.call("POST", path, people.team, data=body, content_type="application/json")
        assert response.status_code == 400, (path, response.get_data(as_text=True))
        assert "surrogate" in response.get_json()["error"]["message"]


def test_a_lone_surrogate_in_the_query_string_is_a_bad_request(api, people):
    response = api.call("GET", "/process-instances?business_key=%ED%A0%80", people.team)
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("path", ["/process-instances", "/tasks"])
def test_huge_page_numbers_are_validation_errors(api, people, path):
    answer = api.get(path, people.team, expect=422, page=HUGE)
    assert "page" in answer["error"]["fields"]


@pytest.mark.parametrize(
    "path",
    [
        f"/process-instances/{HUGE}",
        f"/process-instances/{HUGE}/events",
        f"/process-definitions/sfo_review/versions/{HUGE}/bpmn",
    ],
)
def test_huge_ids_in_paths_are_not_found(api, people, path):
    answer = api.get(path, people.manager, expect=404)
    assert answer["error"]["code"] == "not_found"


def test_unknown_keys_inside_list_rows_are_refused_not_stored(api, people, sfo_definition):
    review = {"agency": "Safer Northtown", "review_type": "domestic_homicide_review", "smuggled": "x" * 100}
    data = _notification(sfo_definition, "SFO-ROW-1", other_reviews=[review])
    answer = api.post(
        "/process-instances",
        people.provider,
        {"process_key": "sfo_review", "business_key": "SFO-ROW-1", "data": data},
        expect=422,
    )
    assert answer["error"]["fields"] == {"other_reviews.0.smuggled": ["This is not a field of this form."]}
    assert _cases() == 0
