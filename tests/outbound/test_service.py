"""`ivr outbound run`'s service: built from settings and the operators' files, against the simulated PBX."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from queueing.test_live_support import EPOCH, eventually, running
from redis.asyncio import Redis

from ivr.cli import main
from ivr.outbound.service import OutboundError, OutboundService
from ivr.settings import Settings
from ivr.sim.ami import Agent, CallerId, Fixed, JoinQueue, QueueConfig, SimulatedPBX

REDIS_URL = os.environ.get("IVR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
INBOUND = """id: inkommande
purpose: inbound
queues:
  kc: {opening_hours: {weekly: {mon-sun: "00:00-24:00"}}}
"""
OUTBOUND = """id: uppringning
purpose: outbound
default_sample_rate: 1.0
delay_minutes: 5
opening_hours: {weekly: {mon-sun: "00:00-24:00"}}
"""


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    name = f"test:outbound:{uuid.uuid4().hex[:12]}"
    yield name
    client = Redis.from_url(REDIS_URL)
    keys = [key async for key in client.scan_iter(f"{name}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def dialogs(root: Path, *, outbound: bool = True) -> Path:
    tenant = root / "dialogs" / "norrtalje"
    tenant.mkdir(parents=True)
    (tenant / "inbound.yaml").write_text(INBOUND, encoding="utf-8")
    if outbound:
        (tenant / "outbound.yaml").write_text(OUTBOUND, encoding="utf-8")
    return root / "dialogs"


def settings_for(dialogs_dir: Path, prefix: str, ami_port: int = 1) -> Settings:
    return Settings(
        dialogs_dir=dialogs_dir,
        redis_url=REDIS_URL,
        redis_prefix=prefix,
        ami_host="127.0.0.1",
        ami_port=ami_port,
        ami_user="admin",
        ami_secret="test-secret",
    )


async def test_contacts_in_a_tenants_queue_are_scheduled(tmp_path: Path, prefix: str) -> None:
    pbx = SimulatedPBX(epoch=EPOCH, seed=3)
    pbx.add_queue(QueueConfig("kc", members=(Agent("Local/anna@agents/n", "Anna", answers_after_s=1.0),),
                              talk=Fixed(30.0)))  # fmt: skip
    pbx.dialplan.add_context("kc-in", JoinQueue("kc"))
    async with running(pbx) as port:
        service = OutboundService(settings_for(dialogs(tmp_path), prefix, port))
        await service.start()
        try:
            pbx.inbound_call("kc-in", callerid=CallerId("0701234567", "Medborgare"))
            await pbx.advance(40.0)
            assert service.watcher is not None
            watcher = service.watcher
            await eventually(lambda: watcher.results)
        finally:
            await service.close()
    [result] = watcher.results
    assert result.decision == "scheduled"


async def test_without_an_outbound_yaml_it_says_what_to_add(tmp_path: Path, prefix: str) -> None:
    service = OutboundService(settings_for(dialogs(tmp_path, outbound=False), prefix))
    with pytest.raises(
        OutboundError, match=r"no tenant under .* has both an outbound\.yaml and an inbound\.yaml"
    ):
        await service.start()


def test_the_command_names_an_unreachable_asterisk(tmp_path: Path, prefix: str) -> None:
    env = {
        "IVR_DIALOGS_DIR": str(dialogs(tmp_path)),
        "IVR_REDIS_URL": REDIS_URL,
        "IVR_REDIS_PREFIX": prefix,
        "IVR_AMI_PORT": "1",
        "IVR_AMI_SECRET": "x",
    }
    result = CliRunner().invoke(main, ["outbound", "run"], env=env)
    assert result.exit_code == 1
    assert "cannot reach Asterisk's AMI at 127.0.0.1:1" in result.output
