"""`ivr classify` and `ivr nlu` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ivr.cli import main

from .support import REPO, cli_runner, free_port


@pytest.fixture(autouse=True)
def project_nlu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_NLU_DIR", str(REPO / "nlu"))


def test_classify_reads_a_file_and_writes_one_json_object_a_line(tmp_path: Path) -> None:
    comments = tmp_path / "kommentarer.txt"
    comments.write_text(
        "hon var trevlig men jag fick vänta alldeles för länge\n\nsnöröjningen är en katastrof\n",
        encoding="utf-8",
    )
    result = cli_runner().invoke(main, ["classify", str(comments), "--engine", "embedded"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2  # the empty line is no comment
    assert set(lines[0]) == {"text", "sentiment", "confidence", "areas", "by_area"}
    assert lines[0]["by_area"] == {"handlaggaren": "positiv", "vantetid": "negativ"}
    assert lines[1]["sentiment"] == "negativ"
    assert lines[1]["areas"] == ["kommunala_tjanster"]
    assert "2 comments classified" in result.stderr


def test_classify_masks_personal_data_from_standard_input() -> None:
    result = cli_runner().invoke(
        main, ["classify"], input="maila mig på kalle@example.se eller ring 08-123 456 78\n"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["text"] == "maila mig på [E-POST] eller ring [TELEFONNUMMER]"


def test_classify_says_when_rasa_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_RASA_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("IVR_RASA_ATTEMPTS", "2")
    result = cli_runner().invoke(main, ["classify", "--engine", "rasa"], input="bra\n")
    assert result.exit_code == 1
    assert "did not answer after 2 attempts" in result.stderr
    assert "ivr nlu serve" in result.stderr


def test_classify_reports_broken_training_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nlu.yml").write_text("nlu:\n  - intent: glad\n    examples: |\n      - bra\n")
    monkeypatch.setenv("IVR_NLU_DIR", str(tmp_path))
    result = cli_runner().invoke(main, ["classify"], input="bra\n")
    assert result.exit_code == 1
    assert "nlu.yml" in result.stderr
    assert "unknown sentiment 'glad'" in result.stderr


def test_nlu_train_without_rasa_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IVR_RASA_VENV", str(tmp_path / "no-venv"))
    monkeypatch.setenv("IVR_MODELS_DIR", str(tmp_path / "models"))
    result = cli_runner().invoke(main, ["nlu", "train"])
    assert result.exit_code == 1
    assert "scripts/setup-rasa.sh" in result.stderr
