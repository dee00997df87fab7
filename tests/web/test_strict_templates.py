"""Templates are strict: a variable a page names but its view never passed fails the page, so the test
that renders it fails; the GOV.UK macros still read their optional parameters, and users see the clean
error page."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask import render_template_string
from jinja2.exceptions import UndefinedError

BUTTON = '{% from "govuk_frontend_jinja/components/button/macro.html" import govukButton %}'


def _render(app, source: str, **context: object) -> str:  # type: ignore[no-untyped-def]
    return app.jinja_env.from_string(source).render(**context)


def test_a_name_nobody_passed_fails(app):
    with pytest.raises(UndefinedError, match="'titel' is undefined"):
        _render(app, "{{ titel }}", title="Cases")
    with pytest.raises(UndefinedError):
        _render(app, "{% if titel %}yes{% endif %}")


def test_an_attribute_an_object_lacks_fails(app):
    with pytest.raises(UndefinedError, match="has no attribute 'refrence'"):
        _render(app, "{{ row.refrence }}", row=SimpleNamespace(reference="SFO-1"))


def test_a_key_a_dict_leaves_out_is_undefined_as_the_govuk_macros_expect(app):
    assert _render(app, "{% if params.hint.text %}x{% endif %}{{ params.label is defined }}", params={}) == "False"
    button = _render(app, BUTTON + '{{ govukButton({"text": "Save", "preventDoubleClick": true}) }}')
    assert 'data-prevent-double-click="true"' in button and "Save" in button


def test_a_template_error_is_the_clean_error_page_for_the_user(app, client, monkeypatch):
    monkeypatch.setitem(app.view_functions, "pages.home", lambda: render_template_string("{{ no_such_name }}"))
    response = client.get("/")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.get_data(as_text=True)
