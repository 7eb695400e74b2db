"""`ivr dialogs try`: how the bot would understand an utterance, for a dialog file or a tenant."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.cli import main

from .conftest import SURVEY


@pytest.fixture
def dialogs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "dialogs"
    shutil.copytree(SURVEY.parents[1], root)
    monkeypatch.setenv("IVR_DIALOGS_DIR", str(root))
    monkeypatch.setenv("IVR_DATA_DIR", str(tmp_path / "data"))
    return root


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--log-level", "WARNING", "dialogs", "try", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_a_match_by_tenant_shows_value_score_confidence_and_phrase(dialogs_dir: Path) -> None:
    code, output = run("default", "bemotande", "eh jag säger fira", "--confidence", "0.9")
    assert code == 0, output
    assert "status:     match" in output
    assert "value:      4" in output
    assert "score:      4" in output
    assert "confidence: 0.81 (accepted" in output
    assert "'fira' as 'fyra' -> 4 (word from the YAML, quality 0.90)" in output


def test_an_unknown_tenant_uses_the_default_like_the_server(dialogs_dir: Path) -> None:
    code, output = run("solna-test", "losning", "nej det blev det inte")
    assert code == 0, output
    assert "value:      nej" in output
    assert "score:      0" in output


def test_a_tenants_own_words_are_used(dialogs_dir: Path) -> None:
    own = dialogs_dir / "solna-test"
    own.mkdir()
    text = SURVEY.read_text().replace("words: [väntetiden, väntetid, kön]", "words: [väntetiden, telefonkön]")
    (own / "survey.yaml").write_text(text)
    assert "value:      vantetid" in run("solna-test", "brist", "telefonkön")[1]
    assert "status:     nomatch" in run("default", "brist", "telefonkön")[1]


def test_a_file_path_a_nomatch_with_its_reason_and_a_low_confidence_to_confirm(dialogs_dir: Path) -> None:
    survey = str(dialogs_dir / "default" / "survey.yaml")
    code, output = run(survey, "bemotande", "fyra eller fem")
    assert code == 0
    assert "status:     nomatch" in output
    assert "value:      -" in output
    assert "more than one answer was heard" in output
    assert "would ask the caller to confirm" in run(survey, "bemotande", "fyra", "--confidence", "0.5")[1]


def test_grammar_is_printed_with_the_flag(dialogs_dir: Path) -> None:
    code, output = run("default", "losning", "--grammar")
    assert code == 0
    lines = output.splitlines()
    assert lines[0].startswith("grammar of losning (yesno")
    assert {"  ja", "  nej", "  inte riktigt"} <= set(lines)


def test_unknown_question_and_comment_are_usage_errors(dialogs_dir: Path) -> None:
    code, output = run("default", "nope", "fyra")
    assert code == 2
    assert "no question 'nope'" in output
    assert "bemotande" in output
    code, output = run("default", "kommentar", "fyra")
    assert code == 2
    assert "recorded, not understood" in output
    code, output = run("default", "bemotande")
    assert code == 2
    assert "give the UTTERANCE" in output
    code, output = run("Not A Tenant", "bemotande", "fyra")
    assert code == 2
    assert "invalid tenant name" in output


def test_a_broken_dialog_is_reported_without_a_traceback(dialogs_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(SURVEY.read_text().replace("yes_key: 1", "yes_key: 11"))
    code, output = run(str(broken), "losning", "ja")
    assert code == 1
    assert f"{broken}:" in output
    assert "Traceback" not in output
    own = dialogs_dir / "solna-test"
    own.mkdir()
    (own / "survey.yaml").write_text("questions: [\n")
    code, output = run("solna-test", "losning", "ja")
    assert code == 1
    assert "solna-test/survey.yaml:" in output
    code, output = run(str(tmp_path / "missing.yaml"), "losning", "ja")
    assert code == 1
    assert "cannot read the file" in output
