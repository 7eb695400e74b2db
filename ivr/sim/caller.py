"""Scripted callers: a list of actions taken, in order, by the commands that listen to the caller.

A command that takes input (GET DATA, GET OPTION, WAIT FOR DIGIT, RECORD FILE, SPEECH RECOGNIZE) takes the
next action; a prompt that only listens for keys (STREAM FILE, CONTROL STREAM FILE or SAY with escape
digits) takes it only if it is a barge-in. When the script runs out the caller stays silent.

Keys that arrive after the command that took them has ended are not lost: they reach whatever reads keys
next, or are discarded if the bot is idle at that moment (as Asterisk does). Timed keys and a timed hang-up
count from the start of the call.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from ivr.sim.audio import Samples, load_caller_wav, synthetic_speech
from ivr.sim.sounds import SAMPLE_RATE
from ivr.sim.timeline import ANY_KEY, TONE_SECONDS, InputEvents, KeyPress, Utterance

KEY_INTERVAL = 0.35
"""Start-to-start time between keys: a 100 ms tone and a 250 ms gap (Asterisk's SendDTMF default)."""
SECONDS_PER_CHARACTER = 0.065
"""Speaking rate used to give a text-only utterance a length."""


def _check_after(after: float) -> None:
    if after < 0:
        raise ValueError(f"'after' must not be negative, got {after}")


@dataclass(frozen=True)
class Press:
    """Press keys: `after` seconds after the prompt ends, or after it starts when `barge_in`."""

    keys: str
    barge_in: bool = False
    after: float = 0.5
    interval: float = KEY_INTERVAL

    def __post_init__(self) -> None:
        if not self.keys or any(key not in ANY_KEY for key in self.keys):
            raise ValueError(f"Press: keys must be a non-empty string of {ANY_KEY!r}, got {self.keys!r}")
        if self.interval < TONE_SECONDS:
            raise ValueError(
                f"Press: interval must be at least the {TONE_SECONDS} s tone, got {self.interval}"
            )
        _check_after(self.after)


@dataclass(frozen=True)
class Silence:
    """Say and press nothing: the command times out."""


@dataclass(frozen=True)
class HangUp:
    """Hang up `after` seconds after the prompt ends, or after it starts when `during_prompt`."""

    during_prompt: bool = False
    after: float = 0.5

    def __post_init__(self) -> None:
        _check_after(self.after)

    @property
    def barge_in(self) -> bool:
        return self.during_prompt


@dataclass(frozen=True)
class Speak:
    """Speak, then end with `end`: "silence" (stay on the line, quiet), "hangup", or a key such as "#".

    The audio is the WAV file when given (what RECORD FILE writes), otherwise made-up speech lasting
    `seconds` (or a length estimated from `text`). `text`, `score` and `grammar` are what a speech engine
    hears (SPEECH RECOGNIZE); an utterance without text is heard as nothing.
    """

    wav: str | Path | None = None
    text: str | None = None
    end: str = "silence"
    after: float = 0.5
    barge_in: bool = False
    score: int | None = None
    grammar: str | None = None
    seconds: float | None = None

    def __post_init__(self) -> None:
        if self.wav is None and self.text is None and self.seconds is None:
            raise ValueError("Speak: give a wav file, a text or a length in seconds")
        if self.end not in ("silence", "hangup") and (len(self.end) != 1 or self.end not in ANY_KEY):
            raise ValueError(f"Speak: end must be 'silence', 'hangup' or one key, got {self.end!r}")
        if self.seconds is not None and self.seconds <= 0:
            raise ValueError(f"Speak: seconds must be positive, got {self.seconds}")
        _check_after(self.after)
        if self.wav is not None:
            load_caller_wav(self.wav)

    def audio(self) -> Samples:
        if self.wav is not None:
            return load_caller_wav(self.wav)
        seconds = self.seconds or max(0.6, SECONDS_PER_CHARACTER * len(self.text or ""))
        return synthetic_speech(seconds, self.text or "")


Action = Press | Silence | HangUp | Speak


class Listening(Enum):
    """How a command listens to the caller."""

    NOT_AT_ALL = "not at all"
    PROMPT_KEYS = "keys during its prompt"
    INPUT = "takes input"


class Caller:
    """A caller's script. Immutable: every call gets its own CallerSession."""

    def __init__(
        self,
        actions: Iterable[Action] = (),
        *,
        hang_up_after: float | None = None,
        hang_up_at_input: int | None = None,
        timed_keys: Iterable[tuple[float, str]] = (),
        idle_audio: bool = True,
    ) -> None:
        """`idle_audio`: when the caller is not speaking the line still carries silence frames (a SIP phone);
        False gives no frames at all, like the Local channels the transcripts were recorded with."""
        self.actions: tuple[Action, ...] = tuple(actions)
        for action in self.actions:
            if not isinstance(action, Press | Silence | HangUp | Speak):
                raise TypeError(f"Caller: not an action: {action!r}")
        if hang_up_after is not None and hang_up_after < 0:
            raise ValueError(f"Caller: hang_up_after must not be negative, got {hang_up_after}")
        if hang_up_at_input is not None and hang_up_at_input < 1:
            raise ValueError(f"Caller: hang_up_at_input counts from 1, got {hang_up_at_input}")
        self.timed_keys: tuple[tuple[float, str], ...] = tuple(sorted(timed_keys))
        for at, key in self.timed_keys:
            if len(key) != 1 or key not in ANY_KEY or at < 0:
                raise ValueError(
                    f"Caller: a timed key is (seconds >= 0, one of {ANY_KEY!r}), got {(at, key)}"
                )
        self.hang_up_after = hang_up_after
        self.hang_up_at_input = hang_up_at_input
        self.idle_audio = idle_audio

    def session(self) -> CallerSession:
        return CallerSession(self)

    def __repr__(self) -> str:
        return f"Caller({list(self.actions)!r}, hang_up_after={self.hang_up_after})"


class CallerSession:
    """One call's caller: what is left of the script, keys on their way, and when the caller hangs up."""

    def __init__(self, caller: Caller) -> None:
        self._actions: deque[Action] = deque(caller.actions)
        self._keys: list[tuple[float, str]] = list(caller.timed_keys)
        self.hangup_at: float | None = caller.hang_up_after
        self._hang_up_at_input = caller.hang_up_at_input
        self._idle_audio = caller.idle_audio
        self.inputs_taken = 0

    def listen(self, start: float, prompt_seconds: float, listening: Listening) -> InputEvents:
        """What the caller does during a command that started at `start` (call time) with such a prompt."""
        action = self._next_action(listening)
        utterance = self._schedule(action, start, prompt_seconds) if action is not None else None
        keys: tuple[KeyPress, ...] = ()
        if listening is not Listening.NOT_AT_ALL:
            keys = tuple(KeyPress(at - start, key) for at, key in self._keys if at >= start)
        hangup = None if self.hangup_at is None else max(0.0, self.hangup_at - start)
        return InputEvents(keys, hangup, utterance, self._idle_audio)

    def settle(self, until: float) -> None:
        """Forget keys that arrived before `until`: a command read or ignored them, or the bot was idle."""
        del self._keys[: bisect.bisect_left(self._keys, (until, ""))]

    def hang_up(self, at: float) -> None:
        self.hangup_at = at if self.hangup_at is None else min(self.hangup_at, at)

    def _next_action(self, listening: Listening) -> Action | None:
        if listening is Listening.INPUT:
            self.inputs_taken += 1
            if self.inputs_taken == self._hang_up_at_input:
                return HangUp()
            return self._actions.popleft() if self._actions else None
        if listening is Listening.PROMPT_KEYS and self._actions and _is_barge_in(self._actions[0]):
            return self._actions.popleft()
        return None

    def _schedule(self, action: Action, start: float, prompt_seconds: float) -> Utterance | None:
        """Put the action's keys and hang-up on the call's timeline; return its speech (command clock)."""
        if isinstance(action, Silence):
            return None
        anchor = start + (0.0 if action.barge_in else prompt_seconds) + action.after
        if isinstance(action, Press):
            for index, key in enumerate(action.keys):
                self._add_key(anchor + index * action.interval + TONE_SECONDS, key)
            return None
        if isinstance(action, HangUp):
            self.hang_up(anchor)
            return None
        return self._schedule_speech(action, anchor, start)

    def _schedule_speech(self, speak: Speak, anchor: float, start: float) -> Utterance:
        samples = speak.audio()
        ends_at = anchor + len(samples) / SAMPLE_RATE
        if speak.end == "hangup":
            self.hang_up(ends_at)
        elif speak.end != "silence":
            self._add_key(ends_at + TONE_SECONDS, speak.end)
        return Utterance(
            anchor - start,
            samples,
            speak.text,
            speak.score,
            speak.grammar,
            then_silence=speak.end == "silence",
        )

    def _add_key(self, at: float, key: str) -> None:
        bisect.insort(self._keys, (at, key))


def _is_barge_in(action: Action) -> bool:
    return not isinstance(action, Silence) and action.barge_in
