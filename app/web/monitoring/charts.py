"""Dashboard charts drawn on the server with matplotlib (Agg) as SVG, each shown beside a table of
the same numbers. GOV.UK colours; text as text (not paths) so it stays small and selectable.

matplotlib (with numpy, some 40 MB) is imported on the first chart, not when a worker starts: most
requests never draw one.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from typing import Any

BLUE, GREEN, RED, GREY, BLACK = "#1d70b8", "#00703c", "#d4351c", "#505a5f", "#0b0c0c"


@cache
def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update(
        {
            "svg.fonttype": "none",
            "font.family": "sans-serif",
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.edgecolor": GREY,
            "text.color": BLACK,
            "svg.hashsalt": "sfo-monitoring",  # stable ids: the same numbers give the same file
        }
    )
    from matplotlib import pyplot

    return pyplot


def _svg(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    _pyplot().close(figure)
    return buffer.getvalue()


def horizontal_bars(labels: Sequence[str], values: Sequence[float], colour: str = BLUE, unit: str = "") -> bytes:
    figure, axes = _pyplot().subplots(figsize=(7, max(1.6, 0.38 * len(labels) + 0.6)))
    positions = range(len(labels))
    bars = axes.barh(list(positions), list(values), color=colour)
    axes.set_yticks(list(positions), labels=list(labels))
    axes.invert_yaxis()
    axes.bar_label(bars, labels=[f"{v:g}{unit}" for v in values], padding=3)
    axes.set_xlim(0, max([*values, 1]) * 1.15)
    axes.xaxis.set_visible(False)
    axes.spines["bottom"].set_visible(False)
    return _svg(figure)


def grouped_columns(labels: Sequence[str], series: dict[str, Sequence[float]]) -> bytes:
    colours = [BLUE, GREEN, RED, GREY]
    figure, axes = _pyplot().subplots(figsize=(8, 3.2))
    width = 0.8 / max(1, len(series))
    for index, (name, values) in enumerate(series.items()):
        offsets = [p + (index - (len(series) - 1) / 2) * width for p in range(len(labels))]
        axes.bar(offsets, list(values), width=width, label=name, color=colours[index % len(colours)])
    axes.set_xticks(list(range(len(labels))), labels=list(labels), rotation=45, ha="right")
    axes.legend(frameon=False, loc="upper left")
    return _svg(figure)


def line(labels: Sequence[str], values: Sequence[float | None], percent: bool = False) -> bytes:
    figure, axes = _pyplot().subplots(figsize=(8, 3.2))
    points = [(i, v * 100 if percent else v) for i, v in enumerate(values) if v is not None]
    if points:
        axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", color=BLUE)
    axes.set_xticks(list(range(len(labels))), labels=list(labels), rotation=45, ha="right")
    if percent:
        axes.set_ylim(0, 105)
        axes.set_ylabel("% met")
    return _svg(figure)
