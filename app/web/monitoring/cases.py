"""Every case, filtered and sorted (/monitoring/cases), as CSV, and one case for a manager."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request, stream_with_context, url_for

from ...form_model.dates import govuk_date
from ...models import ProcessInstance
from ...services import instances as instance_service
from ...services.audit import events_of
from ...services.case_providers import providers_named_in
from ...services.deadlines import extensions_of
from ...services.definitions import main_bpmn
from ...services.messages import can_reopen_publication
from ...services.monitoring.case_diagram import diagram_states
from ...services.monitoring.case_list import CaseFilters, all_cases, filter_options, list_cases
from ...services.monitoring.csv_export import cases_csv
from ...services.outbox import messages_of
from ...services.read_models import case_view_of
from ...services.runtime import london_today
from ..auth import signed_in_user
from ..cases import notification_answers, stage_records
from . import monitoring
from .dashboard import bpmn_response
from .notifications import status_texts
from .params import query_of, read_filters

COLUMNS = (  # (sort key, heading)
    ("reference", "Case"),
    ("stage", "Stage"),
    ("status", "Status"),
    ("reviewer", "Reviewer"),
    ("provider", "Provider"),
    ("version", "Version"),
    ("notified", "Notified"),
    ("due", "Next due"),
)


@monitoring.get("/cases")
def case_list() -> tuple[str, int]:
    user = signed_in_user()
    filters, errors = read_filters(request.args)
    page = list_cases(user, filters, london_today())
    return render_template(
        "monitoring/cases.html",
        title="All cases",
        page=page,
        filters=filters,
        options=filter_options(),
        errors=errors,
        error_list=[{"text": m, "href": f"#{f}-day"} for f, m in errors.items()],
        columns=COLUMNS,
        query_of=query_of,
        section="cases",
        selected=_selected_filters(filters),
    ), 400 if errors else 200


def _selected_filters(filters: CaseFilters) -> list[dict[str, Any]]:
    """The MOJ filter's 'selected filters' tags: each links to the list without that filter."""
    chosen = [
        ("Stage", "stage", filters.stage and filters.stage.replace("-", " ").capitalize()),
        ("Status", "status", filters.status and filters.status.capitalize()),
        ("Overdue", "overdue", "Overdue only" if filters.overdue else None),
        ("Reviewer", "reviewer", filters.reviewer),
        ("Provider", "provider", filters.provider),
        ("Version", "version", filters.version and f"Version {filters.version}"),
        ("Reference", "reference", filters.reference and f"Contains '{filters.reference}'"),
        ("Notified from", "notified_from", filters.notified_from and govuk_date(filters.notified_from)),
        ("Notified to", "notified_to", filters.notified_to and govuk_date(filters.notified_to)),
    ]
    selected = []
    for heading, name, text in chosen:
        if text:
            remaining = query_of(filters, page=None, **{name: None})
            if name.startswith("notified"):
                for part in ("day", "month", "year"):
                    remaining.pop(f"{name}-{part}", None)
            selected.append({"heading": heading, "text": text, "href": url_for("monitoring.case_list", **remaining)})
    return selected


@monitoring.get("/cases.csv")
def case_csv() -> Response:
    user = signed_in_user()
    filters, _ = read_filters(request.args)
    rows = all_cases(user, filters, london_today())
    response = Response(stream_with_context(cases_csv(rows)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="sfo-cases-{london_today().isoformat()}.csv"'
    return response


def _case(instance_id: int) -> ProcessInstance:
    return instance_service.get_instance(signed_in_user(), instance_id)


@monitoring.get("/cases/<id:instance_id>")
def case(instance_id: int) -> str:
    user = signed_in_user()
    row = _case(instance_id)
    view = case_view_of(user, row)
    open_tasks = instance_service.tasks_of(row, "ready")
    states = diagram_states(row)
    overlays = [
        {
            "element": t.bpmn_id,
            "name": t.name,
            "assignee": t.assignee or "Unassigned",
            "due": t.due_on.isoformat() if t.due_on else None,
            "overdue": bool(t.due_on and t.due_on < london_today()),
        }
        for t in open_tasks
    ]
    diagram = None
    if states is not None:
        diagram = {
            "completed": states.completed,
            "active": states.active,
            "errors": states.errors,
            "path": [list(pair) for pair in states.path],
            "overlays": overlays,
        }
    events = list(reversed(events_of(row)))
    return render_template(
        "monitoring/case.html",
        title=f"Case {row.business_key}",
        row=row,
        providers=providers_named_in(row),
        open_tasks=open_tasks,
        diagram=diagram,
        states=states,
        events=[e for e in events if e.kind != "notification"],
        today=london_today(),
        records=stage_records(view),
        notification=notification_answers(view),
        extensions=extensions_of(row.id),
        section="cases",
        can_reopen=can_reopen_publication(row),
        outbox=messages_of(row.id),
        **status_texts(),
    )


@monitoring.get("/cases/<id:instance_id>/diagram.bpmn")
def case_diagram(instance_id: int) -> Response:
    """The BPMN of the case's own process version."""
    return bpmn_response(main_bpmn(_case(instance_id).definition))
