"""The AMI actions the simulator answers, worded as manager.c and app_queue.c word them."""

from __future__ import annotations

import asyncio
import re

from ivr.sim.ami.channels import DialTarget
from ivr.sim.ami.cli import run_cli
from ivr.sim.ami.members import Member
from ivr.sim.ami.originate import OriginateRequest, OriginateResult
from ivr.sim.ami.permissions import Perm, event_mask, may_originate_application, privilege_text
from ivr.sim.ami.queue import CallQueue, QueueCall
from ivr.sim.ami.session import AmiSession, Handler
from ivr.sim.ami.telephony import CallerId
from ivr.sim.ami.wire import Field, Message

DEFAULT_ORIGINATE_TIMEOUT_MS = 30000
AUTH_FAILURE_DELAY_S = 1.0
"""action_login sleeps a second before "Authentication failed" (then the session ends)."""
_TRUE = {"yes", "true", "y", "t", "1", "on"}


def is_true(value: str) -> bool:
    return value.strip().lower() in _TRUE


async def login(session: AmiSession, message: Message) -> bool:
    if session.authenticated:
        session.reply(message, "Success", "Already authenticated")
        return False
    username, secret = message.get("Username"), message.get("Secret")
    user = next((u for u in session.users if u.username == username), None)
    if not username or user is None or user.secret != secret:
        await asyncio.sleep(AUTH_FAILURE_DELAY_S * session.core.clock.time_scale)
        session.reply(message, "Error", "Authentication failed")
        return True
    session.user = user
    mask = event_mask(message.get("Events"))
    session.send_events = user.read_mask if mask is None else user.read_mask & mask
    session.reply(message, "Success", "Authentication accepted")
    if session.send_events & Perm.SYSTEM:
        uptime = session.core.clock.epoch_seconds() - session.core.started_at
        session.send(
            [
                ("Event", "FullyBooted"),
                ("Privilege", privilege_text(Perm.SYSTEM)),
                ("Uptime", str(uptime)),
                ("LastReload", str(uptime)),
                ("Status", "Fully Booted"),
            ]
        )
    return False


async def logoff(session: AmiSession, message: Message) -> bool:
    session.reply(message, "Goodbye", "Thanks for all the fish.")
    return True


async def ping(session: AmiSession, message: Message) -> bool:
    stamp = f"{session.core.clock.epoch():.6f}"
    session.reply(message, "Success", None, ("Ping", "Pong"), ("Timestamp", stamp))
    return False


async def events(session: AmiSession, message: Message) -> bool:
    mask = event_mask(message.get("EventMask"))
    if mask is None:
        session.reply(message, "Error", "Invalid event mask")
        return False
    session.send_events = session.read_mask & mask
    session.reply(message, "Success", None, ("Events", "On" if mask else "Off"))
    return False


async def command(session: AmiSession, message: Message) -> bool:
    text = message.get("Command")
    if not text:
        session.reply(message, "Error", "No command provided")
        return False
    succeeded, lines = run_cli(session.core, text)
    output = [("Output", line) for line in lines]
    session.reply(message, "Success" if succeeded else "Error", "Command output follows", *output)
    return False


async def getvar(session: AmiSession, message: Message) -> bool:
    name, channel_name = message.get("Variable"), message.get("Channel")
    if not name:
        session.reply(message, "Error", "No variable specified")
        return False
    if not session.write_mask & Perm.SYSTEM and ("SHELL" in name or "EVAL" in name):
        session.reply(message, "Error", "GetVar Access Forbidden: Variable")
        return False
    if channel_name:
        channel = session.core.channels.find(channel_name)
        if channel is None:
            session.reply(message, "Error", "No such channel")
            return False
        value = channel.variable(name)
    else:
        value = None
    if value is None:
        value = session.core.channels.globals.get(name, "")
    session.reply(message, "Success", None, ("Variable", name), ("Value", value))
    return False


async def setvar(session: AmiSession, message: Message) -> bool:
    name, channel_name = message.get("Variable"), message.get("Channel")
    if not name:
        session.reply(message, "Error", "No variable specified")
        return False
    if channel_name:
        channel = session.core.channels.find(channel_name)
        if channel is None:
            session.reply(message, "Error", "No such channel")
            return False
        channel.variables[name] = message.get("Value")
    else:
        session.core.channels.globals[name] = message.get("Value")
    session.reply(message, "Success", "Variable Set")
    return False


async def hangup(session: AmiSession, message: Message) -> bool:
    name = message.get("Channel")
    if not name:
        session.reply(message, "Error", "No channel specified")
        return False
    channel = session.core.channels.find(name)
    if channel is None:
        session.reply(message, "Error", "No such channel")
        return False
    cause_text = message.get("Cause").strip()
    cause = int(cause_text) if cause_text.isdigit() and 0 < int(cause_text) <= 127 else 16
    session.core.telephony.end_by_channel(channel, cause)
    session.reply(message, "Success", "Channel Hungup")
    return False


async def core_show_channels(session: AmiSession, message: Message) -> bool:
    session.reply(message, "Success", "Channels will follow", list_flag="start")
    action_id = [("ActionID", message.action_id)] if message.action_id else []
    channels = sorted(session.core.channels, key=lambda c: c.sequence, reverse=True)
    now = session.core.clock.now()
    for channel in channels:
        seconds = int(now - channel.created_at)
        duration = f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
        session.send(
            [
                ("Event", "CoreShowChannel"),
                *action_id,
                *channel.snapshot(),
                ("Application", channel.application),
                ("ApplicationData", channel.application_data),
                ("Duration", duration),
                ("BridgeId", channel.bridge_id),
            ]
        )
    _list_complete(session, message, "CoreShowChannelsComplete", len(channels))
    return False


def _list_complete(session: AmiSession, message: Message, event: str, count: int) -> None:
    action_id = [("ActionID", message.action_id)] if message.action_id else []
    session.send([("Event", event), *action_id, ("EventList", "Complete"), ("ListItems", str(count))])


def _matching_queues(session: AmiSession, name: str) -> list[CallQueue]:
    return [q for q in session.core.queues.values() if not name or q.name.lower() == name.lower()]


async def queue_status(session: AmiSession, message: Message) -> bool:
    session.reply(message, "Success", "Queue status will follow", list_flag="start")
    action_id = [("ActionID", message.action_id)] if message.action_id else []
    member_filter = message.get("Member")
    items: list[list[Field]] = []
    for queue in _matching_queues(session, message.get("Queue")):
        items.append([("Event", "QueueParams"), *_queue_params(queue)])
        for member in queue.members:
            if not member_filter or member_filter in (member.interface, member.name):
                items.append([("Event", "QueueMember"), *_queue_member(queue, member)])
        now = session.core.clock.epoch_seconds()
        for position, entry in enumerate(queue.entries, start=1):
            items.append([("Event", "QueueEntry"), *_queue_entry(queue, position, entry, now)])
    for item in items:
        session.send([*item, *action_id])
    _list_complete(session, message, "QueueStatusComplete", len(items))
    return False


def _queue_member(queue: CallQueue, member: Member) -> list[Field]:
    """QueueMember: the member blob under QueueStatus's own names for the first fields."""
    blob = dict(member.blob(queue.name))
    names = ("StateInterface", "Membership", "Penalty", "CallsTaken", "LastCall", "LastPause", "LoginTime")
    more = ("InCall", "Status", "Paused", "PausedReason", "Wrapuptime")
    return [
        ("Queue", queue.name),
        ("Name", member.name),
        ("Location", member.interface),
        *[(name, blob[name]) for name in (*names, *more)],
    ]


def _queue_entry(queue: CallQueue, position: int, entry: QueueCall, now: int) -> list[Field]:
    channel = entry.channel
    return [
        ("Queue", queue.name),
        ("Position", str(position)),
        ("Channel", channel.name),
        ("Uniqueid", channel.uniqueid),
        ("CallerIDNum", channel.callerid_num or "unknown"),
        ("CallerIDName", channel.callerid_name or "unknown"),
        ("ConnectedLineNum", channel.connected_num or "unknown"),
        ("ConnectedLineName", channel.connected_name or "unknown"),
        ("Wait", str(now - entry.joined_at)),
        ("Priority", str(entry.priority)),
    ]


def _queue_params(queue: CallQueue) -> list[Field]:
    stats = queue.stats
    return [
        ("Queue", queue.name),
        ("Max", str(queue.config.max_callers)),
        ("Strategy", queue.config.strategy),
        ("Calls", str(len(queue.entries))),
        ("Holdtime", str(stats.holdtime)),
        ("TalkTime", str(stats.talktime)),
        ("Completed", str(stats.completed)),
        ("Abandoned", str(stats.abandoned)),
        ("ServiceLevel", str(queue.config.service_level_s)),
        ("ServicelevelPerf", f"{stats.service_level_percent():.1f}"),
        ("ServicelevelPerf2", f"{stats.service_level_percent_with_abandoned():.1f}"),
        ("Weight", str(queue.config.weight)),
    ]


async def queue_summary(session: AmiSession, message: Message) -> bool:
    session.reply(message, "Success", "Queue summary will follow", list_flag="start")
    action_id = [("ActionID", message.action_id)] if message.action_id else []
    now = session.core.clock.epoch_seconds()
    queues = _matching_queues(session, message.get("Queue"))
    for queue in queues:
        longest = max((now - entry.joined_at for entry in queue.entries), default=0)
        fields: list[Field] = [
            ("Queue", queue.name),
            ("LoggedIn", str(queue.logged_in_members())),
            ("Available", str(queue.available_members())),
            ("Callers", str(len(queue.entries))),
            ("HoldTime", str(queue.stats.holdtime)),
            ("TalkTime", str(queue.stats.talktime)),
            ("LongestHoldTime", str(longest)),
        ]
        session.send([("Event", "QueueSummary"), *fields, *action_id])
    _list_complete(session, message, "QueueSummaryComplete", len(queues))
    return False


async def queue_pause(session: AmiSession, message: Message) -> bool:
    interface, paused_text = message.get("Interface"), message.get("Paused")
    if not interface or not paused_text:
        session.reply(message, "Error", "Need 'Interface' and 'Paused' parameters.")
        return False
    paused = is_true(paused_text)
    found = False
    for queue in _matching_queues(session, message.get("Queue")):
        member = queue.member(interface)
        if member is not None:
            queue.pause(member, paused, message.get("Reason"))
            found = True
    if not found:
        session.reply(message, "Error", "Interface not found")
    else:
        session.reply(
            message,
            "Success",
            "Interface paused successfully" if paused else "Interface unpaused successfully",
        )
    return False


_CALLERID = re.compile(r'^\s*"?(?P<name>[^"<]*?)"?\s*<(?P<number>[^>]*)>\s*$')


def parse_callerid(text: str) -> CallerId:
    """ast_callerid_parse, as far as Originate needs it: `"Name" <number>`, `<number>`, a number, a name."""
    match = _CALLERID.match(text)
    if match:
        name, number = match.group("name").strip(), _shrink(match.group("number"))
        return CallerId(number or None, name or None)
    if text and _shrink(text).lstrip("+").isdigit():
        return CallerId(_shrink(text), None)
    return CallerId(None, text.strip() or None)


def _shrink(number: str) -> str:
    """ast_shrink_phone_number: drop the punctuation people write in numbers."""
    return "".join(ch for ch in number if ch not in " -().")


async def originate(session: AmiSession, message: Message) -> bool:
    request = _originate_request(session, message)
    if request is None:
        return False
    core = session.core
    if is_true(message.get("Async")):
        session.reply(message, "Success", "Originate successfully queued")
        core.originate(request, lambda result: _originate_response(session, message, request, result))
        return False
    if not request.application and not (request.exten and request.context and request.priority):
        session.reply(message, "Error", "Originate with 'Exten' requires 'Context' and 'Priority'")
        return False
    outcome: asyncio.Future[OriginateResult] = asyncio.get_running_loop().create_future()

    def settle(result: OriginateResult) -> None:
        if not outcome.done():
            outcome.set_result(result)

    core.originate(request, settle)
    if (await outcome).success:
        session.reply(message, "Success", "Originate successfully queued")
    else:
        session.reply(message, "Error", "Originate failed")
    return False


def _originate_request(session: AmiSession, message: Message) -> OriginateRequest | None:
    """The request, or None after the error reply action_originate gives before it dials."""
    error = _originate_error(session, message)
    if error is not None:
        session.reply(message, "Error", error)
        return None
    priority, timeout = message.get("Priority").strip(), message.get("Timeout").strip()
    variables = [
        (name, value)
        for header in message.get_all("Variable")
        for name, equals, value in [pair.partition("=") for pair in header.split(",")]
        if equals
    ]
    return OriginateRequest(
        dial=message.get("Channel"),
        context=message.get("Context"),
        exten=message.get("Exten"),
        priority=int(priority) if priority else 0,
        application=message.get("Application"),
        data=message.get("Data"),
        callerid=parse_callerid(message.get("CallerID")),
        timeout_s=(int(timeout) if timeout else DEFAULT_ORIGINATE_TIMEOUT_MS) / 1000,
        variables=tuple(variables),
        channel_id=message.get("ChannelId"),
        other_channel_id=message.get("OtherChannelId"),
    )


def _originate_error(session: AmiSession, message: Message) -> str | None:
    """action_originate's checks, in its order."""
    dial, context, exten = message.get("Channel"), message.get("Context"), message.get("Exten")
    priority, timeout = message.get("Priority").strip(), message.get("Timeout").strip()
    application = message.get("Application")
    if not dial:
        return "Channel not specified"
    if priority and not priority.lstrip("-").isdigit():
        return "Invalid priority"
    if timeout and not timeout.lstrip("-").isdigit():
        return "Invalid timeout"
    if DialTarget.parse(dial) is None:
        return "Invalid channel"
    if application and not may_originate_application(application, message.get("Data"), session.write_mask):
        return "Originate Access Forbidden: app or data blacklisted"
    if exten and context and priority and int(priority) and not session.core.dialplan.has_context(context):
        return "Extension does not exist."
    return None


def _originate_response(
    session: AmiSession, message: Message, request: OriginateRequest, result: OriginateResult
) -> None:
    """The OriginateResponse event (to every session that takes call events, not only the one that asked)."""
    fields: list[Field] = []
    if message.action_id:
        fields.append(("ActionID", message.action_id))
    fields += [("Response", "Success" if result.success else "Failure"), ("Channel", result.channel)]
    if request.application:
        fields += [("Application", request.application), ("Data", request.data)]
    else:
        fields += [("Context", request.context), ("Exten", request.exten)]
    fields += [
        ("Reason", str(result.reason)),
        ("Uniqueid", result.uniqueid),
        ("CallerIDNum", request.callerid.number or "<unknown>"),
        ("CallerIDName", request.callerid.name or "<unknown>"),
    ]
    session.core.bus.publish("OriginateResponse", fields, Perm.CALL)


HANDLERS: dict[str, Handler] = {
    "login": login,
    "logoff": logoff,
    "ping": ping,
    "events": events,
    "command": command,
    "getvar": getvar,
    "setvar": setvar,
    "hangup": hangup,
    "coreshowchannels": core_show_channels,
    "queuestatus": queue_status,
    "queuesummary": queue_summary,
    "queuepause": queue_pause,
    "originate": originate,
}
