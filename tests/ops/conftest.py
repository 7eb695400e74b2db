"""A good set-up for the operations tests: a migrated SQLite database, the real Redis, a simulated
Asterisk (AMI) with a least-privilege user, the packaged speech models, the survey's prompts (espeak-ng)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ivr.apps.documents import operator_registry
from ivr.settings import Settings
from ivr.sim.ami import AmiUser, SimulatedPBX
from ivr.speech.prompts import PromptCache
from ivr.speech.recognition.packaged import packaged_vosk_korean, packaged_whisper_base
from ivr.store.migrations import upgrade

REPO = Path(__file__).resolve().parents[2]
AMI_USER = AmiUser("ivr", "doctor-secret", read="call,agent", write="originate")


@pytest.fixture(scope="session")
def survey_dialogs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default tenant's survey alone (fewer prompts to render than every shipped dialog)."""
    root = tmp_path_factory.mktemp("dialogs")
    (root / "default").mkdir()
    shutil.copy(REPO / "dialogs" / "default" / "survey.yaml", root / "default" / "survey.yaml")
    return root


@pytest.fixture(scope="session")
def rendered_prompts(tmp_path_factory: pytest.TempPathFactory, survey_dialogs: Path) -> Path:
    directory = tmp_path_factory.mktemp("prompts")
    settings = Settings(dialogs_dir=survey_dialogs, prompts_dir=directory)
    registry = operator_registry(survey_dialogs)
    registry.load()
    report = PromptCache.from_settings(settings).build(registry.prompts())
    assert not report.failed, str(report)
    return directory


@pytest.fixture(scope="session")
def whisper_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return packaged_whisper_base(tmp_path_factory.mktemp("whisper"))


@pytest.fixture
async def pbx() -> AsyncIterator[SimulatedPBX]:
    simulated = SimulatedPBX(users=(AMI_USER, AmiUser("limited", "limited-test", read="call", write="call")))
    await simulated.start_ami()
    yield simulated
    await simulated.stop()


@pytest.fixture
def good_settings(
    tmp_path: Path, survey_dialogs: Path, rendered_prompts: Path, whisper_dir: Path, pbx: SimulatedPBX
) -> Settings:
    database_url = f"sqlite:///{tmp_path / 'ivr.db'}"
    upgrade(database_url)
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        redis_url="redis://127.0.0.1:6379/0",
        dialogs_dir=survey_dialogs,
        prompts_dir=rendered_prompts,
        recordings_dir=tmp_path / "recordings",
        vosk_model=str(packaged_vosk_korean()),
        whisper_model=str(whisper_dir),
        ami_host="127.0.0.1",
        ami_port=pbx.ami.port,
        ami_user=AMI_USER.username,
        ami_secret=AMI_USER.secret,
        nlu_engine="embedded",
        caller_salt="a-long-random-salt-of-this-test",
    )
