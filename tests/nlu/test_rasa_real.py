"""Classification through the real Rasa 3.6.21 server (`rasa run --enable-api`), trained on nlu/data."""

from __future__ import annotations

import json

import pytest

from ivr.cli import main
from ivr.nlu.data import load_examples
from ivr.nlu.rasa_client import RasaClassifier
from ivr.nlu.rasa_project import RasaProject

from .support import HELD_OUT, cli_runner


def test_the_model_is_reused_while_the_project_is_unchanged(rasa_url: str, rasa_project: RasaProject) -> None:
    model, trained = rasa_project.train()
    assert not trained
    assert model.exists()
    assert rasa_project.fingerprint()[:16] in model.name


def test_a_mixed_comment_through_rasa(rasa_url: str) -> None:
    with RasaClassifier(rasa_url) as rasa:
        result = rasa.classify("hon var trevlig men jag fick vänta alldeles för länge")
    assert result.sentiment == "negativ"
    assert result.by_area == {"handlaggaren": "positiv", "vantetid": "negativ"}


@pytest.mark.parametrize(
    ("comment", "sentiment", "area"),
    [
        ("eh han jag pratade med var jättetrevlig och kunnig", "positiv", "handlaggaren"),
        ("appen kraschar hela tiden och det är värdelöst", "negativ", "digitala_tjanster"),
        ("jag vet inte om de kommer att ringa tillbaka vi får se", "skeptisk", None),
    ],
)
def test_clear_comments_through_rasa(rasa_url: str, comment: str, sentiment: str, area: str | None) -> None:
    with RasaClassifier(rasa_url) as rasa:
        result = rasa.classify(comment)
    assert result.sentiment == sentiment
    if area is not None:
        assert area in result.areas


def test_rasa_on_the_held_out_comments(rasa_url: str) -> None:
    held_out = load_examples([HELD_OUT])
    with RasaClassifier(rasa_url) as rasa:
        results = rasa.classify_many([e.text for e in held_out])
    correct = sum(r.sentiment == e.sentiment for r, e in zip(results, held_out, strict=True))
    assert correct / len(held_out) >= 0.7


def test_the_classify_command_with_the_rasa_engine(rasa_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_RASA_URL", rasa_url)
    comments = "hon var trevlig men jag fick vänta alldeles för länge\nmitt personnummer är 811218-9876\n"
    result = cli_runner().invoke(main, ["classify", "-", "--engine", "rasa"], input=comments)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["by_area"] == {"handlaggaren": "positiv", "vantetid": "negativ"}
    assert lines[1]["text"] == "mitt personnummer är [PERSONNUMMER]"


def test_nlu_train_reuses_the_model_of_the_unchanged_project(
    rasa_url: str, rasa_project: RasaProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IVR_NLU_DIR", str(rasa_project.project_dir))
    monkeypatch.setenv("IVR_RASA_VENV", str(rasa_project.venv))
    monkeypatch.setenv("IVR_MODELS_DIR", str(rasa_project.models_dir.parent))
    result = cli_runner().invoke(main, ["nlu", "train"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"unchanged, reused: {rasa_project.model_path()}"


def test_nlu_setup_leaves_a_current_virtualenv_alone(
    rasa_project: RasaProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IVR_NLU_DIR", str(rasa_project.project_dir))
    monkeypatch.setenv("IVR_RASA_VENV", str(rasa_project.venv))
    stamp = rasa_project.venv / ".ivr-rasa-installed"
    before = stamp.stat().st_mtime_ns
    result = cli_runner().invoke(main, ["nlu", "setup"])
    assert result.exit_code == 0, result.output
    assert f"Rasa is installed in {rasa_project.venv}" in result.stderr
    assert stamp.stat().st_mtime_ns == before  # nothing reinstalled
