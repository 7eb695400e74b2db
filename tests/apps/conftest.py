"""A running bot (BotRuntime on a free port) and a simulated Asterisk that calls it over TCP."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ivr.apps.runtime import BotRuntime
from ivr.settings import Settings
from ivr.sim.asterisk import SimulatedAsterisk
from ivr.sim.sounds import SoundLibrary

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def dialogs_dir(tmp_path: Path) -> Path:
    """A copy of the shipped dialogs that a test may break or edit."""
    target = tmp_path / "dialogs"
    shutil.copytree(REPO / "dialogs", target)
    return target


@pytest.fixture(scope="session")
def prompts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Rendered once per session with the real espeak-ng."""
    directory = tmp_path_factory.mktemp("prompts")
    runtime = BotRuntime(
        Settings(data_dir=directory.parent, dialogs_dir=REPO / "dialogs", prompts_dir=directory)
    )
    runtime.dialogs.load()
    report = runtime.prompts.build(runtime.dialogs.prompts())
    assert not report.failed, str(report)
    return directory


@pytest.fixture
def settings(tmp_path: Path, dialogs_dir: Path, prompts_dir: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        dialogs_dir=dialogs_dir,
        prompts_dir=prompts_dir,
        database_url=f"sqlite:///{tmp_path / 'ivr.db'}",
    )


@pytest.fixture
async def bot(settings: Settings) -> AsyncIterator[BotRuntime]:
    runtime = BotRuntime(settings)
    await runtime.start("127.0.0.1", 0)
    yield runtime
    await runtime.stop()


@pytest.fixture
def asterisk(bot: BotRuntime, prompts_dir: Path) -> SimulatedAsterisk:
    return SimulatedAsterisk("127.0.0.1", bot.port, sounds=SoundLibrary([prompts_dir]))
