"""Events: what the PBX publishes, stamped with Privilege and Timestamp, for every session that wants them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ivr.sim.ami.channels import PbxChannel
from ivr.sim.ami.clock import PbxClock
from ivr.sim.ami.permissions import Perm, privilege_text
from ivr.sim.ami.wire import Field, encode


@dataclass(frozen=True)
class AmiEvent:
    name: str
    category: int
    fields: tuple[Field, ...]
    """The event's own fields, after Event, Privilege and Timestamp."""
    timestamp: float

    def lines(self) -> list[Field]:
        return [
            ("Event", self.name),
            ("Privilege", privilege_text(self.category)),
            ("Timestamp", f"{self.timestamp:.6f}"),
            *self.fields,
        ]

    def encode(self) -> bytes:
        return encode(self.lines())

    def get(self, key: str) -> str | None:
        return next((value for name, value in self.fields if name == key), None)


Subscriber = Callable[[AmiEvent], None]


class EventBus:
    """Publishes events to the current subscribers only: whoever is not connected misses them."""

    def __init__(self, clock: PbxClock) -> None:
        self.clock = clock
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    def publish(self, name: str, fields: Iterable[Field], category: int = Perm.CALL) -> AmiEvent:
        event = AmiEvent(name, category, tuple(fields), self.clock.epoch())
        for subscriber in list(self._subscribers):
            subscriber(event)
        return event

    def channel_event(
        self, name: str, channel: PbxChannel, *extra: Field, category: int = Perm.CALL
    ) -> AmiEvent:
        return self.publish(name, [*channel.snapshot(), *extra], category)

    def dial_event(
        self,
        name: str,
        caller: PbxChannel | None,
        dest: PbxChannel,
        *extra: Field,
        category: int = Perm.CALL,
    ) -> AmiEvent:
        """An event about a caller and the channel it dials (the caller is absent for Originate)."""
        fields = [*(caller.snapshot() if caller else []), *dest.snapshot("Dest"), *extra]
        return self.publish(name, fields, category)

    def hangup_request(self, channel: PbxChannel, *, soft: bool, cause: int) -> AmiEvent:
        kind = "SoftHangupRequest" if soft else "HangupRequest"
        return self.channel_event(kind, channel, ("Cause", str(cause)))

    def device_state(self, device: str, state: str) -> AmiEvent:
        return self.publish("DeviceStateChange", [("Device", device), ("State", state)])
