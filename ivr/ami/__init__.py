"""Asyncio client for Asterisk's manager interface (AMI).

Login, actions matched by ActionID, lists, Originate, events with notices of what was missed, keepalive and
reconnect. Knows nothing of surveys or queues. Start with `AMIClient(host, port, username, secret)`;
`ivr/ami/README.md` lists the protocol facts it relies on.
"""

from ivr.ami.client import AMIClient
from ivr.ami.errors import (
    AMIActionError,
    AMIAuthenticationError,
    AMIConnectionError,
    AMIConnectionLost,
    AMIError,
    AMIPermissionError,
    AMIProtocolError,
    AMITimeout,
)
from ivr.ami.events import (
    AMINotice,
    ConnectionLost,
    EventHandler,
    EventsDropped,
    EventStream,
    Reconnected,
    StreamItem,
    Subscription,
)
from ivr.ami.messages import AMIEvent, AMIListResponse, AMIMessage, AMIResponse
from ivr.ami.originate import OriginateReason, OriginateResult
from ivr.ami.protocol import encode_action, parse_message

__all__ = [
    "AMIActionError",
    "AMIAuthenticationError",
    "AMIClient",
    "AMIConnectionError",
    "AMIConnectionLost",
    "AMIError",
    "AMIEvent",
    "AMIListResponse",
    "AMIMessage",
    "AMINotice",
    "AMIPermissionError",
    "AMIProtocolError",
    "AMIResponse",
    "AMITimeout",
    "ConnectionLost",
    "EventHandler",
    "EventStream",
    "EventsDropped",
    "OriginateReason",
    "OriginateResult",
    "Reconnected",
    "StreamItem",
    "Subscription",
    "encode_action",
    "parse_message",
]
