"""`/inbound`: before the queue. Announcements, the caller's place and estimated wait, and a callback offer.

The dialplan runs `AGI(agi://bot/inbound?tenant=T&queue=Q)` before `Queue(Q)` and reads `INBOUND_RESULT`:
`queue` (go on to the queue), `callback` (a callback was booked; the bot has hung up), `closed` (outside
opening hours and no callback wanted). A caller who accepts keeps their place: the request's virtual place is
the moment they called, and the dialer never rings them ahead of anyone who called earlier.

Each call is recorded in the store (`inbound_calls`): the place and wait announced, the callback offered and
accepted, and the result; the queue's AMI events add how long the caller actually waited (see runtime.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from ivr.agi.channel import Channel
from ivr.agi.errors import AGIError, AGIHangup
from ivr.apps.agi_io import is_slug, sound_for
from ivr.apps.shared_dir import SharedDir
from ivr.dialog.io import Prompt
from ivr.dialog.registry import DialogNotFoundError, DialogRegistry
from ivr.queueing import phrases
from ivr.queueing.callbacks import RedisCallbackQueue
from ivr.queueing.config import InboundConfig, QueueSettings
from ivr.queueing.estimate import EstimateMethod, WaitEstimate, estimate_wait
from ivr.queueing.handling import HandlingStats
from ivr.queueing.numbers import CallbackNumber, InvalidNumber, validate_callback_number
from ivr.queueing.snapshot import QueueSnapshot
from ivr.speech.prompts import PromptCache
from ivr.store.operations import InboundResult
from ivr.store.writer import StoreClosedError, SurveyStore

log = logging.getLogger("ivr.apps.inbound")

OFFER_TIMEOUT_MS = 5000
NUMBER_TIMEOUT_MS = 4000  # GET DATA counts it again after each key
MAX_NUMBER_DIGITS = 15
NUMBER_ATTEMPTS = 3


class QueueInsight(Protocol):
    """The live queue as the inbound app needs it (LiveQueues over AMI, or a fake in tests)."""

    async def snapshot(self, queue: str) -> QueueSnapshot | None: ...

    async def stats(self, queue: str) -> HandlingStats: ...


@dataclass(frozen=True)
class InboundRooms:
    documents: DialogRegistry
    insight: QueueInsight
    callbacks: RedisCallbackQueue
    prompts: PromptCache
    prompts_dir: SharedDir
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    store: SurveyStore | None = None  # records each call (`inbound_calls`); None: not recorded


@dataclass(frozen=True)
class Announcement:
    """What the caller is told about the queue, also what `ivr inbound preview` prints."""

    position: int
    estimate: WaitEstimate | None
    offer_callback: bool
    prompts: tuple[Prompt, ...]


class InboundApp:
    def __init__(self, rooms: InboundRooms) -> None:
        self._rooms = rooms

    async def __call__(self, channel: Channel) -> None:
        request = channel.request
        tenant, queue = request.query.get("tenant", "default"), request.query.get("queue", "")
        try:
            config, settings = self._settings(tenant, queue)
        except (DialogNotFoundError, KeyError, ValueError) as error:
            log.error(
                "call %s: no inbound settings for tenant %r queue %r: %s",
                request.uniqueid,
                tenant,
                queue,
                error,
            )
            await channel.set_variable("INBOUND_RESULT", "queue")
            return
        call = _InboundCall(channel, self._rooms, config, settings, tenant, queue)
        try:
            call.result = await call.run()
            await channel.set_variable("INBOUND_RESULT", call.result)
        except AGIHangup:
            log.info("call %s: caller hung up before the queue", request.uniqueid)
        except AGIError as error:
            log.warning("call %s: inbound ended early: %s", request.uniqueid, error)
        finally:
            self._record(call)

    def _record(self, call: _InboundCall) -> None:
        store = self._rooms.store
        if store is None:
            return
        try:
            store.inbound_call(
                uniqueid=call.channel.request.uniqueid,
                tenant=call.tenant,
                queue=call.queue,
                arrived_at=call.arrived,
                result=call.result,
                position=call.position,
                announced_wait_s=call.announced_wait_s,
                offered_callback=call.offered_callback,
                callback_accepted=call.callback_accepted,
            )
        except (StoreClosedError, ValueError) as error:  # the record must never cost the call
            log.error("call %s: the inbound call is not recorded: %s", call.channel.request.uniqueid, error)

    def _settings(self, tenant: str, queue: str) -> tuple[InboundConfig, QueueSettings]:
        if not is_slug(tenant) or not is_slug(queue):
            raise ValueError("tenant and queue must be slugs")
        config = self._rooms.documents.document("inbound", tenant, InboundConfig)
        return config, config.queue(queue)


def announcement_for(
    config: InboundConfig,
    settings: QueueSettings,
    snapshot: QueueSnapshot | None,
    stats: HandlingStats,
    now: datetime,
) -> Announcement:
    """Place, wait and whether to offer a callback, for a caller about to join the queue."""
    position = (snapshot.waiting if snapshot else 0) + 1
    estimate = estimate_wait(snapshot, position, stats, now.timestamp()) if snapshot else None
    return spoken(config, settings, position, estimate)


def spoken(
    config: InboundConfig, settings: QueueSettings, position: int, estimate: WaitEstimate | None
) -> Announcement:
    if position <= phrases.MAX_ANNOUNCED_POSITION:
        said = [phrases.position(position)]
    else:
        said = [config.text("many_ahead")]
    if estimate is None or estimate.seconds is None:
        said.append(config.text("no_agents"))
        offer = True
    else:
        said.append(phrases.wait(estimate.seconds))
        offer = estimate.seconds > settings.callback_offer_above_s
    return Announcement(position, estimate, offer, tuple(said))


def preview(
    config: InboundConfig, queue: str, position: int, wait_s: float | None, at: datetime
) -> list[str]:
    """What a caller would hear, as text, for `ivr inbound preview`."""
    settings = config.queue(queue)
    lines = [notice.text for notice in config.active_announcements(queue, at)]
    hours = settings.hours()
    if not hours.is_open(at):
        opens = hours.next_opening(at)
        lines.append(config.texts.closed)
        if opens is not None:
            reopening = " ".join(prompt.text for prompt in phrases.reopening(opens, at))
            lines += [f"{config.texts.reopens} {reopening}.", config.texts.closed_callback_offer]
        return lines
    estimate = None if wait_s is None else WaitEstimate(wait_s, wait_s, wait_s, EstimateMethod.GIVEN)
    said = spoken(config, settings, position, estimate)
    lines += [prompt.text for prompt in said.prompts]
    if said.offer_callback:
        lines.append(config.texts.callback_offer)
    return lines


class _InboundCall:
    """One caller's way to the queue (or to a callback)."""

    def __init__(
        self,
        channel: Channel,
        rooms: InboundRooms,
        config: InboundConfig,
        settings: QueueSettings,
        tenant: str,
        queue: str,
    ) -> None:
        self.channel, self.rooms, self.config, self.settings = channel, rooms, config, settings
        self.tenant, self.queue = tenant, queue
        self.arrived = rooms.clock()
        # What the caller was told and chose, for the record; "hangup" until run() returns.
        self.result: InboundResult = "hangup"
        self.position: int | None = None
        self.announced_wait_s: float | None = None
        self.offered_callback = False
        self.callback_accepted = False

    async def run(self) -> InboundResult:
        await self.channel.answer()
        for notice in self.config.active_announcements(self.queue, self.arrived):
            await self._play([Prompt(notice.text, name=f"announcement.{notice.id}")])
        hours = self.settings.hours()
        if not hours.is_open(self.arrived):
            return await self._closed(hours.next_opening(self.arrived))
        insight = self.rooms.insight
        said = announcement_for(
            self.config,
            self.settings,
            await insight.snapshot(self.queue),
            await insight.stats(self.queue),
            self.arrived,
        )
        self.position = said.position
        if said.estimate is not None and said.estimate.seconds is not None:
            self.announced_wait_s = said.estimate.seconds
        await self._play(list(said.prompts))
        await self.channel.set_variable("INBOUND_POSITION", str(said.position))
        if self.announced_wait_s is not None:
            await self.channel.set_variable("INBOUND_ESTIMATE_S", str(round(self.announced_wait_s)))
        if said.offer_callback and await self._accepts(self.config.text("callback_offer")):
            return await self._book_callback(self.arrived)
        return "queue"

    async def _closed(self, opens: datetime | None) -> InboundResult:
        closed = [self.config.text("closed")]
        if opens is not None:
            closed += [self.config.text("reopens"), *phrases.reopening(opens, self.arrived)]
        await self._play(closed)
        if opens is not None and await self._accepts(self.config.text("closed_callback_offer")):
            return await self._book_callback(opens)
        return "closed"

    async def _accepts(self, offer: Prompt) -> bool:
        self.offered_callback = True
        result = await self.channel.get_data(self._sound(offer), OFFER_TIMEOUT_MS, 1)
        self.callback_accepted = result.digits == "1"
        return self.callback_accepted

    async def _book_callback(self, place: datetime) -> InboundResult:
        number = await self._confirmed_number()
        if number is None:
            return "queue"
        added = await self.rooms.callbacks.add(
            tenant=self.tenant, queue=self.queue, number=number, virtual_place=place
        )
        log.info(
            "call %s: callback %s booked (%s)",
            self.channel.request.uniqueid,
            added.request.id,
            "new" if added.created else "already waiting",
        )
        await self._play([self.config.text("confirmed")])
        await self.channel.hangup()
        return "callback"

    async def _confirmed_number(self) -> CallbackNumber | None:
        """Read the caller's number back; 1 confirms, or they key another one ending with #."""
        number = _valid(self.channel.request.callerid)
        for _ in range(NUMBER_ATTEMPTS):
            if number is None:
                keyed = await self._keys(self.config.text("ask_number"))
            else:
                await self._play([self.config.text("readback"), *map(phrases.digit, number.national)])
                keyed = await self._keys(self.config.text("confirm_number"))
                if keyed == "1":
                    return number
            if not keyed:
                continue
            candidate = _valid(keyed)
            if candidate is None:
                await self._play([self.config.text("invalid_number")])
            number = candidate or number
        return None

    async def _keys(self, prompt: Prompt) -> str:
        result = await self.channel.get_data(self._sound(prompt), NUMBER_TIMEOUT_MS, MAX_NUMBER_DIGITS)
        return result.digits

    async def _play(self, prompts: Sequence[Prompt]) -> None:
        """One Playback of several files: no gaps between the pieces, and no keys needed while it plays."""
        await self.channel.exec("Playback", "&".join(self._sound(prompt) for prompt in prompts))

    def _sound(self, prompt: Prompt) -> str:
        return sound_for(prompt, self.rooms.prompts, self.rooms.prompts_dir)


def _valid(text: str | None) -> CallbackNumber | None:
    if not text:
        return None
    try:
        return validate_callback_number(text)
    except InvalidNumber as error:
        log.info("callback number refused: %s", error.reason)
        return None
