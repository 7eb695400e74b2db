"""docker-compose.yml: valid against the Compose Specification's JSON Schema, and consistent with
.env.example, the settings, the command line and the Asterisk configuration it mounts."""

from __future__ import annotations

import json
import re
from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from jsonschema import Draft7Validator

from ivr.cli import main
from ivr.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SCHEMA = Path(__file__).parent / "compose-spec" / "compose-spec.json"
VARIABLE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?P<modifier>:?[-?])?")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (REPO / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value
    return pairs


def test_the_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    errors = sorted(Draft7Validator(schema).iter_errors(compose), key=lambda error: list(error.path))
    assert not errors, "\n".join(f"{list(error.path)}: {error.message}" for error in errors)


def test_the_schema_catches_a_broken_file(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = {
        **compose,
        "services": {**compose["services"], "bot": {**compose["services"]["bot"], "restart": 3}},
    }
    broken["services"]["redis"] = {**compose["services"]["redis"], "helthcheck": {}}
    messages = [error.message for error in Draft7Validator(schema).iter_errors(broken)]
    assert any("'helthcheck' does not match any of the regexes" in message for message in messages)
    assert any("3 is not of type 'string'" in message for message in messages)


def test_the_whole_stack_is_there(services: dict[str, dict[str, Any]]) -> None:
    assert {"asterisk", "redis", "postgres", "rasa", "bot", "worker", "callbacks", "web"} <= set(services)
    assert services["rasa"]["image"] == "rasa/rasa:3.6.21-full"
    assert "--enable-api" in " ".join(services["rasa"]["command"])
    long_running = [name for name, service in services.items() if service.get("restart") != "no"]
    assert all("healthcheck" in services[name] for name in long_running), long_running


def test_references_resolve(compose: dict[str, Any], services: dict[str, dict[str, Any]]) -> None:
    volumes = set(compose["volumes"])
    networks = set(compose["networks"])
    for name, service in services.items():
        for needed in service.get("depends_on", {}):
            assert needed in services, f"{name} depends on unknown service {needed}"
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith("."):
                assert (REPO / source).exists(), f"{name} mounts {source}, which is not in the repository"
            else:
                assert source in volumes, f"{name} uses undeclared volume {source}"
        for network in service.get("networks", []):
            assert network in networks


def test_every_variable_is_in_env_example_and_every_setting_exists(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    text = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    example = env_example()
    for match in VARIABLE.finditer(text):
        assert match["name"] in example, f"${{{match['name']}}} is used but not in .env.example"
    settings = {f"IVR_{name.upper()}" for name in Settings.model_fields}
    for key in example:
        assert key.startswith("IVR_") is False or key in settings, f".env.example: {key} is no setting"
    for name, service in services.items():
        for key in service.get("environment", {}):
            if key.startswith("IVR_"):
                assert key in settings, f"{name}: {key} is no setting (see ivr/settings.py)"


def test_the_ivr_commands_exist(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        command = service.get("command")
        if not (isinstance(command, list) and command and command[0] == "ivr"):
            continue
        resolve(command[1:], name)


def resolve(args: list[str], service: str) -> None:
    """Walks the click groups to the command and parses its options (without running it)."""
    command: click.Command = main
    ctx = click.Context(main, info_name="ivr")
    rest = list(args)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        found = command.get_command(ctx, rest[0])
        assert found is not None, f"{service}: `ivr {' '.join(args)}`: no command {rest[0]!r}"
        command, rest = found, rest[1:]
    command.make_context(command.name or "", rest, parent=ctx)


def conf(name: str) -> str:
    return (REPO / "asterisk" / name).read_text(encoding="utf-8")


def test_asterisk_and_the_bot_agree_on_addresses_and_ports(services: dict[str, dict[str, Any]]) -> None:
    address = {name: service["networks"]["ivr"]["ipv4_address"] for name, service in services.items()
               if isinstance(service.get("networks"), dict)}  # fmt: skip
    bot_environment = services["bot"]["environment"]
    assert ip_address(address["asterisk"]) in ip_network(bot_environment["IVR_AGI_ALLOW"])
    assert bot_environment["IVR_AMI_HOST"] == address["asterisk"]
    assert f"IVR_HOST={address['bot']}:4573" in conf("extensions.conf")
    manager = conf("manager.conf")
    assert f"bindaddr = {address['asterisk']}" in manager
    for ami_user in ("bot", "callbacks", "outbound"):
        assert f"permit = {address[ami_user]}/255.255.255.255" in manager
    rtp = dict(re.findall(r"^(rtpstart|rtpend) = (\d+)", conf("rtp.conf"), re.MULTILINE))
    assert (
        f"{rtp['rtpstart']}-{rtp['rtpend']}:{rtp['rtpstart']}-{rtp['rtpend']}/udp"
        in services["asterisk"]["ports"]
    )
    mounted = {mount.split(":")[0].removeprefix("./asterisk/") for mount in services["asterisk"]["volumes"]}
    assert {"pjsip.conf", "extensions.conf", "queues.conf", "manager.conf", "rtp.conf"} <= mounted


def test_health_checks_probe_each_process_on_its_own_metrics_port(
    services: dict[str, dict[str, Any]],
) -> None:
    defaults = Settings()
    ports = {
        "worker": defaults.worker_metrics_port,
        "callbacks": defaults.callbacks_metrics_port,
        "outbound": defaults.outbound_metrics_port,
    }
    for name, port in ports.items():
        probe = " ".join(services[name]["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/metrics" in probe, name
    assert "4573" in " ".join(services["bot"]["healthcheck"]["test"])


def test_the_pjsip_names_the_dialplan_and_queue_use() -> None:
    pjsip = conf("pjsip.conf")
    sections = set(re.findall(r"^\[([\w-]+)\]", pjsip, re.MULTILINE))
    assert {"trunk", "handlaggare101", "handlaggare102", "transport-udp"} <= sections
    assert "PJSIP/${ARG1}@trunk" in conf("extensions.conf")
    members = re.findall(r"^member => PJSIP/(\w+)", conf("queues.conf"), re.MULTILINE)
    assert set(members) <= sections
    contexts = set(re.findall(r"^context = ([\w-]+)", pjsip, re.MULTILINE))
    assert contexts == {"kontaktcenter", "softphones"}
    assert "[softphones]" in conf("extensions.conf")
