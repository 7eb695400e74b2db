"""The agi_* environment block a FastAGI connection starts with, in res_agi's order."""

from __future__ import annotations

from collections.abc import Sequence

from ivr.sim.channel import Channel

UNKNOWN = "unknown"


def environment(
    request: str,
    url_host: str,
    channel: Channel,
    *,
    args: Sequence[str] = (),
    dnid: str | None = None,
    rdnis: str | None = None,
    threadid: int,
    version: str,
) -> list[tuple[str, str]]:
    """The (key, value) pairs: the network lines, setup_env()'s lines, then agi_arg_1.. after agi_threadid."""
    pairs = [
        ("agi_network", "yes"),
        ("agi_network_script", request),
        ("agi_request", f"agi://{url_host}/{request}"),
        ("agi_channel", channel.name),
        ("agi_language", channel.language),
        ("agi_type", channel.technology),
        ("agi_uniqueid", channel.uniqueid),
        ("agi_version", version),
        ("agi_callerid", UNKNOWN if channel.callerid_num is None else channel.callerid_num),
        ("agi_calleridname", UNKNOWN if channel.callerid_name is None else channel.callerid_name),
        ("agi_callingpres", "0"),
        ("agi_callingani2", "0"),
        ("agi_callington", "0"),
        ("agi_callingtns", "0"),
        ("agi_dnid", dnid or UNKNOWN),
        ("agi_rdnis", rdnis or UNKNOWN),
        ("agi_context", channel.context),
        ("agi_extension", channel.extension),
        ("agi_priority", str(channel.priority)),
        ("agi_enhanced", "0.0"),
        ("agi_accountcode", channel.accountcode),
        ("agi_threadid", str(threadid)),
    ]
    pairs += [(f"agi_arg_{number}", argument) for number, argument in enumerate(args, start=1)]
    return pairs


def environment_lines(pairs: list[tuple[str, str]]) -> list[bytes]:
    """Each line as sent (without its "\\n"), ending with the empty line; values go out as raw UTF-8."""
    return [f"{key}: {value}".encode("utf-8", "surrogateescape") for key, value in pairs] + [b""]
