"""The report as one self-contained HTML file (charts inline, no external references), CSV files and PNGs."""

from __future__ import annotations

import base64
import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, ChoiceLoader, Environment, PackageLoader, select_autoescape

from ivr.nlu.labels import SENTIMENTS
from ivr.report.charts import Chart, render_charts
from ivr.report.figures import (
    FCR_QUESTION_IDS,
    HISTORY_WEEKS,
    INDEX_DROP,
    LOCAL_TIME,
    MIN_COUNT,
    NEGATIVE_RISE,
    RECENT_WEEKS,
    WAIT_TOLERANCE_S,
    Alert,
    GroupFigures,
    Period,
    ReportFigures,
)
from ivr.report.labels import AREA_NAMES, CALLBACK_STATUS_NAMES, number_text, seconds_text, share_text

ALERT_RULE = (
    f"Ett larm visas när en handläggares nöjdhetsindex under de senaste {RECENT_WEEKS} veckorna är minst "
    f"{INDEX_DROP:.0f} enheter lägre än under de {HISTORY_WEEKS} veckorna före, eller när andelen negativa "
    f"kommentarer om ett område har ökat med minst {round(100 * NEGATIVE_RISE)} procentenheter; "
    f"båda perioderna måste ha minst {MIN_COUNT} svar respektive kommentarer. Veckorna räknas bakåt från "
    "periodens slut."
)


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    csv_files: tuple[Path, ...]
    png_files: tuple[Path, ...]


@dataclass(frozen=True)
class InlineChart:
    name: str
    title: str
    base64: str


def template_environment(*extra: BaseLoader) -> Environment:
    """Jinja2 with the report's templates (and any extra loaders' first), autoescaping HTML."""
    loader = ChoiceLoader([*extra, PackageLoader("ivr.report", "templates")])
    environment = Environment(loader=loader, autoescape=select_autoescape(["html"]))
    environment.globals.update(
        share=share_text,
        num=number_text,
        area_name=lambda area: AREA_NAMES.get(area, area),
        callback_status=lambda status: CALLBACK_STATUS_NAMES.get(status, status),
        alert_text=alert_text,
        alert_rule=ALERT_RULE,
        seconds=seconds_text,
        wait_tolerance=f"{WAIT_TOLERANCE_S:.0f}",
        fcr_ids=", ".join(f"”{qid}”" for qid in FCR_QUESTION_IDS),
    )
    return environment


def period_text(period: Period) -> str:
    first = period.since.astimezone(LOCAL_TIME).date().isoformat() if period.since else "början"
    last = (
        (period.until.astimezone(LOCAL_TIME) - timedelta(days=1)).date().isoformat()
        if period.until
        else "i dag"
    )
    return f"{first} – {last}"


def alert_text(alert: Alert) -> str:
    where = f"{alert.tenant}: "
    if alert.kind == "agent":
        return (
            f"{where}{alert.subject} har nöjdhetsindex {alert.recent:.0f} de senaste {RECENT_WEEKS} veckorna "
            f"({alert.recent_count} svar) mot {alert.history:.0f} tidigare ({alert.history_count} svar)."
        )
    area = AREA_NAMES.get(alert.subject, alert.subject)
    return (
        f"{where}{area}: {share_text(alert.recent)} negativa kommentarer "
        f"de senaste {RECENT_WEEKS} veckorna ({alert.recent_count}) mot {share_text(alert.history)} "
        f"tidigare ({alert.history_count})."
    )


def template_context(figures: ReportFigures, charts: Sequence[Chart]) -> dict[str, Any]:
    return {
        "figures": figures,
        "charts": [InlineChart(c.name, c.title, base64.b64encode(c.png).decode("ascii")) for c in charts],
        "period_text": period_text(figures.period),
        "generated_text": figures.generated_at.astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M"),
    }


def render_html(figures: ReportFigures, charts: Sequence[Chart] | None = None) -> str:
    chosen = render_charts(figures) if charts is None else charts
    return template_environment().get_template("report.html").render(template_context(figures, chosen))


def write_report(figures: ReportFigures, out_dir: Path) -> ReportFiles:
    """Writes rapport.html, the CSV files and the PNG charts into `out_dir` (made if missing)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = render_charts(figures)
    pngs = []
    for chart in charts:
        path = out_dir / f"{chart.name}.png"
        path.write_bytes(chart.png)
        pngs.append(path)
    html = out_dir / "rapport.html"
    html.write_text(render_html(figures, charts), encoding="utf-8")
    return ReportFiles(html, tuple(_write_csvs(figures, out_dir)), tuple(pngs))


GROUP_COLUMNS = (
    "kommun", "namn", "svar", "fullfoljda", "andel_fullfoljda", "nojdhetsindex", "skalsvar",
    "lost_forsta_samtalet_ja", "lost_forsta_samtalet_svar", "andel_positiva_kommentarer",
    "andel_skeptiska_kommentarer",
    "andel_negativa_kommentarer",
    "klassade_kommentarer",
)  # fmt: skip


def _group_rows(groups: Iterable[GroupFigures]) -> list[list[object]]:
    return [
        [
            g.tenant,
            g.name,
            g.responses,
            g.completed,
            _round(g.completion_rate),
            _round(g.index),
            g.scale_answers,
            g.fcr_yes,
            g.fcr_answered,
            _round(g.positive_share),
            _round(g.comments.share("skeptisk")),
            _round(g.comments.share("negativ")),
            g.classified_comments,
        ]
        for g in groups
    ]


def _round(value: float | None, digits: int = 4) -> float | str:
    return "" if value is None else round(value, digits)


def _write_csvs(figures: ReportFigures, out_dir: Path) -> list[Path]:
    tables: dict[str, tuple[Sequence[str], list[list[object]]]] = {
        "kommuner": (
            ("rang", *GROUP_COLUMNS),
            [[i, *row] for i, row in enumerate(_group_rows(figures.tenants), 1)],
        ),
        "koer": (GROUP_COLUMNS, _group_rows(figures.queues)),
        "handlaggare": (
            ("rang", *GROUP_COLUMNS),
            [[i, *row] for groups in figures.agents.values() for i, row in enumerate(_group_rows(groups), 1)],
        ),
        "fragor": (
            ("enkat", "fraga", "typ", "svar", "medel", "index", "fordelning"),
            [
                [
                    d.dialog_id,
                    q.question_id,
                    q.question_type,
                    q.answered,
                    _round(q.mean_score),
                    _round(q.index),
                    " ".join(f"{v}:{n}" for v, n in q.distribution.items()),
                ]
                for d in figures.dialogs
                for q in d.questions
            ],
        ),
        "kommentarer": (
            ("omrade", "kommentarer", "positiv", "skeptisk", "negativ"),
            [["alla", figures.comments.total, *(figures.comments.counts.get(s, 0) for s in SENTIMENTS)]]
            + [
                [a.area, a.shares.total, *(a.shares.counts.get(s, 0) for s in SENTIMENTS)]
                for a in figures.areas
            ],
        ),
        "veckor": (
            ("vecka", "svar", "nojdhetsindex", "andel_positiva_kommentarer"),
            [[w.week, w.responses, _round(w.index), _round(w.positive_share)] for w in figures.weeks],
        ),
        "aterringningar": (
            ("kommun", "bokade", "genomforda", "utfall"),
            [
                [c.tenant, c.requested, c.completed, " ".join(f"{s}:{n}" for s, n in c.by_status.items())]
                for c in figures.callbacks
            ],
        ),
        "koer_samtal": (
            (
                "kommun",
                "ko",
                "samtal",
                "aterringning_erbjuden",
                "aterringning_tackat_ja",
                "aterringning_bokad",
                "aterringning_genomford",
                "besvarade",
                "avbrutna",
                "andel_avbrutna",
                "jamforda_samtal",
                "utlovad_vantetid_medel_s",
                "faktisk_vantetid_medel_s",
                "medelavvikelse_s",
                f"andel_inom_{WAIT_TOLERANCE_S:.0f}_s",
            ),
            [
                [
                    q.tenant,
                    q.queue,
                    q.calls,
                    q.callbacks_offered,
                    q.callbacks_accepted,
                    q.callbacks_booked,
                    q.callbacks_completed,
                    q.answered,
                    q.abandoned,
                    _round(q.abandoned_share),
                    q.compared,
                    _round(q.mean_announced_s, 1),
                    _round(q.mean_actual_s, 1),
                    _round(q.mean_abs_error_s, 1),
                    _round(q.within_share),
                ]
                for q in figures.queue_calls
            ],
        ),
        "larm": (
            (
                "kommun",
                "typ",
                "vem_eller_vad",
                "matt",
                "senaste",
                "tidigare",
                "antal_senaste",
                "antal_tidigare",
            ),
            [
                [
                    a.tenant,
                    a.kind,
                    a.subject,
                    a.metric,
                    _round(a.recent),
                    _round(a.history),
                    a.recent_count,
                    a.history_count,
                ]
                for a in figures.alerts
            ],
        ),
    }
    written = []
    for name, (header, rows) in tables.items():
        path = out_dir / f"{name}.csv"
        with path.open("w", encoding="utf-8", newline="") as fp:
            writer = csv.writer(fp)
            writer.writerow(header)
            writer.writerows(rows)
        written.append(path)
    return written
