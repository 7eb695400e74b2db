"""`ivr demo`: simulated callers place survey calls through the real bot over FastAGI, then a summary."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ivr.apps.runtime import BotRuntime
from ivr.demo.personas import Mood, Persona, make_persona
from ivr.demo.queue_day import run_queue_day
from ivr.report.build import build_report
from ivr.report.summary import dialog_summary, tenants_line
from ivr.settings import Settings
from ivr.sim.asterisk import CallTrace, SimulatedAsterisk
from ivr.sim.sounds import SoundLibrary
from ivr.speech.audio import save_for_asterisk
from ivr.speech.tts import TtsError, engine_for
from ivr.store.results import ResultsRepository

log = logging.getLogger("ivr.demo")

TENANTS = ("norrtalje", "osthammar", "malmo")
AGENTS = ("kv01", "kv02", "kv03", "kv04", "kv05", "kv06")
CONCURRENT_CALLS = 10
DEMO_DATABASE = "demo.db"
QUEUE_DAY_CALLS = 20
SPEECH_ENGINE = "vosk"  # what the simulated Asterisk's speech module is called

# What demo callers say at the end (spoken by espeak-ng, so later issues can transcribe and classify them).
COMMENTS: dict[Mood, tuple[str, ...]] = {
    "positiv": (
        "Hon var jättetrevlig och hjälpte mig direkt, tack så mycket.",
        "Bra bemötande och jag fick svar på min fråga om bygglovet.",
    ),
    "blandad": (
        "Han var trevlig men jag fick vänta alldeles för länge i kön.",
        "Det löste sig till slut men det var svårt att hitta rätt på hemsidan.",
        "Jag vet inte riktigt om det kommer att fungera med e-tjänsten, vi får väl se.",
    ),
    "negativ": (
        "Jag har ringt tre gånger om snöröjningen och ingen gör något.",
        "Det tog en halvtimme att komma fram och sen kunde ingen svara.",
    ),
}


@dataclass(frozen=True)
class DemoCall:
    tenant: str
    persona: Persona
    trace: CallTrace


async def run_demo(
    settings: Settings, *, calls: int, seed: int, data_dir: Path, database_url: str | None = None
) -> str:
    """`data_dir` must be absolute (Asterisk is handed paths under it). Without `database_url` the demo uses
    its own SQLite file under data_dir, emptied first; a given database is never emptied."""
    settings = _demo_settings(settings, data_dir, database_url)
    if database_url is None:
        _empty_own_database(settings)
    started_at = datetime.now(UTC)
    runtime = BotRuntime(settings, enqueue_comments=False)  # the demo processes its comments itself, below
    await asyncio.to_thread(_build_prompts, runtime)
    comment_audio = await asyncio.to_thread(_comment_audio, settings)
    await runtime.start("127.0.0.1", 0)
    try:
        placed = await _place_calls(runtime, calls, seed, comment_audio)
    finally:
        await runtime.stop()
    from ivr.comments.demo import known_words, process_demo_comments

    spoken = [(call.trace.recordings, call.persona.caller) for call in placed]
    words = known_words(spoken, settings.data_dir / "caller-audio", COMMENTS)
    comments = await process_demo_comments(settings, words, started_at)
    log.info("demo comments: %s", comments)
    queue_day = await run_queue_day(settings, data_dir, calls=min(QUEUE_DAY_CALLS, calls), seed=seed)
    report = await asyncio.to_thread(build_report, settings, data_dir / "report")
    return "\n\n".join(
        [
            _summary(settings, placed, started_at),
            "\n".join(queue_day.lines()),
            f"Rapporten (HTML, CSV och diagram): {report.html}",
        ]
    )


def _demo_settings(settings: Settings, data_dir: Path, database_url: str | None) -> Settings:
    """The demo keeps its files under data_dir; it never touches the bot's own database (IVR_DATABASE_URL)."""
    return settings.model_copy(
        update={
            "data_dir": data_dir,
            "database_url": database_url or f"sqlite:///{data_dir / DEMO_DATABASE}",
            "prompts_dir": data_dir / "prompts",
            "recordings_dir": data_dir / "recordings",
            # Spoken answers through the simulated Asterisk's speech module: no model needed on this side.
            "speech_strategy": "asterisk-speech",
            "asterisk_speech_engine": SPEECH_ENGINE,
        }
    )


def _empty_own_database(settings: Settings) -> None:
    for suffix in ("", "-wal", "-shm"):
        (settings.data_dir / f"{DEMO_DATABASE}{suffix}").unlink(missing_ok=True)


def _build_prompts(runtime: BotRuntime) -> None:
    runtime.dialogs.load()
    report = runtime.prompts.build(runtime.dialogs.prompts())
    log.info("prompts: %s", report)


def _comment_audio(settings: Settings) -> Callable[[Mood], Path | None]:
    """Renders the demo comments once; without espeak-ng, callers speak made-up noise instead."""
    folder = settings.data_dir / "caller-audio"
    rendered: dict[Mood, list[Path]] = {}
    try:
        engine = engine_for("espeak-ng")  # callers speak with espeak, whatever voice the prompts have
        for mood, texts in COMMENTS.items():
            for number, text in enumerate(texts):
                target = folder / f"{mood}-{number}"
                if not target.with_suffix(".wav").exists():
                    save_for_asterisk(engine.render(text), target)
                rendered.setdefault(mood, []).append(target.with_suffix(".wav"))
    except TtsError as exc:
        log.warning("demo comments will be noise, not speech: %s", exc)
    picker = random.Random(0)
    return lambda mood: picker.choice(rendered[mood]) if rendered.get(mood) else None


async def _place_calls(
    runtime: BotRuntime, calls: int, seed: int, comment_audio: Callable[[Mood], Path | None]
) -> list[DemoCall]:
    rng = random.Random(seed)
    sounds = SoundLibrary([runtime.settings.effective_prompts_dir])
    asterisk = SimulatedAsterisk("127.0.0.1", runtime.port, sounds=sounds, speech_engine=SPEECH_ENGINE)
    gate = asyncio.Semaphore(CONCURRENT_CALLS)

    async def one(number: int) -> DemoCall:
        tenant = rng.choice(TENANTS)
        persona = make_persona(runtime.dialogs.get("survey", tenant), rng, comment_audio)
        request = f"survey?tenant={tenant}&queue=kontaktcenter&agent={rng.choice(AGENTS)}"
        async with gate:
            trace = await asterisk.place_call(
                request,
                persona.caller,
                callerid=f"07{rng.randrange(10**8):08d}",
                uniqueid=f"1795350000.{number}",
            )
        return DemoCall(tenant, persona, trace)

    return list(await asyncio.gather(*(one(n) for n in range(calls))))


def _summary(settings: Settings, placed: list[DemoCall], started_at: datetime) -> str:
    repo = ResultsRepository(settings.effective_database_url)
    try:
        records = repo.responses(since=started_at)
        dialog_ids = sorted({record.response.dialog_id for record in records})
        parts = [
            f"Demo: {len(placed)} simulerade samtal genom boten (FastAGI över TCP, simulerad Asterisk 20)",
            tenants_line(records),
        ]
        for dialog_id in dialog_ids:
            own = [record for record in records if record.response.dialog_id == dialog_id]
            parts.append(dialog_summary(repo.question_stats(None, dialog_id, since=started_at), own))
    finally:
        repo.close()
    parts.append(
        f"Sparat i {settings.effective_database_url}; inspelningar i {settings.effective_recordings_dir}"
    )
    parts.append(
        f"Exportera: IVR_DATABASE_URL={settings.effective_database_url} ivr results export --format csv"
    )
    return "\n\n".join(parts)
