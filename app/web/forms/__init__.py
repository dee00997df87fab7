"""Task forms (JSON Schema + UI schema) as GOV.UK Frontend pages that work without JavaScript.

parsed = parse_form(schema, ui_schema, request.form)        # (data, errors), plus .values
action = list_action(request.form)                          # "add:<list>" / "remove:<item>" / None
if action:
    values, errors = apply_form_action(schema, parsed.values, action), {}
else:
    errors = merge_errors(parsed.errors, validate_form_data(schema, parsed.data))
html = render_form(schema, ui_schema, {**prefill, **values}, errors)
summary = error_summary_items(errors, schema, ui_schema)    # govukErrorSummary errorList
"""

from .actions import apply_form_action, list_action
from .errors import FORM_ERRORS, error_summary_items, merge_errors
from .parse import ParsedForm, parse_form
from .render import FORM_ACTION, FORM_ANCHOR, render_form

__all__ = [
    "FORM_ACTION",
    "FORM_ANCHOR",
    "FORM_ERRORS",
    "ParsedForm",
    "apply_form_action",
    "error_summary_items",
    "list_action",
    "merge_errors",
    "parse_form",
    "render_form",
]
