"""The report's queue figures from `inbound_calls` and `callback_requests`, on known data worked out by
hand."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session

from ivr.report.data import load_figures, local_period
from ivr.report.figures import QueueCallFigures
from ivr.report.render import render_html, write_report
from ivr.store.database import Database
from ivr.store.tables import InboundCall

from .conftest import utc
from .scenario import fill_march

MARCH = local_period(date(2026, 3, 1), date(2026, 3, 31))


def inbound(
    uniqueid: str,
    arrived_at: datetime,
    *,
    tenant: str | None = "alfa",
    queue: str = "kontaktcenter",
    announced: float | None = None,
    actual: float | None = None,
    outcome: str = "unknown",
    offered: bool = False,
    accepted: bool = False,
    result: str = "queue",
) -> InboundCall:
    return InboundCall(
        uniqueid=uniqueid, tenant=tenant, queue=queue, arrived_at=arrived_at, position=1,
        announced_wait_s=announced, offered_callback=offered, callback_accepted=accepted, result=result,
        actual_wait_s=actual, outcome=outcome, ended_at=None if actual is None else arrived_at,
    )  # fmt: skip


def fill_queue_calls(database: Database) -> None:
    """alfa/kontaktcenter, 8 calls in March:
      compared (answered, announced): 120->150 (30), 300->420 (120), 60->0 (60, the edge counts as within):
        mean announced 480/3 = 160, mean actual 570/3 = 190, mean abs error 210/3 = 70, within 2 of 3;
      answered without an announcement (45 s): answered, not compared;
      abandoned 2 (90 s without an announcement, 30 s after 200): share 2 of 6 with a known outcome;
      offered 4 (the 300 one declined, a booked callback, the unannounced abandon, closed hours), accepted 1;
      callbacks completed 2 (fill_march: done, done, expired in March; one done in February).
    alfa/bygglov: one call, 30 -> 40: error 10, within 1 of 1, abandoned 0 of 1.
    beta/kontaktcenter: one booked callback; nothing answered or abandoned; its March request is waiting.
    Left out: a February call, and a caller the queue saw without /inbound (no municipality).
    """
    day = utc("2026-03-05")
    rows = [
        inbound("1", day, announced=120, actual=150, outcome="answered"),
        inbound("2", day, announced=300, actual=420, outcome="answered", offered=True),
        inbound("3", day, announced=60, actual=0, outcome="answered"),
        inbound("4", day, announced=400, offered=True, accepted=True, result="callback"),
        inbound("5", day, actual=90, outcome="abandoned", offered=True),
        inbound("6", day, announced=200, actual=30, outcome="abandoned"),
        inbound("7", day, offered=True, result="closed"),
        inbound("8", day, actual=45, outcome="answered"),
        inbound("9", day, queue="bygglov", announced=30, actual=40, outcome="answered"),
        inbound("10", day, tenant="beta", announced=500, offered=True, accepted=True, result="callback"),
        inbound("11", utc("2026-02-20"), announced=10, actual=1000, outcome="answered"),
        inbound("12", day, tenant=None, actual=500, outcome="answered"),
    ]
    with Session(database.engine) as session:
        session.add_all(rows)
        session.commit()


ALFA_KC = QueueCallFigures(
    tenant="alfa", queue="kontaktcenter", calls=8, callbacks_offered=4, callbacks_accepted=1,
    callbacks_booked=1, callbacks_completed=2, answered=4, abandoned=2, compared=3, mean_announced_s=160.0,
    mean_actual_s=190.0, mean_abs_error_s=70.0, within_tolerance=2,
)  # fmt: skip
ALFA_BYGGLOV = QueueCallFigures(
    tenant="alfa", queue="bygglov", calls=1, callbacks_offered=0, callbacks_accepted=0, callbacks_booked=0,
    callbacks_completed=0, answered=1, abandoned=0, compared=1, mean_announced_s=30.0, mean_actual_s=40.0,
    mean_abs_error_s=10.0, within_tolerance=1,
)  # fmt: skip
BETA_KC = QueueCallFigures(
    tenant="beta", queue="kontaktcenter", calls=1, callbacks_offered=1, callbacks_accepted=1,
    callbacks_booked=1, callbacks_completed=0, answered=0, abandoned=0, compared=0, mean_announced_s=None,
    mean_actual_s=None, mean_abs_error_s=None, within_tolerance=0,
)  # fmt: skip


@pytest.fixture
def filled(database: Database) -> Database:
    fill_march(database)
    fill_queue_calls(database)
    return database


def test_queue_figures_per_municipality_and_queue(filled: Database) -> None:
    figures = load_figures(filled, MARCH)
    assert figures.queue_calls == (ALFA_BYGGLOV, ALFA_KC, BETA_KC)
    alfa = figures.queue_calls[1]
    assert alfa.abandoned_share == pytest.approx(1 / 3)
    assert alfa.within_share == pytest.approx(2 / 3)
    assert (figures.queue_calls[0].abandoned_share, figures.queue_calls[0].within_share) == (0.0, 1.0)
    assert (BETA_KC.abandoned_share, BETA_KC.within_share) == (None, None)


def test_one_municipality_and_the_whole_time(filled: Database) -> None:
    assert load_figures(filled, MARCH, tenant="beta").queue_calls == (BETA_KC,)
    whole = {(q.tenant, q.queue): q for q in load_figures(filled, local_period(None, None)).queue_calls}
    # February adds one compared call (10 -> 1000) and one completed callback to alfa/kontaktcenter.
    kc = whole[("alfa", "kontaktcenter")]
    assert (kc.calls, kc.compared, kc.callbacks_completed) == (9, 4, 3)
    assert kc.mean_abs_error_s == pytest.approx((210 + 990) / 4)


def test_the_html_and_the_csv_show_them(filled: Database, tmp_path: Path) -> None:
    figures = load_figures(filled, MARCH)
    html = render_html(figures, charts=[])
    assert "<td>alfa</td><td>kontaktcenter</td><td>8</td><td>4</td>" in html
    assert "<td>2 min 40 s</td><td>3 min 10 s</td>" in html  # 160 s announced, 190 s actual
    assert "<td>33 %</td>" in html  # abandoned
    assert "<td>67 %</td>" in html  # within ±60 s
    files = write_report(figures, tmp_path / "rapport")
    [path] = [path for path in files.csv_files if path.name == "koer_samtal.csv"]
    with path.open(encoding="utf-8") as fp:
        rows = {(row["kommun"], row["ko"]): row for row in csv.DictReader(fp)}
    kc = rows[("alfa", "kontaktcenter")]
    assert [kc["samtal"], kc["aterringning_erbjuden"], kc["aterringning_tackat_ja"]] == ["8", "4", "1"]
    assert [kc["aterringning_bokad"], kc["aterringning_genomford"]] == ["1", "2"]
    assert [kc["besvarade"], kc["avbrutna"], kc["andel_avbrutna"]] == ["4", "2", "0.3333"]
    assert [kc["utlovad_vantetid_medel_s"], kc["faktisk_vantetid_medel_s"]] == ["160.0", "190.0"]
    assert [kc["medelavvikelse_s"], kc["andel_inom_60_s"], kc["jamforda_samtal"]] == ["70.0", "0.6667", "3"]
    beta = rows[("beta", "kontaktcenter")]
    assert [beta["andel_avbrutna"], beta["utlovad_vantetid_medel_s"], beta["andel_inom_60_s"]] == ["", "", ""]
