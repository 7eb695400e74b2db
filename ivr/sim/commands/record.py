"""RECORD FILE as res_agi.c does it: optional beep, then voice frames until a key, silence, time-out, hang-up.

The caller's voice frames arrive every 20 ms (a short last frame for a WAV that does not fill it); none arrive
while a DTMF tone sounds, and none at all when the caller is idle on a line without idle audio. A key ends the
recording with 200 ms cut off; silence ends it keeping 1 s of the silence.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ivr.sim.args import c_atoi, c_scan_int, c_scan_long
from ivr.sim.audio import (
    EMPTY,
    FRAME_SAMPLES,
    RECORDING_FORMATS,
    Frame,
    Samples,
    frames_of,
    read_recording,
    silence,
    write_recording,
)
from ivr.sim.caller import Listening
from ivr.sim.commands.base import CommandContext, Outcome, RecordedFile, UsageError
from ivr.sim.sounds import SAMPLE_RATE
from ivr.sim.timeline import FOREVER, InputEvents, Stop, play

FRAME_SECONDS = FRAME_SAMPLES / SAMPLE_RATE
DTMF_REWIND_SAMPLES = 200 * SAMPLE_RATE // 1000
KEPT_SILENCE_MS = 1000
UNLIMITED_WAIT_MS = 100_000
"""ast_waitfor() waits in 100 s slices when it has no limit; RECORD FILE reports what is left of one."""
_ZERO_FRAME: Samples = silence(FRAME_SAMPLES)


@dataclass(frozen=True)
class _Options:
    escape: str
    timeout_ms: int
    silence_ms: int
    offset: int
    beep: bool


def _parse(argv: list[str]) -> _Options:
    if len(argv) < 6:
        raise UsageError
    timeout_ms = c_scan_int(argv[5])
    if timeout_ms is None:
        raise UsageError
    offset = c_scan_long(argv[6]) if len(argv) > 6 else None
    beep = (len(argv) > 6 and offset is None and not argv[6].startswith("s=")) or (
        len(argv) > 7 and not argv[7].startswith("s=")
    )
    return _Options(argv[4], timeout_ms, _silence_ms(argv), offset or 0, beep)


def _silence_ms(argv: list[str]) -> int:
    """The first of arguments 6-8 containing an 's' decides; only an exact `s=N` (N > 0) sets the silence."""
    for argument in argv[6:9]:
        found = argument.find("s")
        if found >= 0:
            option = argument[found:]
            if len(option) > 2 and option.startswith("s="):
                seconds = c_atoi(option[2:])
                return seconds * 1000 if seconds > 0 else 0
            return 0
    return 0


def _target(ctx: CommandContext, name: str, format_name: str) -> tuple[Path, str] | None:
    """Where ast_writefile would write, or None when it cannot (unknown format, missing directory)."""
    extension = RECORDING_FORMATS.get(format_name.lower())
    local = ctx.paths.to_local(name)
    base = Path(local) if local.startswith("/") else None
    if base is None and ctx.sounds.sounds_dir is not None:
        base = ctx.sounds.sounds_dir / local
    if extension is None or base is None or not name:
        return None
    path = base.with_name(f"{base.name}.{extension}")
    if not path.parent.is_dir() or not os.access(path.parent, os.W_OK):
        return None
    return path, extension


@dataclass
class _Take:
    """How the recording loop ended and what it captured."""

    line: str
    samples: Samples
    stop: Stop
    ended_by: str


class _Recorder:
    def __init__(self, events: InputEvents, start: float, options: _Options) -> None:
        self.events = events
        self.start = start
        self.options = options
        self.limit = start + options.timeout_ms / 1000 if options.timeout_ms >= 0 else FOREVER

    def run(self) -> _Take | None:
        """The finished take, or None when nothing would ever end this recording."""
        stop = self.events.first(self.start, self.limit + 1e-9, self.options.escape)
        end = min(stop.at, self.limit)
        horizon = end if end != FOREVER else self._silence_horizon()
        if horizon == FOREVER:
            return None
        captured, silence_take = self._capture(stop, horizon)
        if silence_take is not None:
            return silence_take
        return None if end == FOREVER else self._ended(stop, captured)

    def _silence_horizon(self) -> float:
        """With no time limit only silence detection can end the take; look far enough ahead for it."""
        if self.options.silence_ms <= 0:
            return FOREVER
        utterance = self.events.utterance
        heard_until = max(self.start, utterance.ends_at if utterance else self.start)
        return heard_until + self.options.silence_ms / 1000 + 1.0

    def _capture(self, stop: Stop, horizon: float) -> tuple[list[Samples], _Take | None]:
        """The frames recorded before `stop` (or up to `horizon`), or the take if silence ended it first."""
        captured: list[Samples] = []
        silent_ms = 0
        previous_arrival = self.start
        for frame in self._frames(horizon):
            if stop.kind != "none" and frame.arrives_at >= stop.at:
                break
            captured.append(frame.samples)
            silent_ms = silent_ms + frame.milliseconds if frame.silent else 0
            if 0 < self.options.silence_ms < silent_ms:
                return captured, self._silence_ended(captured, frame, previous_arrival)
            previous_arrival = frame.arrives_at
        return captured, None

    def _silence_ended(self, captured: list[Samples], frame: Frame, previous_arrival: float) -> _Take:
        samples = _joined(captured)
        kept = max(0, len(samples) - (self.options.silence_ms - KEPT_SILENCE_MS) * SAMPLE_RATE // 1000)
        elapsed_ms = round((frame.arrives_at - self.start) * 1000)
        if self.options.timeout_ms >= 0:
            left = self.options.timeout_ms - elapsed_ms
        else:
            left = UNLIMITED_WAIT_MS - round((frame.arrives_at - previous_arrival) * 1000)
        stop = Stop("none", frame.arrives_at)
        return _Take(f"200 result={left} (timeout) endpos={{endpos}}", samples[:kept], stop, "silence")

    def _ended(self, stop: Stop, captured: list[Samples]) -> _Take:
        samples = _joined(captured)
        if stop.kind == "key":
            return _Take(f"200 result={stop.ascii} (dtmf) endpos={{endpos}}", samples, stop, "dtmf")
        if stop.kind == "hangup":
            return _Take("200 result=-1 (hangup) endpos={endpos}", samples, stop, "hangup")
        return _Take("200 result=0 (timeout) endpos={endpos}", samples, Stop("none", self.limit), "timeout")

    def _frames(self, horizon: float) -> Iterator[Frame]:
        utterance = self.events.utterance
        if utterance is None or utterance.ends_at <= self.start:
            yield from self._idle_frames(self.start, horizon, always=False)
            return
        speech_start = max(self.start, utterance.starts_at)
        yield from self._idle_frames(self.start, speech_start, always=False)
        skipped = round((speech_start - utterance.starts_at) * SAMPLE_RATE)
        for frame in frames_of(utterance.samples[skipped:], speech_start):
            if frame.arrives_at > horizon:
                return
            yield frame
        yield from self._idle_frames(utterance.ends_at, horizon, always=utterance.then_silence)

    def _idle_frames(self, start: float, end: float, *, always: bool) -> Iterator[Frame]:
        """Silence frames on a 20 ms grid from `start`, as far as `end` (not while a DTMF tone sounds)."""
        if not (always or self.events.idle_audio):
            return
        index = 1
        while (arrival := start + index * FRAME_SECONDS) <= end + 1e-9:
            if always or not self.events.tone_at(arrival - FRAME_SECONDS / 2):
                yield Frame(arrival, _ZERO_FRAME, silent=True)
            index += 1


def _joined(parts: list[Samples]) -> Samples:
    return np.concatenate(parts) if parts else EMPTY


def record_file(ctx: CommandContext, argv: list[str]) -> Outcome:
    options = _parse(argv)
    target = _target(ctx, argv[2], argv[3])
    beep = ctx.find_sound("beep") if options.beep else None
    beep_seconds = beep.seconds if beep else 0.0
    listening = Listening.INPUT if target else Listening.PROMPT_KEYS if beep else Listening.NOT_AT_ALL
    events = ctx.listen(beep_seconds, listening)
    recording_starts = 0.0
    if beep is not None:
        stop = play(events, 0.0, beep.samples, options.escape).stop
        if stop.kind != "none":
            result = -1 if stop.kind == "hangup" else stop.ascii
            line = f"200 result={result} (randomerror) endpos={options.offset}"
            return Outcome([line], duration=stop.at, ended_by=ctx.hangup_cause(stop))
        recording_starts = stop.at
    if target is None:
        return Outcome(["200 result=-1 (writefile)"], duration=recording_starts)
    take = _Recorder(events, recording_starts, options).run()
    if take is None:
        return Outcome([], duration=FOREVER)
    endpos = _store(ctx, target, argv[2], options.offset, take)
    return Outcome(
        [take.line.format(endpos=endpos)], duration=take.stop.at, ended_by=ctx.hangup_cause(take.stop)
    )


def _store(ctx: CommandContext, target: tuple[Path, str], requested: str, offset: int, take: _Take) -> int:
    """Write the take after `offset` samples of what the file held; returns the final endpos."""
    path, extension = target
    kept = read_recording(path, extension)[: max(0, offset)] if offset > 0 and path.exists() else EMPTY
    samples = np.concatenate([kept, take.samples])
    if take.ended_by == "dtmf":
        samples = samples[: max(0, len(samples) - DTMF_REWIND_SAMPLES)]
    write_recording(path, extension, samples)
    ctx.recordings.append(RecordedFile(path, requested, len(samples), take.ended_by))
    return len(samples)
