"""Caller scripts: validation, and how actions turn into keys and hang-ups on a command's clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.sim.caller import Caller, HangUp, Listening, Press, Silence, Speak


@pytest.mark.parametrize(
    "make",
    [
        lambda: Press(""),
        lambda: Press("x"),
        lambda: Press("1", after=-1),
        lambda: Press("12", interval=0.05),
        lambda: HangUp(after=-0.1),
        lambda: Speak(),
        lambda: Speak(text="ja", end="stop"),
        lambda: Speak(seconds=0),
        lambda: Caller(hang_up_after=-1),
        lambda: Caller(hang_up_at_input=0),
        lambda: Caller(timed_keys=[(1.0, "xy")]),
        lambda: Caller(["4"]),  # type: ignore[list-item]
    ],
)
def test_bad_scripts_are_refused_with_a_clear_error(make: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        make()  # type: ignore[operator]


def test_a_missing_or_unusable_wav_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        Speak(tmp_path / "nope.wav")
    (tmp_path / "bad.wav").write_bytes(b"RIFF....")
    with pytest.raises(ValueError, match="not a PCM WAV"):
        Speak(tmp_path / "bad.wav")


def test_press_times_are_relative_to_the_prompt() -> None:
    session = Caller([Press("12", after=0.5), Press("3", barge_in=True, after=0.2)]).session()
    after_prompt = session.listen(10.0, prompt_seconds=2.0, listening=Listening.INPUT)
    assert [(round(key.at, 6), key.key) for key in after_prompt.keys] == [(2.6, "1"), (2.95, "2")]
    session.settle(13.0)
    barge_in = session.listen(13.0, prompt_seconds=2.0, listening=Listening.PROMPT_KEYS)
    assert [(round(key.at, 6), key.key) for key in barge_in.keys] == [(0.3, "3")]


def test_prompt_only_commands_take_only_barge_in_actions() -> None:
    session = Caller([Press("1"), HangUp(during_prompt=True)]).session()
    assert session.listen(0.0, 1.0, Listening.PROMPT_KEYS).keys == ()
    assert [key.key for key in session.listen(0.0, 1.0, Listening.INPUT).keys] == ["1"]
    assert session.listen(5.0, 1.0, Listening.PROMPT_KEYS).hangup_at == pytest.approx(0.5)


def test_keys_not_listened_for_are_invisible_and_a_script_that_ran_out_is_silent() -> None:
    session = Caller([Silence()], timed_keys=[(1.0, "5")], hang_up_after=9.0).session()
    events = session.listen(0.0, 0.0, Listening.NOT_AT_ALL)
    assert (events.keys, events.hangup_at) == ((), 9.0)
    assert session.listen(0.0, 0.0, Listening.INPUT).utterance is None
    assert session.listen(0.0, 0.0, Listening.INPUT).keys[0].key == "5"
