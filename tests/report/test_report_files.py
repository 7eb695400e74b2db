"""The written report: self-contained HTML in Swedish, CSV files and PNG charts, through `ivr report`."""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from pathlib import Path

from click.testing import CliRunner

from ivr.cli import main
from ivr.report.data import load_figures, local_period
from ivr.report.render import render_html
from ivr.store.database import Database

from .scenario import PHONE_COMMENT, fill_march


class _References(HTMLParser):
    """Every URL-like attribute in the document."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls.extend(value or "" for name, value in attrs if name in ("src", "href", "action", "srcset"))


def test_the_html_has_no_external_references_and_says_it_in_swedish(database: Database) -> None:
    fill_march(database)
    html = render_html(load_figures(database, local_period(None, None), pseudonym_key="k"))
    parser = _References()
    parser.feed(html)
    assert parser.urls, "the charts are images"
    assert all(url.startswith("data:image/png;base64,") for url in parser.urls)
    assert "link" not in parser.tags
    assert "script" not in parser.tags
    assert not re.search(r"url\(|@import|https?://", html)
    assert 'lang="sv"' in html
    assert "aldrig för lönesättning" in html
    assert PHONE_COMMENT not in html
    assert "[TELEFONNUMMER]" in html
    assert "jämförs för besvarade samtal som fick en väntetid uppläst" in html
    assert "finns ännu inte i databasen" not in html


def test_cli_writes_html_csv_and_charts(database: Database, database_url: str, tmp_path: Path) -> None:
    fill_march(database)
    out = tmp_path / "rapport"
    result = CliRunner().invoke(
        main,
        ["report", "--out", str(out), "--from", "2026-03-01", "--to", "2026-03-31", "--show-agents"],
        env={"IVR_DATABASE_URL": database_url, "IVR_DATA_DIR": str(tmp_path)},
    )
    assert result.exit_code == 0, result.output
    assert f"Rapport: {out / 'rapport.html'}" in result.output
    assert {path.name for path in out.glob("*.png")} == {"kommuner.png", "kommentarer.png", "veckor.png"}
    assert all(path.read_bytes().startswith(b"\x89PNG") for path in out.glob("*.png"))
    with (out / "kommuner.csv").open(encoding="utf-8") as fp:
        ranking = list(csv.DictReader(fp))
    assert [(row["rang"], row["kommun"], row["svar"]) for row in ranking] == [
        ("1", "beta", "3"),
        ("2", "alfa", "4"),
    ]
    assert float(ranking[1]["nojdhetsindex"]) == round(425 / 7, 4)
    assert float(ranking[1]["andel_negativa_kommentarer"]) == round(1 / 3, 4)
    with (out / "handlaggare.csv").open(encoding="utf-8") as fp:
        assert [row["namn"] for row in csv.DictReader(fp)] == ["a1", "a2", "b1"]
    assert "Kommunerna i rangordning" in (out / "rapport.html").read_text(encoding="utf-8")


def test_cli_tenant_filter_and_bad_period(database: Database, database_url: str, tmp_path: Path) -> None:
    fill_march(database)
    env = {"IVR_DATABASE_URL": database_url, "IVR_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["report", "--tenant", "beta"], env=env)
    assert result.exit_code == 0, result.output
    with (tmp_path / "report" / "kommuner.csv").open(encoding="utf-8") as fp:
        assert [row["kommun"] for row in csv.DictReader(fp)] == ["beta"]
    bad = CliRunner().invoke(main, ["report", "--from", "2026-03-31", "--to", "2026-03-01"], env=env)
    assert bad.exit_code == 2
    assert "before --from" in bad.output
