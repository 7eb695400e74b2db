"""The dialog registry: tenant fallback, safe names, and reloads that never lose the last good version."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from ivr.dialog.registry import DialogNotFoundError, DialogRegistry, InvalidNameError


def survey_text(dialog_id: str, goodbye: str = "Hej då.") -> str:
    questions = "".join(f"  - {{id: q{n}, type: scale, prompt: Fråga {n}}}\n" for n in range(1, 6))
    return f"id: {dialog_id}\npurpose: survey\ngoodbye: {goodbye}\nquestions:\n{questions}"


def put(root: Path, tenant: str, text: str, name: str = "survey.yaml") -> Path:
    path = root / tenant / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    put(tmp_path, "default", survey_text("standard"))
    put(tmp_path, "norrtalje", survey_text("norrtalje-egen"))
    return tmp_path


def test_a_tenant_gets_its_own_dialog_and_others_the_default(root: Path) -> None:
    registry = DialogRegistry(root)
    assert registry.load() == []
    assert registry.get("survey", "norrtalje").id == "norrtalje-egen"
    assert registry.get("survey", "osthammar").id == "standard"
    assert registry.get("survey").id == "standard"
    assert registry.available() == [("default", "survey"), ("norrtalje", "survey")]
    assert [dialog.id for dialog in registry.all()] == ["standard", "norrtalje-egen"]


def test_an_unknown_purpose_is_a_clear_key_error(root: Path) -> None:
    registry = DialogRegistry(root)
    registry.load()
    with pytest.raises(KeyError) as raised:
        registry.get("callback", "norrtalje")
    assert isinstance(raised.value, DialogNotFoundError)
    assert str(raised.value) == (
        "no dialog for purpose 'callback': "
        f"neither norrtalje/callback.yaml nor default/callback.yaml under {root}"
    )


@pytest.mark.parametrize("tenant", ["../default", "Norrtalje", "norr tälje", "", "a/b", "-x", "ö"])
def test_tenant_names_from_outside_must_be_slugs(root: Path, tenant: str) -> None:
    registry = DialogRegistry(root)
    registry.load()
    with pytest.raises(InvalidNameError, match="invalid tenant name"):
        registry.get("survey", tenant)


def test_a_purpose_from_outside_must_be_a_slug(root: Path) -> None:
    registry = DialogRegistry(root)
    registry.load()
    with pytest.raises(InvalidNameError, match=r"invalid purpose name '\.\./survey'"):
        registry.get("../survey", "default")


def test_a_badly_named_tenant_directory_is_reported_and_ignored(root: Path) -> None:
    bad = put(root, "Sundsvall Kommun", survey_text("sundsvall"))
    registry = DialogRegistry(root)
    problems = registry.load()
    assert [(problem.path, problem.severity) for problem in problems] == [(bad, "error")]
    assert "invalid tenant name 'Sundsvall Kommun'" in problems[0].message
    assert ("Sundsvall Kommun", "survey") not in registry.available()


def test_files_outside_the_layout_are_ignored_with_a_warning(root: Path) -> None:
    loose = root / "survey.yaml"
    loose.write_text(survey_text("loose"), encoding="utf-8")
    nested = put(root, "default/old", survey_text("old"))
    yml = put(root, "default", survey_text("yml"), name="survey.yml")
    problems = DialogRegistry(root).load()
    assert sorted((problem.path, problem.severity) for problem in problems) == sorted(
        [(nested, "warning"), (yml, "warning"), (loose, "warning")]
    )


def test_a_broken_file_keeps_the_last_good_version_until_it_is_fixed(root: Path) -> None:
    registry = DialogRegistry(root)
    registry.load()
    good = registry.get("survey", "norrtalje")
    path = put(root, "norrtalje", survey_text("norrtalje-egen").replace("type: scale", "type: skala", 1))
    problems = registry.reload()
    assert [str(problem).removeprefix(f"{path}:") for problem in problems] == [
        "5:20: question 'q1': unknown question type 'skala'; "
        "use one of: scale, yesno, choice, number, comment"
    ]
    assert registry.get("survey", "norrtalje") is good
    put(root, "norrtalje", survey_text("norrtalje-egen", goodbye="Ha det bra."))
    assert registry.reload() == []
    fixed = registry.get("survey", "norrtalje")
    assert fixed.goodbye.text == "Ha det bra."
    assert fixed.version != good.version


def test_a_file_that_was_never_good_is_not_served(root: Path) -> None:
    registry = DialogRegistry(root)
    registry.load()
    put(root, "osthammar", "id: trasig\npurpose: survey\n")
    problems = registry.reload()
    assert [problem.message for problem in problems] == [
        "missing field 'questions'",
        "missing field 'goodbye'",
    ]
    assert registry.get("survey", "osthammar").id == "standard"


def test_a_new_file_is_picked_up_and_a_deleted_one_dropped(root: Path) -> None:
    registry = DialogRegistry(root)
    registry.load()
    put(root, "malmo", survey_text("malmo-egen"))
    (root / "norrtalje" / "survey.yaml").unlink()
    assert registry.reload() == []
    assert registry.get("survey", "malmo").id == "malmo-egen"
    assert registry.get("survey", "norrtalje").id == "standard"


def test_a_missing_root_is_a_problem(tmp_path: Path) -> None:
    registry = DialogRegistry(tmp_path / "saknas")
    assert [problem.message for problem in registry.load()] == ["the dialogs directory does not exist"]
    with pytest.raises(DialogNotFoundError):
        registry.get("survey")


async def test_watch_reloads_when_a_file_changes(root: Path) -> None:
    registry = DialogRegistry(root)
    registry.load()
    stop = asyncio.Event()
    watcher = asyncio.create_task(registry.watch(stop, debounce_ms=50))
    try:
        await asyncio.sleep(0.3)  # let the watcher start before the edit
        put(root, "norrtalje", survey_text("norrtalje-ny"))
        for _ in range(200):
            if registry.get("survey", "norrtalje").id == "norrtalje-ny":
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        async with asyncio.timeout(10):
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
    assert registry.get("survey", "norrtalje").id == "norrtalje-ny"
    assert watcher.done()
