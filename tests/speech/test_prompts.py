from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
import unicodedata
import wave
from pathlib import Path

import numpy as np
import pytest

from ivr.dialog.io import Prompt
from ivr.settings import Settings
from ivr.speech.audio import (
    TELEPHONE_FORMATS,
    Audio,
    asterisk_file,
    convert_to_telephone_formats,
    is_asterisk_ready,
    read_wav,
    resample,
)
from ivr.speech.prompts import PromptCache
from ivr.speech.tts import EspeakEngine, TtsError, engine_for

from .fakes import CountingEngine, ToneEngine, dominant_frequency, rms, write_tone_wav

QUESTION = Prompt("Hur nöjd är du med bemötandet?", name="q1.prompt")


def playable(base: Path | None, rate: int = 8000) -> Path:
    """The WAV at `rate` Asterisk would open for a resolved base path; the other rate must be there too."""
    assert base is not None
    for other in TELEPHONE_FORMATS:
        assert is_asterisk_ready(asterisk_file(base, other), other)
    return asterisk_file(base, rate)


def test_espeak_prompt_becomes_telephone_wav(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path / "cache", EspeakEngine("sv"))

    report = cache.build([QUESTION])

    assert (report.rendered, report.cached, report.failed) == (1, 0, ())
    base = cache.resolve(QUESTION)
    assert base is not None
    assert base.is_relative_to(tmp_path / "cache")
    assert base.suffix == ""
    audio = read_wav(playable(base))
    assert audio.duration_s > 0.5
    assert rms(audio) > 300


def test_cache_hit_does_not_render_again_even_in_a_new_process(tmp_path: Path) -> None:
    engine = CountingEngine(EspeakEngine("sv"))
    PromptCache(tmp_path, engine).build([QUESTION])

    second = PromptCache(tmp_path, engine).build([QUESTION, Prompt(QUESTION.text, name="copy")])
    fresh_engine = CountingEngine(EspeakEngine("sv"))
    third = PromptCache(tmp_path, fresh_engine).build([QUESTION])

    assert engine.calls == 1
    assert (second.rendered, second.cached) == (0, 1)
    assert (third.rendered, third.cached, fresh_engine.calls) == (0, 1, 0)


def test_different_voice_or_text_gives_a_different_file(tmp_path: Path) -> None:
    voice_a = PromptCache(tmp_path, ToneEngine("tone-a"))
    voice_b = PromptCache(tmp_path, ToneEngine("tone-b"))
    other = Prompt("Tack för ditt svar.")
    for cache in (voice_a, voice_b):
        cache.build([QUESTION, other])

    files = {voice_a.resolve(QUESTION), voice_b.resolve(QUESTION), voice_a.resolve(other)}

    assert len(files) == 3
    assert None not in files


def test_spelling_variants_of_one_text_share_a_file(tmp_path: Path) -> None:
    engine = ToneEngine()
    cache = PromptCache(tmp_path, engine)
    decomposed = unicodedata.normalize("NFD", "  Hur nöjd är du\nmed bemötandet? ")

    cache.build([QUESTION, Prompt(decomposed)])

    assert engine.calls == [QUESTION.text]
    assert cache.resolve(Prompt(decomposed)) == cache.resolve(QUESTION)


def test_operator_recording_wins_and_is_converted(tmp_path: Path) -> None:
    recording = write_tone_wav(tmp_path / "q1.wav", rate=44100, channels=2, duration_s=1.5)
    prompt = Prompt(QUESTION.text, audio=recording)
    engine = ToneEngine()
    cache = PromptCache(tmp_path / "cache", engine)

    report = cache.build([prompt])

    assert (report.operator, report.rendered, report.failed) == (1, 0, ())
    assert engine.calls == []
    base = cache.resolve(prompt)
    assert base is not None
    assert base.is_relative_to(tmp_path / "cache")
    audio = read_wav(playable(base))
    assert audio.duration_s == pytest.approx(1.5, abs=0.003)
    assert dominant_frequency(audio) == pytest.approx(440.0, abs=2.0)


def test_operator_recording_in_telephone_format_is_still_served_from_the_cache(tmp_path: Path) -> None:
    recording = write_tone_wav(tmp_path / "q1.wav", rate=8000, channels=1, duration_s=0.7)
    prompt = Prompt(QUESTION.text, audio=recording)
    cache = PromptCache(tmp_path / "cache", ToneEngine())

    base = cache.resolve(prompt)

    assert base is not None
    assert base.is_relative_to(tmp_path / "cache")
    assert (read_wav(playable(base)).samples == read_wav(recording).samples).all()


def test_operator_recording_overrides_rendered_speech(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path / "cache", ToneEngine())
    cache.build([QUESTION])
    recording = write_tone_wav(tmp_path / "q1.wav", rate=16000, channels=1, duration_s=0.4)

    base = cache.resolve(Prompt(QUESTION.text, audio=recording))

    assert base is not None
    assert base != cache.resolve(QUESTION)
    assert read_wav(playable(base)).duration_s == pytest.approx(0.4, abs=0.002)


def test_changed_operator_file_is_converted_again(tmp_path: Path) -> None:
    recording = write_tone_wav(tmp_path / "q1.wav", rate=44100, channels=1, duration_s=1.0)
    prompt = Prompt(QUESTION.text, audio=recording)
    cache = PromptCache(tmp_path / "cache", ToneEngine())
    first = cache.resolve(prompt)

    write_tone_wav(recording, rate=22050, channels=2, duration_s=2.0)
    later = recording.stat().st_mtime_ns + 1_000_000_000
    os.utime(recording, ns=(later, later))
    second = cache.resolve(prompt)

    assert first is not None
    assert second is not None
    assert second != first
    assert read_wav(playable(second)).duration_s == pytest.approx(2.0, abs=0.003)


def test_resolve_converts_once_and_never_renders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conversions: list[Path] = []

    def counting_convert(source: Path, base: Path) -> tuple[Path, ...]:
        conversions.append(source)
        return convert_to_telephone_formats(source, base)

    monkeypatch.setattr("ivr.speech.prompts.convert_to_telephone_formats", counting_convert)
    recording = write_tone_wav(tmp_path / "q1.wav", rate=44100, channels=2, duration_s=0.3)
    engine = ToneEngine()
    cache = PromptCache(tmp_path / "cache", engine)

    results = {cache.resolve(Prompt("a", audio=recording)) for _ in range(50)}
    unrendered = [cache.resolve(Prompt("not rendered")) for _ in range(5)]

    assert len(results) == 1
    assert len(conversions) == 1
    assert unrendered == [None] * 5
    assert engine.calls == []


def test_broken_operator_file_falls_back_to_speech(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    broken = tmp_path / "q1.wav"
    broken.write_bytes(b"this is not audio at all")
    prompt = Prompt(QUESTION.text, audio=broken, name="q1.prompt")
    cache = PromptCache(tmp_path / "cache", ToneEngine())

    report = cache.build([prompt])

    assert (report.operator, report.rendered) == (0, 1)
    [failure] = report.failed
    assert failure.covered_by_tts
    assert "q1.wav: not a WAV file" in failure.reason
    assert report.unplayable == ()
    assert "synthesised speech plays instead" in str(report)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="ivr.speech.prompts"):
        first, second = cache.resolve(prompt), cache.resolve(prompt)
    assert first == second == cache.resolve(Prompt(QUESTION.text))
    assert len([r for r in caplog.records if "not a WAV file" in r.getMessage()]) == 1


def test_missing_operator_file_falls_back_to_speech(tmp_path: Path) -> None:
    prompt = Prompt(QUESTION.text, audio=tmp_path / "gone.wav")
    cache = PromptCache(tmp_path / "cache", ToneEngine())

    report = cache.build([prompt])

    assert "gone.wav: file not found" in report.failed[0].reason
    assert cache.resolve(prompt) == cache.resolve(QUESTION) is not None


def test_missing_espeak_is_reported_and_the_build_goes_on(tmp_path: Path) -> None:
    recording = write_tone_wav(tmp_path / "thanks.wav", rate=8000, channels=1, duration_s=0.2)
    thanks = Prompt("Tack!", audio=recording, name="thanks")
    cache = PromptCache(tmp_path / "cache", EspeakEngine(binary="/nonexistent/espeak-ng"))

    report = cache.build([QUESTION, thanks, Prompt("Hej då.", name="bye")])

    assert (report.rendered, report.operator) == (0, 1)
    assert len(report.unplayable) == 2
    assert all("espeak-ng not found" in failure.reason for failure in report.failed)
    assert [p.name for p in cache.missing([QUESTION, thanks])] == ["q1.prompt"]


def test_one_failing_prompt_does_not_stop_the_others(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path, ToneEngine(fail_on="B"))

    report = cache.build(
        [Prompt("A"), Prompt("B", name="b"), Prompt("C"), Prompt("", name="empty")], workers=3
    )

    assert report.rendered == 2
    reasons = {failure.prompt.name: failure.reason for failure in report.unplayable}
    assert reasons == {
        "b": "tone engine refuses 'B'",
        "empty": "no text to speak (and no usable operator recording)",
    }


def test_missing_lists_unready_prompts_without_side_effects(tmp_path: Path) -> None:
    recording = write_tone_wav(tmp_path / "q2.wav", rate=44100, channels=1, duration_s=0.2)
    engine = ToneEngine()
    cache = PromptCache(tmp_path / "cache", engine)
    cache.build([Prompt("ready")])
    unconverted = Prompt("not built", audio=recording)

    missing = cache.missing([Prompt("ready"), QUESTION, unconverted])

    assert missing == [QUESTION, unconverted]
    assert not (tmp_path / "cache" / "operator").exists()
    assert engine.calls == ["ready"]


def test_resolve_notices_what_another_process_built_and_pruned(tmp_path: Path) -> None:
    serving = PromptCache(tmp_path, ToneEngine())
    builder = PromptCache(tmp_path, ToneEngine())
    assert serving.resolve(QUESTION) is None

    builder.build([QUESTION, Prompt("kept")])
    found = serving.resolve(QUESTION)
    removed = builder.prune([Prompt("kept")])

    assert found is not None
    assert removed == 2  # its 8 and 16 kHz files
    assert serving.resolve(QUESTION) is None
    assert serving.resolve(Prompt("kept")) is not None


def test_prune_removes_unreferenced_files_and_stale_temporaries_only(tmp_path: Path) -> None:
    old_recording = write_tone_wav(tmp_path / "q.wav", rate=44100, channels=1, duration_s=0.2)
    operator_prompt = Prompt("med inspelning", audio=old_recording)
    cache = PromptCache(tmp_path / "cache", ToneEngine())
    cache.build([QUESTION, Prompt("gammal fråga"), operator_prompt])
    first_conversion = cache.resolve(operator_prompt)
    write_tone_wav(old_recording, rate=44100, channels=1, duration_s=0.3)
    os.utime(old_recording, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    cache.build([operator_prompt])
    tts = tmp_path / "cache" / "tts"
    stale, fresh, foreign = tts / ".x.wav.abc.tmp", tts / ".y.wav.def.tmp", tts / "README.txt"
    for file in (stale, fresh, foreign):
        file.write_text("x")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))

    removed = cache.prune([QUESTION, operator_prompt])

    assert removed == 5  # the old question and the first conversion (two files each), the stale temporary
    assert first_conversion is not None
    assert not asterisk_file(first_conversion).exists()
    assert not asterisk_file(first_conversion, 16000).exists()
    assert cache.resolve(Prompt("gammal fråga")) is None
    assert cache.resolve(QUESTION) is not None
    assert cache.resolve(operator_prompt) is not None
    assert fresh.exists()
    assert foreign.exists()
    assert not stale.exists()


def test_two_builders_racing_on_the_same_prompts_leave_whole_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wave.Wave_write, "writeframes", slow_writeframes)
    engines = [ToneEngine(delay_s=0.05), ToneEngine(delay_s=0.05)]
    prompts = [Prompt(" ".join([f"fråga {n}"] * 20)) for n in range(4)]
    expected_s = 0.1 + 0.01 * len(prompts[0].text)  # what ToneEngine renders for each of these texts
    builders = [
        threading.Thread(target=PromptCache(tmp_path, engine).build, args=(prompts,), kwargs={"workers": 4})
        for engine in engines
    ]
    for builder in builders:
        builder.start()
    seen = watch_files_while(builders, tmp_path / "tts")

    assert sum(len(engine.calls) for engine in engines) >= 5  # both really rendered some of the same prompts
    assert seen, "the watcher saw no file while the builders ran"
    assert all(duration == pytest.approx(expected_s, abs=0.002) for duration in seen)
    assert_whole_cache(tmp_path, prompts, ToneEngine())


def slow_writeframes(writer: wave.Wave_write, data: bytes) -> None:
    """Write in pieces with pauses, so a reader would see a half-written file if there were one."""
    piece = len(data) // 4 + 1
    for start in range(0, len(data), piece):
        writer.writeframesraw(data[start : start + piece])
        time.sleep(0.01)
    ORIGINAL_WRITEFRAMES(writer, b"")  # fixes the header's sizes, as the real writeframes does


ORIGINAL_WRITEFRAMES = wave.Wave_write.writeframes


def watch_files_while(threads: list[threading.Thread], directory: Path) -> list[float]:
    """Read every WAV Asterisk could open in `directory` until the threads end; their durations."""
    durations: list[float] = []
    while any(thread.is_alive() for thread in threads):
        for file in [*directory.glob("*.wav"), *directory.glob("*.wav16")] if directory.exists() else []:
            durations.append(read_wav(file).duration_s)
    for thread in threads:
        thread.join()
    return durations


BUILD_IN_CHILD = """
import sys, time
from pathlib import Path
from ivr.dialog.io import Prompt
from ivr.speech.prompts import PromptCache
from ivr.speech.tts import EspeakEngine, TtsError, engine_for

directory, start = Path(sys.argv[1]), float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
report = PromptCache(directory, EspeakEngine("sv")).build([Prompt(t) for t in sys.argv[3:]], workers=2)
sys.exit(1 if report.failed else 0)
"""


def test_concurrent_build_processes_do_not_corrupt_files(tmp_path: Path) -> None:
    texts = ["Välkommen till kontaktcenter.", "Tryck 1 för ja.", "Tack för ditt svar.", "Hej då."]
    start = time.time() + 1.0
    children = [
        subprocess.Popen([sys.executable, "-c", BUILD_IN_CHILD, str(tmp_path), str(start), *texts])
        for _ in range(4)
    ]

    codes = [child.wait(timeout=60) for child in children]

    assert codes == [0, 0, 0, 0]
    assert_whole_cache(tmp_path, [Prompt(text) for text in texts], EspeakEngine("sv"))


def assert_whole_cache(directory: Path, prompts: list[Prompt], engine: ToneEngine | EspeakEngine) -> None:
    cache = PromptCache(directory, engine)
    for prompt in prompts:
        assert read_wav(playable(cache.resolve(prompt))).duration_s > 0.1
    suffixes = sorted(p.suffix for p in (directory / "tts").iterdir())
    assert suffixes == sorted([".wav", ".wav16"] * len(prompts))


def test_workers_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="workers"):
        PromptCache(tmp_path, ToneEngine()).build([QUESTION], workers=0)


def test_every_prompt_is_kept_at_8_and_16_khz(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path, EspeakEngine("sv"))
    cache.build([QUESTION])

    base = cache.resolve(QUESTION)

    narrow, wide = read_wav(playable(base, 8000)), read_wav(playable(base, 16000))
    assert (narrow.rate, wide.rate) == (8000, 16000)
    assert wide.duration_s == pytest.approx(narrow.duration_s, abs=0.001)
    # espeak-ng speaks at 22 kHz: the 16 kHz file keeps sound above the telephone band, which an 8 kHz file
    # brought up to 16 kHz would not have
    upsampled = resample(narrow, 16000)
    assert band_energy(wide, 4200, 7800) > 100 * band_energy(upsampled, 4200, 7800)


def test_a_prompt_without_its_16_khz_file_is_not_ready_and_is_built_again(tmp_path: Path) -> None:
    engine = ToneEngine()
    PromptCache(tmp_path, engine).build([QUESTION])
    base = PromptCache(tmp_path, engine).resolve(QUESTION)
    assert base is not None
    asterisk_file(base, 16000).unlink()
    cache = PromptCache(tmp_path, engine)

    assert cache.resolve(QUESTION) is None
    assert cache.missing([QUESTION]) == [QUESTION]
    report = cache.build([QUESTION])

    assert report.rendered == 1
    assert cache.resolve(QUESTION) == base
    assert read_wav(playable(base, 16000)).rate == 16000


def test_operator_recording_is_kept_in_both_formats(tmp_path: Path) -> None:
    recording = write_tone_wav(tmp_path / "q1.wav", rate=48000, channels=2, duration_s=0.8)
    prompt = Prompt(QUESTION.text, audio=recording)
    cache = PromptCache(tmp_path / "cache", ToneEngine())

    base = cache.resolve(prompt)
    assert base is not None
    asterisk_file(base, 16000).unlink()  # e.g. converted by an older version
    again = PromptCache(tmp_path / "cache", ToneEngine())

    assert again.missing([prompt]) == [prompt]
    assert again.resolve(prompt) == base
    for rate in TELEPHONE_FORMATS:
        audio = read_wav(playable(base, rate))
        assert audio.duration_s == pytest.approx(0.8, abs=0.003)
        assert dominant_frequency(audio) == pytest.approx(440.0, abs=2.0)


def test_the_cache_key_differs_per_engine_and_voice(tmp_path: Path) -> None:
    caches = [
        PromptCache(tmp_path, ToneEngine("sv", name="one")),
        PromptCache(tmp_path, ToneEngine("sv", name="two")),
        PromptCache(tmp_path, ToneEngine("en", name="two")),
    ]
    caches[0].build([QUESTION])

    assert [cache.missing([QUESTION]) for cache in caches] == [[], [QUESTION], [QUESTION]]
    for cache in caches[1:]:
        cache.build([QUESTION])
    assert len({cache.resolve(QUESTION) for cache in caches}) == 3


def test_operator_recording_wins_even_when_the_engine_cannot_run(tmp_path: Path) -> None:
    recording = write_tone_wav(tmp_path / "intro.wav", rate=16000, channels=1, duration_s=0.3)
    recorded, spoken = Prompt("Välkommen.", audio=recording, name="intro"), Prompt("Hej då.", name="bye")
    cache = PromptCache(tmp_path / "cache", engine_for("piper", models_dir=tmp_path / "no-models"))

    report = cache.build([recorded, spoken])

    assert report.operator == 1
    assert [failure.prompt.name for failure in report.unplayable] == ["bye"]
    assert cache.resolve(recorded) is not None
    assert cache.missing([recorded, spoken]) == [spoken]


def test_one_reason_for_many_prompts_is_reported_once(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path, engine_for("piper", models_dir=tmp_path / "models"))
    prompts = [Prompt(f"Fråga {number}.", name=f"q{number}") for number in range(7)]

    report = str(cache.build([*prompts, Prompt("", name="empty")]))

    lines = report.splitlines()
    assert lines[0].endswith("0 operator recordings, 8 failed (8 with nothing to play)")
    assert lines[1].startswith("  7 prompts (q0, q1, q2, q3, q4, and 2 more): piper voice 'sv_SE-nst-medium'")
    assert lines[2] == "  empty: no text to speak (and no usable operator recording)"
    assert len(lines) == 3


def test_cache_from_settings_uses_their_directory_engine_and_voice(tmp_path: Path) -> None:
    settings = Settings(prompts_dir=tmp_path / "prompts", tts_engine="gtts", tts_voice="")

    default = PromptCache.from_settings(settings)
    chosen = PromptCache.from_settings(settings, engine="espeak-ng", voice="sv-x-whatever")

    assert default.directory == tmp_path / "prompts"
    assert (default.engine.name, default.engine.voice) == ("gtts", "sv")
    assert (chosen.engine.name, chosen.engine.voice) == ("espeak-ng", "sv-x-whatever")
    with pytest.raises(TtsError, match="unknown TTS engine 'festival'"):
        PromptCache.from_settings(settings, engine="festival")


def band_energy(audio: Audio, low_hz: float, high_hz: float) -> float:
    spectrum = np.abs(np.fft.rfft(audio.samples.astype(np.float64))) ** 2
    frequencies = np.fft.rfftfreq(len(audio.samples), 1 / audio.rate)
    return float(spectrum[(frequencies >= low_hz) & (frequencies < high_hz)].sum())


def test_an_unavailable_engine_is_asked_once_and_cached_prompts_still_count(tmp_path: Path) -> None:
    missing_voice = engine_for("piper", models_dir=tmp_path / "models")
    stand_in = ToneEngine(missing_voice.voice, name=missing_voice.name)  # fills the piper key's files
    PromptCache(tmp_path / "cache", stand_in).build([QUESTION])
    engine = CountingEngine(missing_voice)
    prompts = [Prompt(f"Fråga {number}.") for number in range(5)]

    report = PromptCache(tmp_path / "cache", engine).build([QUESTION, *prompts], workers=1)

    assert engine.calls == 1
    assert (report.cached, len(report.unplayable)) == (1, 5)
    assert len({failure.reason for failure in report.failed}) == 1
    assert "piper voice 'sv_SE-nst-medium' not found" in report.failed[0].reason
