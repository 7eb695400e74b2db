"""SimulatedPBX: one simulated Asterisk with both faces, the AMI server and the FastAGI client, sharing
one state (clock, channels, dialplan, queues)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ivr.sim.ami.channels import PbxChannel
from ivr.sim.ami.clock import PbxClock
from ivr.sim.ami.core import AsteriskCore
from ivr.sim.ami.dialplan import Dialplan
from ivr.sim.ami.events import AmiEvent
from ivr.sim.ami.permissions import DEFAULT_USERS, AmiUser
from ivr.sim.ami.queue import CallQueue, QueueConfig
from ivr.sim.ami.server import AmiServer
from ivr.sim.ami.telephony import NO_CALLERID, CallerId, Leg
from ivr.sim.asterisk import SimulatedAsterisk
from ivr.sim.caller import Caller
from ivr.sim.sounds import SoundLibrary
from ivr.sim.trace import CallTrace


class SimulatedPBX:
    """time_scale 0: virtual time that moves only with `advance` (tests); > 0: scaled real time."""

    def __init__(
        self,
        *,
        time_scale: float = 0.0,
        epoch: float | None = None,
        seed: int = 0,
        users: Sequence[AmiUser] = DEFAULT_USERS,
    ) -> None:
        self.clock = PbxClock(time_scale, epoch=epoch)
        self.core = AsteriskCore(self.clock, seed=seed)
        self.ami = AmiServer(self.core, users)
        self.fastagi: SimulatedAsterisk | None = None
        self.agi_traces: dict[str, CallTrace] = {}
        """The FastAGI session of each channel that ran AGI(), by uniqueid."""
        self._agi_callers: dict[str, Caller] = {}

    @property
    def dialplan(self) -> Dialplan:
        return self.core.dialplan

    def add_queue(self, config: QueueConfig) -> CallQueue:
        return self.core.add_queue(config)

    def queue(self, name: str) -> CallQueue:
        queue = self.core.queue(name)
        if queue is None:
            raise KeyError(f"no queue {name!r}")
        return queue

    def channel(self, name_or_uniqueid: str) -> PbxChannel | None:
        return self.core.channels.find(name_or_uniqueid)

    def subscribe(self, listener: Callable[[AmiEvent], None]) -> Callable[[], None]:
        """Every event the PBX publishes, whatever the AMI sessions' masks (returns the unsubscribe)."""
        return self.core.bus.subscribe(listener)

    def start(self) -> None:
        """In real time (time_scale > 0), start the clock's driver; `start_ami` does it too."""
        self.clock.start()

    async def start_ami(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Start the AMI server (and, in real time, the clock); returns the port it listens on."""
        self.start()
        await self.ami.start(host, port)
        return self.ami.port

    def connect_fastagi(
        self,
        host: str,
        port: int,
        *,
        sounds: SoundLibrary | None = None,
        path_map: Mapping[str, str | Path] | None = None,
        speech_engine: str | None = None,
    ) -> SimulatedAsterisk:
        """AGI() in the dialplan (a `RunAgi` destination) calls the FastAGI server at host:port."""
        self.fastagi = SimulatedAsterisk(
            host,
            port,
            sounds=sounds or SoundLibrary([]),
            time_scale=self.clock.time_scale,
            speech_engine=speech_engine,
            path_map=path_map,
        )
        self.core.agi_runner = self._run_agi
        return self.fastagi

    def inbound_call(
        self,
        context: str,
        *,
        callerid: CallerId = NO_CALLERID,
        exten: str = "s",
        hangs_up_after_s: float | None = None,
        agi_caller: Caller | None = None,
    ) -> Leg:
        """A call from the network into `context`; `agi_caller` is how the caller behaves in an AGI there."""
        leg = self.core.inbound_call(
            context=context, exten=exten, callerid=callerid, hangs_up_after_s=hangs_up_after_s, defer=True
        )
        if agi_caller is not None:
            self._agi_callers[leg.near.uniqueid] = agi_caller
        self.core.enter(leg, context, exten)
        return leg

    async def advance(self, seconds: float) -> None:
        await self.clock.advance(seconds)

    async def run_until_idle(self, limit: float = 24 * 3600.0) -> None:
        await self.clock.run_until_idle(limit)

    async def stop(self) -> None:
        await self.ami.close()
        await self.core.close()
        await self.clock.stop()

    async def _run_agi(self, channel: PbxChannel, request: str) -> Mapping[str, str]:
        assert self.fastagi is not None
        trace = await self.fastagi.place_call(
            request,
            self._agi_callers.pop(channel.uniqueid, None),
            callerid=channel.callerid_num,
            calleridname=channel.callerid_name,
            language=channel.language,
            uniqueid=channel.uniqueid,
            channel=channel.name,
            context=channel.context,
            extension=channel.exten,
            priority=channel.priority,
            variables=channel.variables,
        )
        self.agi_traces[channel.uniqueid] = trace
        return channel.variables
