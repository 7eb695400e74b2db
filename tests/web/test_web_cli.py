"""`ivr web add-user` and `ivr web export-corrections`; `ivr web` itself serves (checked over HTTP)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from ivr.cli import main
from ivr.nlu.data import load_file
from ivr.settings import Settings
from ivr.store.database import Database
from ivr.web.corrections import store_correction
from ivr.web.users import UserStore

from .test_web import _comment_ids


def _env(settings: Settings) -> dict[str, str]:
    return {
        "IVR_DATA_DIR": str(settings.data_dir),
        "IVR_DATABASE_URL": settings.effective_database_url,
        "IVR_NLU_DIR": str(settings.nlu_dir),
    }


def test_add_user_hashes_the_password_and_checks_its_input(settings: Settings) -> None:
    runner = CliRunner()
    command = ["web", "add-user", "cecilia", "--tenant", "alfa", "--password-stdin"]
    added = runner.invoke(main, command, input="hemligt-lösen1\n", env=_env(settings))
    assert added.exit_code == 0, added.output
    users = UserStore(settings.effective_web_users_file)
    assert users.authenticate("cecilia", "hemligt-lösen1") is not None
    assert "hemligt-lösen1" not in settings.effective_web_users_file.read_text(encoding="utf-8")
    assert settings.effective_web_users_file.stat().st_mode & 0o077 == 0
    both = runner.invoke(main, ["web", "add-user", "x1", "--tenant", "a", "--admin"], env=_env(settings))
    assert both.exit_code == 2
    assert "exactly one of" in both.output
    short = runner.invoke(
        main, ["web", "add-user", "dora", "--admin", "--password-stdin"], input="kort\n", env=_env(settings)
    )
    assert short.exit_code == 1
    assert "at least 10 characters" in short.output


def test_export_corrections_command(settings: Settings, filled: Database) -> None:
    comment_id = _comment_ids(filled)["beta"][0]
    store_correction(filled, comment_id, "beta", "negativ", {"upplevelse": "negativ"}, "bert")
    result = CliRunner().invoke(main, ["web", "export-corrections"], env=_env(settings))
    assert result.exit_code == 0, result.output
    (example,) = load_file(settings.nlu_dir / "data" / "corrections.yml")
    assert (example.sentiment, example.areas) == ("negativ", ("upplevelse",))


def test_ivr_web_serves_the_login_page(settings: Settings, filled: Database, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "ivr.cli", "web", "--port", str(port)],
        env={**_env(settings), "PATH": "/usr/bin:/bin", "IVR_WEB_SECRET_KEY": "k"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/", follow_redirects=False, timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
                assert time.monotonic() < deadline, "ivr web did not answer within 30 s"
                time.sleep(0.2)
        assert response.status_code == 303
        assert response.headers["location"] == "/login"
    finally:
        process.terminate()
        process.wait(timeout=10)
