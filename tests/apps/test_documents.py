"""Everything shipped in dialogs/ loads cleanly as the bot reads it: surveys and the inbound settings."""

from __future__ import annotations

from pathlib import Path

from ivr.apps.documents import operator_registry
from ivr.outbound.config import OutboundSurveyConfig
from ivr.queueing.config import InboundConfig

DIALOGS = Path(__file__).resolve().parents[2] / "dialogs"


def test_the_shipped_documents_load_without_problems() -> None:
    registry = operator_registry(DIALOGS)
    assert [str(problem) for problem in registry.load()] == []
    assert registry.available() == [("default", "inbound"), ("default", "survey"), ("norrtalje", "survey")]
    inbound = registry.document("inbound", "norrtalje", InboundConfig)
    assert inbound.id == "kontaktcenter-inkommande"
    assert set(registry.documents("inbound", InboundConfig)) == {"default"}


def test_every_prompt_the_bot_can_say_is_listed_for_the_builder() -> None:
    registry = operator_registry(DIALOGS)
    registry.load()
    names = {prompt.name for prompt in registry.prompts()}
    assert {"inbound.callback_offer", "queue.position.3", "digit.7", "announcement.vatten-rimbo"} <= names
    assert any(name.startswith("bemotande") for name in names)


def test_an_outbound_yaml_is_read_as_the_outbound_rules_not_as_a_broken_dialog(tmp_path: Path) -> None:
    tenant = tmp_path / "norrtalje"
    tenant.mkdir()
    (tenant / "outbound.yaml").write_text(
        "id: uppringning\npurpose: outbound\ndefault_sample_rate: 0.2\n", encoding="utf-8"
    )
    registry = operator_registry(tmp_path)
    assert registry.load() == []
    rules = registry.documents("outbound", OutboundSurveyConfig)["norrtalje"]
    assert rules.sample_rate("kontaktcenter") == 0.2
