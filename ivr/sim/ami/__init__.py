"""The simulated Asterisk's AMI side: an AMI server speaking as the recorded Asterisk 20.20.1, over a model
of channels, Originate and app_queue queues driven by time. See ivr/sim/README.md.

pbx = SimulatedPBX(time_scale=0.0, seed=1)
pbx.add_queue(QueueConfig("kc", members=(Agent("Local/a1@agents/n", "Anna"),), talk=LogNormal(180)))
pbx.dialplan.add_party("callee", Answers(after_s=4))
pbx.dialplan.add_context("callback", JoinQueue("kc", priority=10))
port = await pbx.start_ami()
await pbx.advance(30)
"""

from ivr.sim.ami.channels import ChannelState, PbxChannel
from ivr.sim.ami.clock import PbxClock
from ivr.sim.ami.core import AgiRunner, AsteriskCore
from ivr.sim.ami.dialplan import (
    Answers,
    Busy,
    Callee,
    Congestion,
    Destination,
    Dialplan,
    Hold,
    JoinQueue,
    NoAnswer,
    RunAgi,
)
from ivr.sim.ami.events import AmiEvent, EventBus
from ivr.sim.ami.handling import Exponential, Fixed, HandlingTime, LogNormal
from ivr.sim.ami.members import Agent, Member, MemberStatus
from ivr.sim.ami.originate import OriginateRequest, OriginateResult
from ivr.sim.ami.pbx import SimulatedPBX
from ivr.sim.ami.permissions import DEFAULT_USERS, AmiUser, Perm
from ivr.sim.ami.queue import CallQueue, QueueCall, QueueConfig
from ivr.sim.ami.server import AmiServer
from ivr.sim.ami.telephony import CallerId, Leg

__all__ = [
    "DEFAULT_USERS",
    "Agent",
    "AgiRunner",
    "AmiEvent",
    "AmiServer",
    "AmiUser",
    "Answers",
    "AsteriskCore",
    "Busy",
    "CallQueue",
    "Callee",
    "CallerId",
    "ChannelState",
    "Congestion",
    "Destination",
    "Dialplan",
    "EventBus",
    "Exponential",
    "Fixed",
    "HandlingTime",
    "Hold",
    "JoinQueue",
    "Leg",
    "LogNormal",
    "Member",
    "MemberStatus",
    "NoAnswer",
    "OriginateRequest",
    "OriginateResult",
    "PbxChannel",
    "PbxClock",
    "Perm",
    "QueueCall",
    "QueueConfig",
    "RunAgi",
    "SimulatedPBX",
]
