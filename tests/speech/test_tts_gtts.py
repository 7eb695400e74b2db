"""The gTTS engine without internet: the real gTTS and requests code up to the network, real MP3 decoding.

Google's answer is replaced at the narrowest seam, `gTTS.write_to_fp` (where gTTS writes the MP3 it
received), with a real MP3 this test encodes with LAME. Network failures are real: gTTS is sent through a
proxy on this machine that is closed, or that never answers.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import gtts
import lameenc
import numpy as np
import numpy.typing as npt
import pytest

from ivr.dialog.io import Prompt
from ivr.speech.audio import AudioFormatError, asterisk_file, decode_mp3, read_wav
from ivr.speech.prompts import PromptCache
from ivr.speech.tts import EspeakEngine, GttsEngine, TtsError, engine_for

from .fakes import dominant_frequency, rms, tone

GOOGLE_RATE = 24000  # gTTS's MP3s are 24 kHz mono
NEEDS_INTERNET = r"needs internet access to Google's translate service.*espeak-ng.*piper"


def mp3(samples: npt.NDArray[np.int16], rate: int, channels: int = 1) -> bytes:
    """Encode interleaved int16 samples to MP3 with LAME."""
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(64)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(channels)
    encoder.set_quality(2)
    return bytes(encoder.encode(samples.tobytes()) + encoder.flush())


Reply = Callable[[Any], bytes]


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch) -> Callable[[Reply], list[Any]]:
    """Make gTTS write `reply(the gTTS object)` as if Google had sent it; returns the gTTS objects seen."""
    seen: list[Any] = []

    def answer_with(reply: Reply) -> list[Any]:
        def write_to_fp(speech: Any, fp: IO[bytes]) -> None:
            seen.append(speech)
            fp.write(reply(speech))

        monkeypatch.setattr(gtts.gTTS, "write_to_fp", write_to_fp)
        return seen

    return answer_with


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Route gTTS's HTTPS through a proxy on 127.0.0.1:port (gTTS takes proxies from the environment)."""

    def through(port: int) -> None:
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "https_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")

    return through


def test_google_mp3_becomes_audio_at_its_own_rate(google: Callable[[Reply], list[Any]]) -> None:
    seen = google(lambda _speech: mp3(tone(440.0, 1.0, GOOGLE_RATE), GOOGLE_RATE))

    audio = GttsEngine(timeout_s=7.5).render("Hur nöjd är du med bemötandet?")

    assert audio.rate == GOOGLE_RATE
    assert audio.duration_s == pytest.approx(1.0, abs=0.1)  # LAME adds up to a frame of padding
    assert dominant_frequency(audio) == pytest.approx(440.0, abs=3.0)
    [speech] = seen
    assert (speech.text, speech.lang, speech.timeout) == ("Hur nöjd är du med bemötandet?", "sv", 7.5)


def test_swedish_speech_survives_mp3_and_the_telephone_formats(
    google: Callable[[Reply], list[Any]], tmp_path: Path
) -> None:
    spoken = EspeakEngine("sv").render("Tack för att du svarade på våra frågor.")
    google(lambda _speech: mp3(spoken.samples, spoken.rate))
    cache = PromptCache(tmp_path, GttsEngine())
    prompt = Prompt("Tack för att du svarade på våra frågor.")

    report = cache.build([prompt])

    assert (report.rendered, report.failed) == (1, ())
    base = cache.resolve(prompt)
    assert base is not None
    narrow, wide = read_wav(asterisk_file(base, 8000)), read_wav(asterisk_file(base, 16000))
    assert (narrow.rate, wide.rate) == (8000, 16000)
    for audio in (narrow, wide):
        assert audio.duration_s == pytest.approx(spoken.duration_s, abs=0.1)
        assert rms(audio) > 0.5 * rms(spoken)


def test_stereo_mp3_is_mixed_to_mono() -> None:
    left, right = tone(440.0, 0.5, 22050), tone(1000.0, 0.5, 22050)
    interleaved = np.stack([left, right], axis=1).reshape(-1)

    audio = decode_mp3(mp3(interleaved, 22050, channels=2))

    assert audio.rate == 22050
    spectrum = np.abs(np.fft.rfft(audio.samples.astype(np.float64)))
    frequencies = np.fft.rfftfreq(len(audio.samples), 1 / audio.rate)
    loudest = sorted(frequencies[np.argsort(spectrum)[-2:]])
    assert loudest == [pytest.approx(440.0, abs=5.0), pytest.approx(1000.0, abs=5.0)]


def test_bytes_that_are_no_mp3_are_a_clear_error(google: Callable[[Reply], list[Any]]) -> None:
    with pytest.raises(AudioFormatError, match="not readable MP3 audio"):
        decode_mp3(b"<html>captcha</html>" * 20, source="reply")
    google(lambda _speech: b"<html>captcha</html>" * 20)

    with pytest.raises(TtsError, match="gtts sent audio that cannot be decoded"):
        GttsEngine().render("Hej")


def test_an_empty_reply_is_an_error(google: Callable[[Reply], list[Any]]) -> None:
    google(lambda _speech: b"")

    with pytest.raises(TtsError, match="sent no audio"):
        GttsEngine().render("Hej")


def test_no_connection_says_the_engine_needs_internet(offline: Callable[[int], None]) -> None:
    offline(closed_port())

    with pytest.raises(TtsError, match=NEEDS_INTERNET) as raised:
        GttsEngine(timeout_s=5).render("Hej")

    assert "Failed to connect" in str(raised.value)


def test_a_silent_server_times_out(offline: Callable[[int], None]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts the connection, never answers
        offline(silent.getsockname()[1])

        with pytest.raises(TtsError, match=r"no answer within 0\.3 s.*" + NEEDS_INTERNET):
            GttsEngine(timeout_s=0.3).render("Hej")


def test_a_refusal_says_the_engine_needs_internet(google: Callable[[Reply], list[Any]]) -> None:
    def refuse(speech: Any) -> bytes:
        raise gtts.gTTSError("429 (Too Many Requests) from TTS API. Probable cause: Unknown", tts=speech)

    google(refuse)

    with pytest.raises(TtsError, match=r"429 \(Too Many Requests\).*" + NEEDS_INTERNET):
        GttsEngine().render("Hej")


def test_unknown_language_and_empty_text_are_refused_before_any_request(
    google: Callable[[Reply], list[Any]],
) -> None:
    seen = google(lambda _speech: b"")

    with pytest.raises(TtsError, match="gtts has no language 'xx'; Swedish is 'sv'"):
        GttsEngine("xx").render("Hej")
    with pytest.raises(TtsError, match="empty text"):
        GttsEngine().render("   ")
    assert seen == []


def test_gtts_and_espeak_keep_separate_cache_files(
    google: Callable[[Reply], list[Any]], tmp_path: Path
) -> None:
    google(lambda _speech: mp3(tone(300.0, 0.6, GOOGLE_RATE), GOOGLE_RATE))
    prompt = Prompt("Hej då.")
    espeak = PromptCache(tmp_path, engine_for("espeak-ng"))
    online = PromptCache(tmp_path, engine_for("gtts"))
    espeak.build([prompt])

    assert online.missing([prompt]) == [prompt]
    online.build([prompt])
    online_file, espeak_file = online.resolve(prompt), espeak.resolve(prompt)
    assert online_file is not None
    assert espeak_file is not None
    assert online_file != espeak_file
    assert dominant_frequency(read_wav(asterisk_file(online_file, 16000))) == pytest.approx(300.0, abs=3.0)


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port: int = probe.getsockname()[1]
    return port
