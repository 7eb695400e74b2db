"""The report's charts as PNG bytes (matplotlib, no display needed), labelled in Swedish."""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display, no GUI toolkit

from matplotlib.figure import Figure

from ivr.report.figures import ReportFigures
from ivr.report.labels import AREA_NAMES, SENTIMENT_COLOURS, SENTIMENT_NAMES

MAX_TREND_LINES = 8  # more municipalities than this: only the overall line


@dataclass(frozen=True)
class Chart:
    name: str  # file stem, e.g. "kommuner"
    title: str
    png: bytes


def render_charts(figures: ReportFigures) -> list[Chart]:
    charts = [_ranking(figures), _sentiments(figures), _weekly(figures)]
    return [chart for chart in charts if chart is not None]


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def _ranking(figures: ReportFigures) -> Chart | None:
    rated = [group for group in figures.tenants if group.index is not None]
    if not rated:
        return None
    figure = Figure(figsize=(7, 0.5 + 0.45 * len(rated)))
    axes = figure.subplots()
    names = [group.name for group in reversed(rated)]
    values = [group.index or 0.0 for group in reversed(rated)]
    axes.barh(names, values, color="#2b6cb0")
    for position, value in enumerate(values):
        axes.text(value + 1, position, f"{value:.0f}", va="center")
    axes.set_xlim(0, 105)
    axes.set_xlabel("Nöjdhetsindex (0–100)")
    return Chart("kommuner", "Nöjdhetsindex per kommun", _png(figure))


def _sentiments(figures: ReportFigures) -> Chart | None:
    rows = [("Alla kommentarer", figures.comments)] + [
        (AREA_NAMES[area.area], area.shares) for area in figures.areas if area.shares.total
    ]
    if not figures.comments.total:
        return None
    figure = Figure(figsize=(7, 0.6 + 0.45 * len(rows)))
    axes = figure.subplots()
    labels = [label for label, _ in reversed(rows)]
    left = [0.0] * len(rows)
    for sentiment, name in SENTIMENT_NAMES.items():
        shares = [100 * (shares.share(sentiment) or 0.0) for _, shares in reversed(rows)]
        axes.barh(labels, shares, left=left, color=SENTIMENT_COLOURS[sentiment], label=name)
        left = [a + b for a, b in zip(left, shares, strict=True)]
    axes.set_xlim(0, 100)
    axes.set_xlabel("Andel av kommentarerna (%)")
    axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, frameon=False)
    return Chart("kommentarer", "Positiva, skeptiska och negativa kommentarer", _png(figure))


def _weekly(figures: ReportFigures) -> Chart | None:
    lines = {"Alla": figures.weeks} if len(figures.tenant_weeks) != 1 else {}
    if len(figures.tenant_weeks) <= MAX_TREND_LINES:
        lines.update(figures.tenant_weeks)
    rated = {name: [w for w in weeks if w.index is not None] for name, weeks in lines.items()}
    if not any(rated.values()):
        return None
    figure = Figure(figsize=(7, 3.2))
    axes = figure.subplots()
    # Weeks in order on one axis, whichever line has them.
    order = sorted({w.week for weeks in rated.values() for w in weeks})
    for name, weeks in rated.items():
        style = {"color": "#1a202c", "linewidth": 2.5, "zorder": 3} if name == "Alla" else {"alpha": 0.8}
        axes.plot([order.index(w.week) for w in weeks], [w.index or 0.0 for w in weeks], marker="o",
                  label=name, **style)  # fmt: skip
    axes.set_xticks(range(len(order)), order)
    axes.set_ylim(0, 100)
    axes.legend(loc="lower left", fontsize="small", ncols=min(4, len(rated)))
    axes.set_ylabel("Nöjdhetsindex")
    axes.tick_params(axis="x", labelrotation=45)
    return Chart("veckor", "Nöjdhetsindex per vecka", _png(figure))
