"""The outbound survey end to end over the simulated PBX: an agent call ends, the survey call is scheduled
and dialled with the real AMI client, the citizen answers, and the dialplan hands the call to the real bot
over FastAGI, which stores a response with purpose `outbound`."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from queueing.test_live_support import EPOCH, ami_client, eventually, running
from redis.asyncio import Redis

from ivr.apps.documents import operator_registry
from ivr.apps.runtime import BotRuntime
from ivr.outbound.config import OutboundSurveyConfig
from ivr.outbound.dialer import ContactWatcher, SurveyDialConfig, SurveyDialer
from ivr.outbound.schedule import Contact, OutboundSurveys
from ivr.queueing.originator import AmiOriginator
from ivr.settings import Settings
from ivr.sim.ami import Agent, Answers, CallerId, Fixed, JoinQueue, QueueConfig, RunAgi, SimulatedPBX
from ivr.sim.sounds import SoundLibrary
from ivr.speech.prompts import PromptCache
from ivr.store.results import ResultsRepository

from .test_dialer import dial

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("IVR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# What [survey-outbound] in asterisk/extensions.conf runs.
SURVEY_REQUEST = "survey?tenant=default&queue=kc&purpose=outbound&direction=outbound"
NUMBER = "0701234567"


@pytest.fixture(scope="module")
def survey_setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The default survey and its prompts rendered by espeak-ng."""
    dialogs = tmp_path_factory.mktemp("dialogs")
    (dialogs / "default").mkdir()
    shutil.copy(REPO / "dialogs" / "default" / "survey.yaml", dialogs / "default" / "survey.yaml")
    prompts = tmp_path_factory.mktemp("prompts")
    registry = operator_registry(dialogs)
    registry.load()
    report = PromptCache.from_settings(Settings(dialogs_dir=dialogs, prompts_dir=prompts)).build(
        registry.prompts()
    )
    assert not report.failed, str(report)
    return dialogs, prompts


@pytest.fixture
async def bot(tmp_path: Path, survey_setup: tuple[Path, Path]) -> AsyncIterator[BotRuntime]:
    dialogs, prompts = survey_setup
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'ivr.db'}",
        dialogs_dir=dialogs,
        prompts_dir=prompts,
        speech_strategy="off",
    )
    runtime = BotRuntime(settings, enqueue_comments=False)
    await runtime.start("127.0.0.1", 0)
    yield runtime
    await runtime.stop()


@pytest.fixture
async def schedule() -> AsyncIterator[OutboundSurveys]:
    client = Redis.from_url(REDIS_URL)
    prefix = f"test:outbound:{uuid.uuid4().hex[:12]}"
    config = OutboundSurveyConfig(
        id="uppringning",
        default_sample_rate=1.0,
        delay_minutes=0,
        opening_hours={"weekly": {"mon-sun": "00:00-24:00"}},
    )
    yield OutboundSurveys(client, prefix, {"default": config}, salt="test")
    keys = [key async for key in client.scan_iter(f"{prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def test_an_agent_call_leads_to_an_outbound_survey_stored_by_the_bot(
    bot: BotRuntime, schedule: OutboundSurveys, survey_setup: tuple[Path, Path]
) -> None:
    pbx = SimulatedPBX(epoch=EPOCH, seed=11)
    pbx.add_queue(QueueConfig("kc", members=(Agent("Local/anna@agents/n", "Anna", answers_after_s=1.0),),
                              talk=Fixed(30.0)))  # fmt: skip
    pbx.dialplan.add_context("kc-in", JoinQueue("kc"))
    pbx.dialplan.add_context("survey-outbound", RunAgi(SURVEY_REQUEST))
    pbx.dialplan.add_number(NUMBER, Answers(after_s=3.0))
    pbx.connect_fastagi("127.0.0.1", bot.port, sounds=SoundLibrary([survey_setup[1]]))

    def model_now() -> datetime:
        return datetime.fromtimestamp(pbx.clock.epoch(), UTC)

    async with running(pbx) as port, ami_client(port) as ami:
        watcher = ContactWatcher(ami, schedule, {"kc": "default"}, clock=model_now)
        watcher.start()
        pbx.inbound_call("kc-in", callerid=CallerId(NUMBER, "Medborgare"))
        await pbx.advance(40.0)
        await eventually(lambda: watcher.results)
        watcher.stop()
        assert [result.decision for result in watcher.results] == ["scheduled"]

        dialer = SurveyDialer(schedule, AmiOriginator(ami), SurveyDialConfig(), clock=model_now)
        assert await dial(pbx, dialer, ring_s=5.0) == ["answered"]
        await eventually(lambda: pbx.agi_traces)

    [trace] = pbx.agi_traces.values()
    assert trace.request == SURVEY_REQUEST
    assert trace.bot_closed
    await bot.store.flush()
    repository = ResultsRepository(bot.settings.effective_database_url)
    try:
        [record] = repository.responses()
    finally:
        repository.close()
    assert (record.response.purpose, record.response.queue, record.response.tenant) == (
        "outbound",
        "kc",
        "default",
    )
    # The bot called: it greeted and asked for consent; this citizen said nothing, so nothing more was asked.
    assert record.response.direction == "outbound"
    assert [(answer.question_id, answer.status) for answer in record.answers] == [("samtycke", "noinput")]
    assert record.response.status == "ended"
    # Reached: the number rests for not_surveyed_within_days.
    again = await schedule.contact_ended(Contact("default", "kc", NUMBER, "9.9", model_now()))
    assert again.decision == "recently_surveyed"
