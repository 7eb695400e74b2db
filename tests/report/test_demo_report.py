"""`ivr demo` ends by writing the report into its data directory and printing the path."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.cli import main

DIALOGS = Path(__file__).resolve().parents[2] / "dialogs"


def test_the_demo_writes_the_report_and_prints_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IVR_DATA_DIR", str(tmp_path / "data"))
    shutil.copytree(DIALOGS, tmp_path / "dialogs")  # as the other demo test: the run never sees the repo's
    monkeypatch.setenv("IVR_DIALOGS_DIR", str(tmp_path / "dialogs"))
    monkeypatch.setenv("IVR_DATABASE_URL", f"sqlite:///{tmp_path / 'ivr.db'}")
    result = CliRunner().invoke(main, ["demo", "--calls", "6", "--data-dir", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    printed = re.search(r"Rapporten \(HTML, CSV och diagram\): (\S+)", result.output)
    assert printed is not None, result.output
    html = Path(printed.group(1))
    assert html == tmp_path / "demo" / "report" / "rapport.html"
    assert "Kommunerna i rangordning" in html.read_text(encoding="utf-8")
    with (html.parent / "kommuner.csv").open(encoding="utf-8") as fp:
        assert sum(int(row["svar"]) for row in csv.DictReader(fp)) == 6
    queue_day = re.search(r"Ködag: (\d+) inkommande samtal", result.output)
    assert queue_day is not None, result.output
    with (html.parent / "koer_samtal.csv").open(encoding="utf-8") as fp:
        [queue] = list(csv.DictReader(fp))  # the queue day's calls through /inbound, with their waits
    assert (queue["kommun"], queue["ko"]) == ("norrtalje", "kontaktcenter")
    assert queue["samtal"] == queue_day.group(1)
    assert int(queue["besvarade"]) + int(queue["avbrutna"]) > 0
    assert int(queue["jamforda_samtal"]) > 0
