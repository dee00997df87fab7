"""The dashboard (/monitoring), its charts (SVG, one endpoint each) and the incidents list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import Response, abort, current_app, render_template

from ...form_model.fields import humanise
from ...services.definitions import element_names, get_latest_definition, latest_definition, main_bpmn
from ...services.monitoring import dashboard as figures
from ...services.operations import latest_worker_pass
from ...services.runtime import london_today, now
from ...services.tracking import overdue_recommendations
from ..auth import signed_in_user
from . import charts, monitoring

SFO_PROCESS = "sfo_review"
HISTORY_SECONDS = 300  # the monthly figures are recalculated at most every 5 minutes


@monitoring.get("")
def dashboard() -> str:
    user = signed_in_user()
    board = figures.dashboard(user, london_today(), now(), _history_seconds())
    latest = latest_definition(SFO_PROCESS)  # None before the SFO process is deployed
    names = element_names(latest, board.heatmap) if latest else {}
    return render_template(
        "monitoring/dashboard.html",
        title="Monitoring",
        board=board,
        waiting=[
            (names.get(bpmn_id, bpmn_id), count, board.overdue_by_element.get(bpmn_id, 0))
            for bpmn_id, count in board.heatmap.items()
        ],
        section="dashboard",
        total_open=sum(board.open_by_stage.values()),
        worker=_worker_state(),
        overdue_actions=overdue_recommendations(user, london_today(), limit=0)[0],
    )


def _worker_state() -> dict[str, object]:
    """When the background worker last completed a pass, and whether that is longer ago than readiness allows."""
    last = latest_worker_pass()
    limit = float(current_app.config["SFO_READY_WORKER_SECONDS"]) or 10 * current_app.config["SFO_WORKER_INTERVAL"]
    return {"last_pass": last, "late": last is None or (now() - last).total_seconds() > limit}


@monitoring.get("/incidents")
def incidents() -> str:
    return render_template(
        "monitoring/incidents.html", title="Cases in error", incidents=figures.incidents(), section="incidents"
    )


def _history_seconds() -> float:
    return float(current_app.config.get("SFO_MONITORING_HISTORY_SECONDS", HISTORY_SECONDS))


def _history() -> figures.History:
    return figures.history_cache.get(london_today(), now(), _history_seconds())


def _month_label(month: str) -> str:
    return dt.date.fromisoformat(month + "-01").strftime("%b %Y")


def _open_by_stage() -> bytes:
    counts = figures.open_cases_by_stage()
    return charts.horizontal_bars([humanise(s) for s in counts], list(counts.values()))


def _overdue_by_stage() -> bytes:
    counts = figures.overdue_by_stage(london_today())
    return charts.horizontal_bars([humanise(s) for s in counts], list(counts.values()), charts.RED)


def _overdue_by_team() -> bytes:
    counts = figures.overdue_by_team(london_today())
    return charts.horizontal_bars([humanise(s) for s in counts], list(counts.values()), charts.RED)


def _timeliness() -> bytes:
    months = _history().timeliness
    return charts.line([_month_label(m.month) for m in months], [m.share for m in months], percent=True)


def _extensions() -> bytes:
    months = _history().extensions
    labels = [_month_label(m.month) for m in months]
    return charts.grouped_columns(labels, {"Extensions granted": [m.granted for m in months]})


def _durations() -> bytes:
    rows = _history().durations
    return charts.grouped_columns(
        [humanise(r.stage) for r in rows],
        {"Average": [round(r.average or 0, 1) for r in rows], "90th percentile": [r.p90 or 0 for r in rows]},
    )


def _workload() -> bytes:
    rows = figures.workload_by_reviewer(london_today())
    return charts.horizontal_bars([r.reviewer for r in rows], [r.ready_tasks for r in rows])


def _outcomes() -> bytes:
    counts = _history().outcomes
    return charts.horizontal_bars([humanise(o) for o in counts], list(counts.values()), charts.GREEN)


def _throughput() -> bytes:
    months = _history().throughput
    return charts.grouped_columns(
        [_month_label(m.month) for m in months],
        {"Notified": [m.notified for m in months], "Closed": [m.closed for m in months]},
    )


CHARTS: dict[str, Callable[[], bytes]] = {
    "open-by-stage": _open_by_stage,
    "overdue-by-stage": _overdue_by_stage,
    "overdue-by-team": _overdue_by_team,
    "timeliness": _timeliness,
    "extensions": _extensions,
    "durations": _durations,
    "workload": _workload,
    "outcomes": _outcomes,
    "throughput": _throughput,
}


@monitoring.get("/charts/<name>.svg")
def chart(name: str) -> Response:
    draw = CHARTS.get(name)
    if draw is None:
        abort(404)
    response = Response(draw(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


@monitoring.get("/diagram.bpmn")
def latest_diagram() -> Response:
    """The BPMN of the latest SFO version: the dashboard's heatmap is drawn on it."""
    return bpmn_response(main_bpmn(get_latest_definition(SFO_PROCESS)))


def bpmn_response(xml: str | None) -> Response:
    if not xml:
        abort(404)
    return Response(xml, mimetype="application/xml", headers={"Cache-Control": "private, max-age=300"})
