"""The interface every text-to-speech engine implements, and the registry that creates engines by name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

from ivr.speech.audio import Audio


class TtsError(RuntimeError):
    """An engine could not render a text: the reason says what went wrong and what to do."""


class TtsUnavailable(TtsError):
    """The engine cannot render anything now (no program, package, voice file or network): a build stops
    asking it for the other texts, which would only fail the same way (gtts offline: after a timeout each)."""


@runtime_checkable
class TtsEngine(Protocol):
    """Renders Swedish text to speech. `name` and `voice` are part of the prompt cache key."""

    @property
    def name(self) -> str: ...

    @property
    def voice(self) -> str: ...

    def render(self, text: str) -> Audio:
        """Speak `text`; raises TtsError on failure. Called from worker threads: must be thread-safe."""
        ...


EngineFactory = Callable[[str | None, Path], TtsEngine]
"""Makes an engine for a voice (None: the engine's default voice) and the models directory, where voices
that are files (piper's) are looked up by name. Must not load anything yet: the bot creates engines only to
know the cache key of the prompts it plays."""

DEFAULT_MODELS_DIR = Path("models")

_factories: dict[str, EngineFactory] = {}


def register_engine(name: str, factory: EngineFactory) -> None:
    """Make an engine available to `engine_for` under `name` (replaces an earlier registration)."""
    _factories[name] = factory


def engine_names() -> list[str]:
    return sorted(_factories)


def engine_for(name: str, voice: str | None = None, *, models_dir: Path = DEFAULT_MODELS_DIR) -> TtsEngine:
    """The engine `name` with `voice`; None or an empty voice means the engine's default."""
    try:
        factory = _factories[name]
    except KeyError:
        known = ", ".join(engine_names()) or "none"
        raise TtsError(f"unknown TTS engine {name!r}; known engines: {known}") from None
    return factory(voice or None, models_dir)
