"""The `ivr` command line: dialogs check and schema, results export, the demo, and `ivr serve` itself."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.cli import main
from ivr.sim.asterisk import SimulatedAsterisk
from ivr.sim.caller import Caller, HangUp, Press
from ivr.sim.sounds import SoundLibrary
from ivr.store.results import ResultsRepository

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    dialogs = tmp_path / "dialogs"
    shutil.copytree(REPO / "dialogs", dialogs)
    values = {
        "IVR_DATA_DIR": str(tmp_path / "data"),
        "IVR_DIALOGS_DIR": str(dialogs),
        "IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'ivr.db'}",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def test_dialogs_check_passes_the_shipped_dialogs(env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["dialogs", "check"])
    assert result.exit_code == 0, result.output
    assert "3 files checked, 0 errors" in result.output
    assert "has no audio yet" in result.output  # nothing rendered in this fresh data dir


def test_dialogs_check_names_file_line_and_column_and_fails(env: dict[str, str]) -> None:
    survey = Path(env["IVR_DIALOGS_DIR"]) / "default" / "survey.yaml"
    survey.write_text(survey.read_text().replace("yes_key: 1", "yes_key: 11"))
    result = CliRunner().invoke(main, ["dialogs", "check", str(survey)])
    assert result.exit_code == 1
    line = next(n for n, text in enumerate(survey.read_text().splitlines(), 1) if "yes_key: 11" in text)
    assert f"{survey}:{line}:" in result.output
    assert "question 'losning'" in result.output


def test_dialogs_schema_is_json_schema(env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["dialogs", "schema"])
    schema = json.loads(result.output)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert "questions" in schema["properties"]


def test_the_demo_prints_a_swedish_summary_and_stores_calls(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_database = Path(env["IVR_DATABASE_URL"].removeprefix("sqlite:///"))
    own_database.write_bytes(b"")  # the bot's own database: the demo must not touch it
    result = CliRunner().invoke(main, ["demo", "--calls", "8", "--data-dir", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert "8 simulerade samtal" in result.output
    assert "Fullföljda:" in result.output
    assert "Svar med rösten:" in result.output
    assert own_database.exists()
    demo_url = f"sqlite:///{tmp_path / 'demo' / 'demo.db'}"
    repo = ResultsRepository(demo_url)
    try:
        assert len(repo.responses()) == 8
    finally:
        repo.close()

    monkeypatch.setenv("IVR_DATABASE_URL", demo_url)
    # Into files: click before 8.2 (which gTTS pins) mixes the count on stderr into a runner's stdout.
    jsonl, csv = tmp_path / "export.jsonl", tmp_path / "export.csv"
    CliRunner().invoke(main, ["results", "export", "--format", "jsonl", "--out", str(jsonl)])
    rows = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert len(rows) == 8
    CliRunner().invoke(main, ["results", "export", "--format", "csv", "--out", str(csv)])
    lines = csv.read_text().strip().splitlines()
    assert lines[0].count(",") > 5
    assert len(lines) == 9


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("ivr serve did not start listening")


def test_ivr_serve_answers_calls_reloads_on_sighup_and_stops_on_sigterm(env: dict[str, str]) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "ivr.cli", "serve", "--port", str(port)],
        env={**os.environ, **env},
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    try:
        _wait_for_port(port, process)
        asterisk = SimulatedAsterisk("127.0.0.1", port, sounds=SoundLibrary())
        trace = asyncio.run(asterisk.place_call("survey", Caller([Press("5"), HangUp(during_prompt=True)])))
        assert trace.bot_closed

        survey = Path(env["IVR_DIALOGS_DIR"]) / "default" / "survey.yaml"
        survey.write_text(survey.read_text().replace("id: kontaktcenter-enkat", "id: omladdad"))
        process.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        asyncio.run(asterisk.place_call("survey", Caller([HangUp(during_prompt=True)])))

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
    stderr = process.stderr.read().decode() if process.stderr else ""
    assert "Traceback" not in stderr, stderr
    assert "dialogs reloaded" in stderr
    repo = ResultsRepository(env["IVR_DATABASE_URL"])
    try:
        dialogs = [record.response.dialog_id for record in repo.responses()]
    finally:
        repo.close()
    assert sorted(dialogs) == ["kontaktcenter-enkat", "omladdad"]


def test_prompts_build_renders_every_prompt_once(env: dict[str, str]) -> None:
    first = CliRunner().invoke(main, ["prompts", "build"])
    assert first.exit_code == 0, first.output
    assert " 0 failed" in first.output
    again = CliRunner().invoke(main, ["prompts", "build"])
    assert again.output.startswith("0 rendered")
    check = CliRunner().invoke(main, ["dialogs", "check"])
    assert check.exit_code == 0
    assert "has no audio yet" not in check.output


def test_inbound_preview_prints_what_the_caller_hears(env: dict[str, str]) -> None:
    open_hours = ["inbound", "preview", "--queue", "kontaktcenter", "--at", "2026-11-23 10:00"]
    long_wait = CliRunner().invoke(main, [*open_hours, "--position", "3", "--wait", "1300"])
    assert long_wait.exit_code == 0, long_wait.output
    assert long_wait.output.splitlines() == [
        "Du har plats nummer tre i kön.",
        "Beräknad väntetid är ungefär tjugo minuter.",
        "Tryck 1 om du vill att vi ringer upp dig. Du behåller din plats i kön.",
    ]
    short_wait = CliRunner().invoke(main, [*open_hours, "--position", "1", "--wait", "45"])
    assert short_wait.output.splitlines() == [
        "Du är först i kön.",
        "Beräknad väntetid är mindre än en minut.",
    ]
    saturday = [
        "inbound",
        "preview",
        "--queue",
        "kontaktcenter",
        "--position",
        "1",
        "--at",
        "2026-11-28 10:00",
    ]
    closed = CliRunner().invoke(main, saturday)
    assert "Vi öppnar igen på måndag klockan sju." in closed.output
    unknown = CliRunner().invoke(main, ["inbound", "preview", "--queue", "bygglov", "--position", "1"])
    assert unknown.exit_code != 0
    assert "unknown queue 'bygglov'" in unknown.output
