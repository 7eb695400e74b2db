"""The `agi_*` environment block Asterisk sends first on a FastAGI connection."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from ivr.agi.errors import AGIProtocolError, AGITimeout
from ivr.agi.streams import read_line

DEFAULT_MAX_LINE_BYTES = 4096
DEFAULT_MAX_ENV_LINES = 200
DEFAULT_MAX_ENV_BYTES = 64 * 1024

_ENV_LINE = re.compile(r"(?P<key>agi_[A-Za-z0-9_]+): ?(?P<value>.*)", re.DOTALL)


@dataclass(frozen=True)
class AGIRequest:
    """What Asterisk told us about the call. Values keep their exact text (an empty value stays "")."""

    env: dict[str, str]
    script: str = ""
    query: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)

    @classmethod
    def from_env(cls, env: dict[str, str]) -> AGIRequest:
        script, _, query_text = _script_reference(env).partition("?")
        query = dict(parse_qsl(query_text, keep_blank_values=True))  # the last value of a repeated key wins
        return cls(env=dict(env), script=script.lstrip("/"), query=query, args=_arguments(env))

    @property
    def uniqueid(self) -> str:
        return self.env.get("agi_uniqueid", "")

    @property
    def channel(self) -> str:
        return self.env.get("agi_channel", "")

    @property
    def callerid(self) -> str:
        return self.env.get("agi_callerid", "")

    @property
    def calleridname(self) -> str:
        return self.env.get("agi_calleridname", "")

    @property
    def language(self) -> str:
        return self.env.get("agi_language", "")

    @property
    def context(self) -> str:
        return self.env.get("agi_context", "")

    @property
    def extension(self) -> str:
        return self.env.get("agi_extension", "")


async def read_request(
    reader: asyncio.StreamReader,
    *,
    timeout_s: float,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    max_lines: int = DEFAULT_MAX_ENV_LINES,
    max_bytes: int = DEFAULT_MAX_ENV_BYTES,
) -> AGIRequest:
    """Read the environment up to its blank line; AGITimeout if it does not end within `timeout_s`."""
    try:
        async with asyncio.timeout(timeout_s):
            env = await _read_env(reader, max_line_bytes, max_lines, max_bytes)
    except TimeoutError:
        raise AGITimeout(f"no complete AGI environment within {timeout_s:g} s") from None
    return AGIRequest.from_env(env)


def parse_env_line(line: str) -> tuple[str, str]:
    """Split `agi_name: value` into name and value; AGIProtocolError for anything else."""
    match = _ENV_LINE.fullmatch(line)
    if match is None:
        raise AGIProtocolError(f"not an AGI environment line: {line[:80]!r}")
    return match["key"], match["value"]


async def _read_env(
    reader: asyncio.StreamReader, max_line_bytes: int, max_lines: int, max_bytes: int
) -> dict[str, str]:
    env: dict[str, str] = {}
    total_bytes = 0
    for _ in range(max_lines + 1):
        line = await read_line(reader, max_line_bytes)
        if line is None:
            raise AGIProtocolError("connection closed before the end of the AGI environment")
        if not line:
            return env
        total_bytes += len(line) + 1
        if total_bytes > max_bytes:
            raise AGIProtocolError(f"AGI environment larger than {max_bytes} bytes")
        key, value = parse_env_line(line.decode("utf-8", errors="replace"))
        env[key] = value
    raise AGIProtocolError(f"AGI environment longer than {max_lines} lines")


def _script_reference(env: dict[str, str]) -> str:
    if "agi_network_script" in env:
        return env["agi_network_script"]
    request = urlsplit(env.get("agi_request", ""))
    return f"{request.path}?{request.query}" if request.query else request.path


def _arguments(env: dict[str, str]) -> list[str]:
    args: list[str] = []
    while f"agi_arg_{len(args) + 1}" in env:
        args.append(env[f"agi_arg_{len(args) + 1}"])
    return args
