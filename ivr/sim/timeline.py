"""What the caller does during one command, on that command's clock, and the playback/wait primitives.

Times are seconds since the command arrived. A window [lo, hi) includes its start and excludes its end; when
a key and a hang-up happen at the same moment, the hang-up wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from ivr.sim.audio import FRAME_SAMPLES, Samples
from ivr.sim.sounds import SAMPLE_RATE

ANY_KEY = "0123456789#*ABCD"
"""Asterisk's AST_DIGIT_ANY."""
FOREVER = math.inf
TONE_SECONDS = 0.1
"""A DTMF key reaches the channel when its tone ends (Asterisk acts on DTMF END)."""


@dataclass(frozen=True)
class KeyPress:
    at: float
    key: str


@dataclass(frozen=True)
class Utterance:
    """The caller speaking during this command."""

    starts_at: float
    samples: Samples
    text: str | None
    score: int | None
    grammar: str | None
    then_silence: bool
    """After speaking, the line carries silence (frames of zeros) whatever the caller's idle line does."""

    @property
    def ends_at(self) -> float:
        return self.starts_at + len(self.samples) / SAMPLE_RATE


@dataclass(frozen=True)
class Stop:
    """Why a wait or a playback ended: a key, a hang-up, or neither (it ran its course at `at`)."""

    kind: Literal["key", "hangup", "none"]
    at: float
    key: str = ""
    key_index: int = -1
    """Which of the command's keys it was; a wait that follows looks only at later keys."""

    @property
    def ascii(self) -> int:
        return ord(self.key) if self.key else 0


@dataclass(frozen=True)
class Played:
    stop: Stop
    position: int
    """Where playback stopped, in samples: Asterisk's endpos."""


@dataclass(frozen=True)
class InputEvents:
    """Everything the caller does from the command's start on."""

    keys: tuple[KeyPress, ...] = ()
    hangup_at: float | None = None
    utterance: Utterance | None = None
    idle_audio: bool = True

    def first(self, lo: float, hi: float, accept: str, *, after: Stop | None = None) -> Stop:
        """The first key in `accept` (later than the key `after`), or the hang-up, within [lo, hi);
        otherwise Stop("none", hi)."""
        hangup = self.hangup_at if self.hangup_at is not None and lo <= self.hangup_at < hi else None
        first_index = after.key_index + 1 if after is not None else 0
        for index in range(first_index, len(self.keys)):
            press = self.keys[index]
            if press.at >= hi or (hangup is not None and press.at >= hangup):
                break
            if press.at >= lo and press.key in accept:
                return Stop("key", press.at, press.key, index)
        if hangup is not None:
            return Stop("hangup", hangup)
        return Stop("none", hi)

    def tone_at(self, moment: float) -> bool:
        """Whether a DTMF tone is sounding at `moment` (voice frames are dropped meanwhile)."""
        return any(press.at - TONE_SECONDS <= moment < press.at for press in self.keys)


def frames_played(seconds: float) -> int:
    """Frames written by the moment playback is stopped: the frame under way counts as played."""
    samples = round(seconds * SAMPLE_RATE)
    return -(-samples // FRAME_SAMPLES)


def play(
    events: InputEvents, lo: float, total: int, breakon: str, offset: int = 0, *, after: Stop | None = None
) -> Played:
    """Play a sound of `total` samples from `offset`, stopping on a key in `breakon` or a hang-up."""
    first_sample = min(max(offset, 0), total)
    stop = events.first(lo, lo + (total - first_sample) / SAMPLE_RATE, breakon, after=after)
    if stop.kind == "none":
        return Played(stop, total)
    position = first_sample + frames_played(stop.at - lo) * FRAME_SAMPLES
    return Played(stop, min(total, position))


def wait_for_key(
    events: InputEvents, lo: float, timeout_ms: int, accept: str = ANY_KEY, *, after: Stop | None = None
) -> Stop:
    """ast_waitfordigit: a key (later than the key `after`), a hang-up, or the timeout (negative: none)."""
    hi = lo + timeout_ms / 1000 if timeout_ms >= 0 else FOREVER
    return events.first(lo, hi, accept, after=after)


def play_sequence(events: InputEvents, lo: float, lengths: list[int], breakon: str) -> Stop:
    """Play sounds one after another (the SAY commands); returns where and why it stopped."""
    at = lo
    for samples in lengths:
        played = play(events, at, samples, breakon)
        if played.stop.kind != "none":
            return played.stop
        at = played.stop.at
    return Stop("none", at)
