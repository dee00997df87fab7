"""Task forms (JSON Schema + UI schema) as GOV.UK Frontend pages that work without JavaScript: the
rendering and the request parsing. What a form asks, answers as text, dates and the error summary are
the form model's (``app.form_model``), which services and the dry run read too.

parsed = parse_form(schema, ui_schema, request.form)        # (data, errors), plus .values
action = list_action(request.form)                          # "add:<list>" / "remove:<item>" / None
if action:
    values, errors = apply_form_action(schema, parsed.values, action), {}
else:
    errors = merge_errors(parsed.errors, validate_form_data(schema, parsed.data))   # app.form_model.errors
html = render_form(schema, ui_schema, {**prefill, **values}, errors)
summary = error_summary_items(errors, schema, ui_schema)    # app.form_model.errors: govukErrorSummary errorList
"""

from .actions import apply_form_action, list_action
from .parse import ParsedForm, parse_form
from .render import FORM_ACTION, render_form

__all__ = [
    "FORM_ACTION",
    "ParsedForm",
    "apply_form_action",
    "list_action",
    "parse_form",
    "render_form",
]
