"""FastAGI protocol layer: an asyncio server, a `Channel` with typed commands, reply parsing, hang-up errors.

Knows nothing of surveys or queues. Start with `FastAGIServer(routes, allow=...)`;
each route gets a `Channel`.
"""

from ivr.agi.channel import Channel
from ivr.agi.errors import (
    AGICommandError,
    AGIDeadChannel,
    AGIError,
    AGIHangup,
    AGIProtocolError,
    AGITimeout,
)
from ivr.agi.reply import AGIReply, parse_reply
from ivr.agi.request import AGIRequest
from ivr.agi.results import (
    DigitsResult,
    PlaybackResult,
    RecordResult,
    SayResult,
    SpeechHypothesis,
    SpeechResult,
)
from ivr.agi.server import AGIApp, FastAGIServer

__all__ = [
    "AGIApp",
    "AGICommandError",
    "AGIDeadChannel",
    "AGIError",
    "AGIHangup",
    "AGIProtocolError",
    "AGIReply",
    "AGIRequest",
    "AGITimeout",
    "Channel",
    "DigitsResult",
    "FastAGIServer",
    "PlaybackResult",
    "RecordResult",
    "SayResult",
    "SpeechHypothesis",
    "SpeechResult",
    "parse_reply",
]
