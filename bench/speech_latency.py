"""Spoken-answer latency: from the end of the caller's speech to the start of the next prompt.

Survey calls in real time (time scale 1.0) through the real bot (`BotRuntime`, SQLite store, real prompts) and
the simulated Asterisk over loopback TCP, one after another, every closed question answered by voice with
espeak-ng's Swedish (trimmed to the speech itself, 8 kHz). For each spoken answer:

- silence detection: end of speech -> Asterisk's reply (RECORD FILE's `s=1`; the speech module's endpointing);
- bot: that reply -> the bot's next command (reading the take, recognition in the worker process, the
  Swedish answer understanding, the store hand-off, the AGI turn);
- total: end of speech -> the next prompt starts.

Configurations: `record` with each recogniser whose model is here (Whisper base from the dev extra's
packages; Vosk with the packaged Korean model as a speed stand-in for a small Swedish one, its words being
meaningless here), and `asterisk-speech` (the simulated speech module, which answers 0.5 s after the speech,
as res_speech_vosk's endpointing does).

    .venv/bin/python bench/speech_latency.py --calls 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import shutil
import statistics
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ivr.apps.runtime import BotRuntime
from ivr.settings import Settings
from ivr.sim.asterisk import CallTrace, SimulatedAsterisk
from ivr.sim.caller import Action, Caller, Speak
from ivr.sim.sounds import SAMPLE_RATE, SoundLibrary
from ivr.speech.audio import Audio, resample, write_wav_atomically
from ivr.speech.recognition.packaged import packaged_vosk_korean, packaged_whisper_base
from ivr.speech.tts import engine_for

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "speech_latency.json"
# What the caller says to the default survey's six closed questions (helhet 4: no follow-up).
ANSWERS = ("fyra", "fem", "ja", "tre", "fyra", "fyra")
SPEAKS_AFTER_S = 0.4  # the caller starts this long after the prompt ends
SPEECH_LEVEL = 500  # |sample| above this is speech, for trimming espeak's leading and trailing silence


@dataclass(frozen=True)
class Config:
    name: str
    strategy: str
    engine: str | None = None
    model: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Sample:
    silence_detection_s: float
    bot_s: float

    @property
    def total_s(self) -> float:
        return self.silence_detection_s + self.bot_s


def trimmed_speech(text: str) -> Audio:
    audio = resample(engine_for("espeak-ng", "sv").render(text), SAMPLE_RATE)
    loud = np.flatnonzero(np.abs(audio.samples.astype(np.int32)) > SPEECH_LEVEL)
    return Audio(audio.samples[loud[0] : loud[-1] + 1].copy(), SAMPLE_RATE)


def answer_files(directory: Path) -> dict[str, tuple[Path, float]]:
    files = {}
    for text in set(ANSWERS):
        audio = trimmed_speech(text)
        path = directory / f"{text}.wav"
        write_wav_atomically(path, audio)
        files[text] = (path, audio.duration_s)
    return files


def configs(cache: Path) -> Iterator[Config]:
    yield Config(
        "record + Vosk (Korean model as stand-in)",
        "record",
        "vosk",
        str(packaged_vosk_korean()),
        "speed only: the Korean model does not know Swedish words, so the answers are not understood",
    )
    whisper = packaged_whisper_base(cache)
    yield Config("record + Whisper base", "record", "faster-whisper", str(whisper))
    yield Config("asterisk-speech (simulated res_speech_vosk)", "asterisk-speech")


def bench_dialogs(work: Path) -> Path:
    """The shipped dialogs, with the first question going on after its attempts rather than ending the survey:
    every question is heard even when a stand-in model understands nothing."""
    target = work / "dialogs"
    shutil.copytree(REPO / "dialogs", target)
    survey = target / "default" / "survey.yaml"
    data = yaml.safe_load(survey.read_text())
    for question in data["questions"]:
        question.pop("on_exhausted", None)
    survey.write_text(yaml.safe_dump(data, allow_unicode=True))
    return target


def settings_for(config: Config, work: Path, prompts: Path) -> Settings:
    update: dict[str, Any] = {
        "data_dir": work / "data",
        "database_url": f"sqlite:///{work / 'bench.db'}",
        "dialogs_dir": bench_dialogs(work),
        "prompts_dir": prompts,
        "speech_strategy": config.strategy,
    }
    if config.engine == "vosk":
        update |= {"answer_engine": "vosk", "comment_engine": "vosk", "vosk_model": config.model}
    elif config.engine == "faster-whisper":
        update |= {
            "answer_engine": "faster-whisper",
            "comment_engine": "faster-whisper",
            "whisper_model": config.model,
        }
    return Settings.model_validate(update)


def samples_of(
    trace: CallTrace, config: Config, sounds: SoundLibrary, durations: list[float]
) -> list[Sample]:
    """One sample per spoken answer: the command that heard it, Asterisk's reply, the bot's next command."""
    lines = trace.lines
    listening = "RECORD FILE" if config.strategy == "record" else "SPEECH RECOGNIZE"
    found: list[Sample] = []
    spoken = iter(durations)
    for index, line in enumerate(lines):
        if (
            line.sender != "bot"
            or not line.text.startswith(listening)
            or ("-answer" not in line.text and (config.strategy == "record"))
        ):
            continue
        reply = next(later for later in lines[index + 1 :] if later.sender != "bot")
        after = next((later for later in lines[index + 1 :] if later.sender == "bot"), None)
        duration = next(spoken, None)
        if after is None or duration is None:
            break
        speech_ends = line.call_time + _prompt_s(line.text, config, sounds) + SPEAKS_AFTER_S + duration
        found.append(Sample(reply.call_time - speech_ends, after.call_time - reply.call_time))
    return found


def _prompt_s(command: str, config: Config, sounds: SoundLibrary) -> float:
    if config.strategy == "record":
        return 0.0  # RECORD FILE has no prompt: the question played before it
    sound = sounds.find(command.split()[2])
    return sound.samples / SAMPLE_RATE if sound else 0.0


async def run_config(
    config: Config, calls: int, files: dict[str, tuple[Path, float]], prompts: Path
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as work_dir:
        settings = settings_for(config, Path(work_dir), prompts)
        bot = BotRuntime(settings)
        await bot.start("127.0.0.1", 0)
        sounds = SoundLibrary([prompts])
        sim = SimulatedAsterisk("127.0.0.1", bot.port, sounds=sounds, time_scale=1.0, speech_engine="vosk")
        samples: list[Sample] = []
        try:
            for _ in range(calls):
                # Each take hears the next action; answers not understood are asked again, so say enough.
                said = ANSWERS * 3
                actions: list[Action] = [
                    Speak(wav=files[text][0], text=text, after=SPEAKS_AFTER_S, end="#" if last else "silence")
                    for last, text in ((i == len(said) - 1, text) for i, text in enumerate(said))
                ]
                trace = await sim.place_call("survey", Caller(actions))
                samples += samples_of(trace, config, sounds, [files[text][1] for text in said])
        finally:
            await bot.stop()
    return {"config": config.name, "note": config.note, "answers": len(samples), **summary(samples)}


def summary(samples: list[Sample]) -> dict[str, Any]:
    def stats(values: list[float]) -> dict[str, float]:
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return {
            "p50_ms": round(statistics.median(values) * 1000),
            "p95_ms": round(p95 * 1000),
            "max_ms": round(max(values) * 1000),
        }

    if not samples:
        return {}
    return {
        "total": stats([sample.total_s for sample in samples]),
        "silence_detection": stats([sample.silence_detection_s for sample in samples]),
        "bot": stats([sample.bot_s for sample in samples]),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--calls", type=int, default=4, help="calls per configuration (6 spoken answers each)"
    )
    args = parser.parse_args()
    cache = REPO / "var" / "bench-models"
    with tempfile.TemporaryDirectory() as audio_dir:
        prompts = cache / "prompts"
        builder = BotRuntime(Settings(data_dir=cache, dialogs_dir=REPO / "dialogs", prompts_dir=prompts))
        builder.dialogs.load()
        builder.prompts.build(builder.dialogs.prompts())
        files = answer_files(Path(audio_dir))
        results = [await run_config(config, args.calls, files, prompts) for config in configs(cache)]
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
        "calls_per_config": args.calls,
        "results": results,
    }
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    for result in results:
        total, silence, bot = (result.get(key, {}) for key in ("total", "silence_detection", "bot"))
        print(
            f"{result['config']}: {result['answers']} answers; total p50 {total.get('p50_ms')} ms "
            f"p95 {total.get('p95_ms')} ms (silence detection p50 {silence.get('p50_ms')} ms, "
            f"bot p50 {bot.get('p50_ms')} ms p95 {bot.get('p95_ms')} ms)"
        )


if __name__ == "__main__":
    asyncio.run(main())
