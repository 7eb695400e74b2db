"""Simulated survey callers: a mood gives the answers, a habit how they are keyed, walked over the dialog."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ivr.dialog.io import Answer
from ivr.dialog.model import (
    ChoiceQuestion,
    CommentQuestion,
    Dialog,
    KeypadQuestionBase,
    NumberQuestion,
    Question,
    ScaleQuestion,
    YesNoQuestion,
)
from ivr.sim.caller import Action, Caller, HangUp, Press, Silence, Speak
from ivr.speech.swedish import number_words

Mood = Literal["positiv", "blandad", "negativ"]
Habit = Literal["lugn", "avbryter", "tveksam", "slarvig", "pratar", "lägger_på", "tyst"]

MOODS: tuple[Mood, ...] = ("positiv", "positiv", "positiv", "blandad", "negativ")
HABITS: tuple[Habit, ...] = (
    "lugn",
    "lugn",
    "lugn",
    "avbryter",
    "avbryter",
    "tveksam",
    "slarvig",
    "pratar",
    "pratar",
    "pratar",
    "lägger_på",
    "tyst",
)

SAY_YES = ("ja", "japp", "ja det blev det", "absolut", "jo")
SAY_NO = ("nej", "nä", "nej det blev det inte", "inte riktigt")

# What each mood tends to answer on a 1..5 scale (weights for 1, 2, 3, 4, 5).
SCALE_WEIGHTS: dict[Mood, tuple[int, ...]] = {
    "positiv": (0, 0, 1, 4, 6),
    "blandad": (1, 3, 4, 3, 1),
    "negativ": (5, 4, 2, 1, 0),
}


@dataclass(frozen=True)
class Persona:
    mood: Mood
    habit: Habit
    caller: Caller
    questions_answered: int  # how many inputs the script gives before it hangs up or stays silent


def make_persona(dialog: Dialog, rng: random.Random, comment_audio: Callable[[Mood], Path | None]) -> Persona:
    """A caller for `dialog`: answers planned question by question (follow-ups only where ask_if holds)."""
    mood = rng.choice(MOODS)
    habit = rng.choice(HABITS)
    if habit == "tyst":
        return Persona(mood, habit, Caller([]), 0)
    actions: list[Action] = []
    answers: dict[str, Answer] = {}
    asked = 0
    hang_up_at = rng.randint(1, len(dialog.questions)) if habit == "lägger_på" else None
    for question in dialog.questions:
        if not dialog.should_ask(question, answers):
            continue
        asked += 1
        if hang_up_at is not None and asked >= hang_up_at:
            actions.append(HangUp(during_prompt=rng.random() < 0.5))
            return Persona(mood, habit, Caller(actions), asked - 1)
        if isinstance(question, CommentQuestion):
            actions.append(_comment(rng, comment_audio(mood), question.end_keys))
            continue
        keys = _keys_for(question, mood, rng)
        answers[question.id] = _as_answer(question, keys)
        speaks = habit == "pratar" and dialog.accepts_speech(question) and rng.random() < 0.85
        actions.extend(_spoken(question, keys, rng) if speaks else _keyed(question, keys, habit, rng))
    return Persona(mood, habit, Caller(actions), asked)


def _keys_for(question: Question, mood: Mood, rng: random.Random) -> str:
    if isinstance(question, ScaleQuestion):
        return str(_scale(question.min, question.max, mood, rng))
    if isinstance(question, YesNoQuestion):
        resolved = rng.random() < {"positiv": 0.85, "blandad": 0.6, "negativ": 0.3}[mood]
        return str(question.yes_key if resolved else question.no_key)
    if isinstance(question, ChoiceQuestion):
        return str(rng.choice(question.options).key)
    if isinstance(question, NumberQuestion):
        share = _scale(1, 5, mood, rng) / 5
        return str(round(question.min + share * (question.max - question.min)))
    raise TypeError(f"no keys for {question!r}")


def _scale(low: int, high: int, mood: Mood, rng: random.Random) -> int:
    step = rng.choices(range(5), weights=SCALE_WEIGHTS[mood])[0]
    return low + round(step * (high - low) / 4)


def _as_answer(question: KeypadQuestionBase, keys: str) -> Answer:
    reading = question.read_keys(keys)
    assert reading is not None, f"planned keys {keys!r} do not answer {question.id}"
    return Answer("match", "dtmf", keys, reading.value, 1.0, reading.score)


def _keyed(question: KeypadQuestionBase, keys: str, habit: Habit, rng: random.Random) -> list[Action]:
    """How the keys are pressed: '#' ends multi-digit numbers; habits add barge-in, silence or wrong keys."""
    ending = "#" if isinstance(question, NumberQuestion) and len(keys) < question.max_digits() else ""
    answer = Press(keys + ending, after=rng.uniform(0.3, 2.0))
    if habit == "avbryter":
        return [Press(keys + ending, barge_in=True, after=rng.uniform(0.8, 3.0))]
    if habit == "tveksam" and rng.random() < 0.4:
        return [Silence(), answer]
    if habit == "slarvig" and rng.random() < 0.4:
        return [Press(_wrong_key(question, rng)), answer]
    return [answer]


def _spoken(question: KeypadQuestionBase, keys: str, rng: random.Random) -> list[Action]:
    """The planned answer said in words, the way callers say it (what a speech engine would hear)."""
    words = rng.choice(_ways_to_say(question, keys))
    return [Speak(text=words, after=rng.uniform(0.3, 1.5))]


def _ways_to_say(question: KeypadQuestionBase, keys: str) -> list[str]:
    reading = question.read_keys(keys)
    assert reading is not None
    if isinstance(question, YesNoQuestion):
        return list(SAY_YES if reading.value == "ja" else SAY_NO)
    if isinstance(question, ChoiceQuestion):
        option = next(option for option in question.options if option.key == keys)
        return option.words or [option.value.replace("_", " ")]
    number = number_words(int(keys))
    ways = [number, f"jag säger {number}", f"eh {number}"]
    if isinstance(question, ScaleQuestion):
        ways += question.words.get(int(keys), [])
    return ways


def _wrong_key(question: KeypadQuestionBase, rng: random.Random) -> str:
    wrong = [k for k in "0123456789*" if question.read_keys(k) is None]
    return rng.choice(wrong)


def _comment(rng: random.Random, wav: Path | None, end_keys: str) -> Action:
    ending = rng.choices(["#", "silence", "hangup"], weights=[6, 3, 1])[0]
    end = end_keys[0] if ending == "#" and end_keys else ending
    if wav is None:
        return Speak(seconds=rng.uniform(2.0, 6.0), end=end)
    return Speak(wav=wav, end=end)
