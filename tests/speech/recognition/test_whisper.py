"""faster-whisper on a real model (Whisper base, multilingual) and Swedish espeak-ng speech at 8 kHz."""

from __future__ import annotations

import pytest

from ivr.speech.recognition.whisper import WhisperRecognizer

from .speech_samples import silence, spoken

SCALE = ["mycket nöjd", "ganska nöjd", "varken eller", "missnöjd"]


@pytest.mark.parametrize("word", ["ja", "nej"])
def test_swedish_yes_and_no_are_transcribed(whisper: WhisperRecognizer, word: str) -> None:
    audio = spoken(word)
    assert audio.rate == 8000

    transcript = whisper.transcribe(audio)

    assert transcript.text == word  # lower case, punctuation removed ("Ja." -> "ja")
    assert transcript.engine == "faster-whisper"
    assert 0.0 < transcript.confidence <= 1.0
    assert transcript.audio_s == pytest.approx(audio.duration_s)
    assert transcript.decode_s > 0


def test_a_grammar_biases_the_decoding_towards_its_phrases(whisper: WhisperRecognizer) -> None:
    free = {phrase: whisper.transcribe(spoken(phrase)).text for phrase in ("mycket nöjd", "ganska nöjd")}
    biased = {
        phrase: whisper.transcribe(spoken(phrase), SCALE).text for phrase in ("mycket nöjd", "ganska nöjd")
    }

    assert biased == {"mycket nöjd": "mycket nöjd", "ganska nöjd": "ganska nöjd"}
    assert free != biased, "without the grammar, Whisper base mishears the robotic voice"


@pytest.mark.parametrize("word", ["ja", "nej"])
def test_a_phrase_heard_freely_is_not_pushed_towards_the_other_options(
    whisper: WhisperRecognizer, word: str
) -> None:
    assert whisper.transcribe(spoken(word), ["ja", "nej"]).text == word


def test_silence_gives_no_text(whisper: WhisperRecognizer) -> None:
    transcript = whisper.transcribe(silence(2.0))

    assert transcript.text == ""
    assert transcript.confidence == 0.0


def test_a_grammar_with_only_the_unknown_word_is_no_bias(whisper: WhisperRecognizer) -> None:
    assert whisper.transcribe(spoken("nej"), ["[unk]"]).text == "nej"
