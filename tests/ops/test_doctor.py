"""`ivr doctor` on a good set-up and on broken ones: each finding names the problem and the fix."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner

from ivr.cli import main
from ivr.ops.doctor import Finding, failed, run_doctor
from ivr.settings import Settings
from ivr.store.migrations import upgrade


def by_name(findings: list[Finding]) -> dict[str, Finding]:
    return {finding.name: finding for finding in findings}


async def test_a_good_set_up_has_no_failure(good_settings: Settings) -> None:
    findings = by_name(await run_doctor(good_settings))
    assert {name: finding.status for name, finding in findings.items()} == {
        "database": "ok",
        "redis": "ok",
        "ami": "ok",
        "rasa": "ok",
        "speech-model-answers": "ok",
        "speech-model-comments": "ok",
        "dialogs": "ok",
        "prompts": "ok",
        "outbound-survey": "ok",
        "recordings-dir": "ok",
        "data-dir": "ok",
        "secrets": "ok",
        "web": "warn",  # no users yet
    }
    assert "write=originate and QueueStatus work" in findings["ami"].detail


async def test_a_broken_set_up_says_what_is_wrong_and_how_to_fix_it(
    good_settings: Settings, tmp_path: Path
) -> None:
    a_file = tmp_path / "not-a-directory"
    a_file.write_text("")
    broken = good_settings.model_copy(
        update={
            "database_url": "postgresql+psycopg://ivr:secret@127.0.0.1:1/ivr",
            "redis_url": "redis://127.0.0.1:1/0",
            "ami_secret": "wrong-secret",
            "vosk_model": str(tmp_path / "no-such-model"),
            "prompts_dir": tmp_path / "empty-prompts",
            "recordings_dir": a_file / "recordings",  # cannot be created, whoever runs the test
            "caller_salt": "change-me",
        }
    )
    findings = by_name(await run_doctor(broken))
    assert failed(list(findings.values()))

    database = findings["database"]
    assert database.status == "fail"
    assert "cannot reach postgresql+psycopg://ivr:***@127.0.0.1:1/ivr" in database.detail
    assert "secret" not in database.detail
    assert "IVR_DATABASE_URL" in database.fix

    assert findings["redis"].status == "fail"
    assert "cannot reach Redis at redis://127.0.0.1:1/0" in findings["redis"].detail
    assert "redis-server" in findings["redis"].fix

    assert findings["ami"].status == "fail"
    assert "refused the login of 'ivr'" in findings["ami"].detail
    assert "IVR_AMI_SECRET" in findings["ami"].fix

    model = findings["speech-model-answers"]
    assert model.status == "fail"
    assert "no-such-model does not exist" in model.detail
    assert "IVR_VOSK_MODEL" in model.fix
    assert findings["speech-model-comments"].status == "ok"

    prompts = findings["prompts"]
    assert prompts.status == "fail"
    assert "have no audio" in prompts.detail
    assert "ivr prompts build" in prompts.fix

    secrets = findings["secrets"]
    assert secrets.status == "fail"
    assert "IVR_CALLER_SALT still has the placeholder value" in secrets.detail
    assert "openssl rand" in secrets.fix

    recordings = findings["recordings-dir"]
    assert recordings.status == "fail"
    assert "is not writable" in recordings.detail
    assert "IVR_RECORDINGS_DIR" in recordings.fix


async def test_an_ami_user_without_the_needed_classes(good_settings: Settings) -> None:
    limited = good_settings.model_copy(update={"ami_user": "limited", "ami_secret": "limited-test"})
    ami = by_name(await run_doctor(limited))["ami"]
    assert ami.status == "fail"
    assert "lacks write=originate" in ami.detail
    assert "read = call,agent and write = originate" in ami.fix


async def test_an_unreachable_asterisk(good_settings: Settings) -> None:
    ami = by_name(await run_doctor(good_settings.model_copy(update={"ami_port": 1})))["ami"]
    assert ami.status == "fail"
    assert "cannot reach Asterisk's AMI at 127.0.0.1:1" in ami.detail


async def test_a_database_behind_the_code_is_a_warning(good_settings: Settings, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0001")
    database = by_name(await run_doctor(good_settings.model_copy(update={"database_url": url})))["database"]
    assert database.status == "warn"
    assert "at migration 0001" in database.detail
    assert "ivr db upgrade" in database.fix


async def test_broken_dialogs_and_an_unreachable_rasa(good_settings: Settings, tmp_path: Path) -> None:
    dialogs = tmp_path / "dialogs"
    (dialogs / "default").mkdir(parents=True)
    (dialogs / "default" / "survey.yaml").write_text("id: survey\nquestions: [\n", encoding="utf-8")
    broken = good_settings.model_copy(
        update={"dialogs_dir": dialogs, "nlu_engine": "rasa", "rasa_url": "http://127.0.0.1:1"}
    )
    findings = by_name(await run_doctor(broken))
    assert findings["dialogs"].status == "fail"
    assert "survey.yaml" in findings["dialogs"].detail
    assert "ivr dialogs check" in findings["dialogs"].fix
    assert findings["rasa"].status == "fail"
    assert "http://127.0.0.1:1" in findings["rasa"].detail
    assert "ivr nlu serve" in findings["rasa"].fix


def test_the_command_exits_1_on_a_failure_and_prints_the_fix(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {
        "IVR_DATA_DIR": str(tmp_path),
        "IVR_REDIS_URL": "redis://127.0.0.1:1/0",
        "IVR_SPEECH_STRATEGY": "off",
    }
    result = runner.invoke(main, ["doctor"], env=env)
    assert result.exit_code == 1, result.output
    assert "FAIL  redis" in result.output
    assert "fix: check IVR_REDIS_URL" in result.output


@pytest.fixture
def evicting_redis(tmp_path: Path) -> Iterator[str]:
    """A redis-server of the test's own, with a memory limit and an eviction policy (set per test)."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (scripts/setup.sh --services installs it)", pytrace=False)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path), "--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        server.terminate()
        server.wait(10)


async def test_a_redis_that_evicts_keys(good_settings: Settings, evicting_redis: str) -> None:
    settings = good_settings.model_copy(update={"redis_url": evicting_redis})
    finding = by_name(await run_doctor(settings))["redis"]
    assert finding.status == "fail"
    assert "evicts keys when full (maxmemory-policy allkeys-lru)" in finding.detail
    assert "noeviction" in finding.fix

    client = redis.Redis.from_url(evicting_redis)
    client.config_set("maxmemory-policy", "volatile-lru")
    assert by_name(await run_doctor(settings))["redis"].status == "warn"
    client.config_set("maxmemory-policy", "noeviction")
    client.close()
    assert by_name(await run_doctor(settings))["redis"].status == "ok"


async def test_a_broken_outbound_yaml(good_settings: Settings, tmp_path: Path) -> None:
    dialogs = tmp_path / "dialogs"
    shutil.copytree(good_settings.dialogs_dir, dialogs)
    (dialogs / "default" / "outbound.yaml").write_text(
        "id: uppringning\npurpose: outbound\ndefault_sample_rate: 2\n", encoding="utf-8"
    )
    finding = by_name(await run_doctor(good_settings.model_copy(update={"dialogs_dir": dialogs})))[
        "outbound-survey"
    ]
    assert finding.status == "fail"
    assert "default/outbound.yaml:3" in finding.detail


async def test_the_operator_page_needs_users_and_a_lasting_key(
    good_settings: Settings, tmp_path: Path
) -> None:
    users = tmp_path / "users.json"
    settings = good_settings.model_copy(update={"web_users_file": users})
    assert "ivr web add-user" in by_name(await run_doctor(settings))["web"].fix
    users.write_text("{}", encoding="utf-8")
    assert "IVR_WEB_SECRET_KEY" in by_name(await run_doctor(settings))["web"].fix
    keyed = settings.model_copy(update={"web_secret_key": "0" * 64})
    assert by_name(await run_doctor(keyed))["web"].status == "ok"
