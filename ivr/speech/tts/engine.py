"""The interface every text-to-speech engine implements, and the registry that creates engines by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from ivr.speech.audio import Audio


class TtsError(RuntimeError):
    """An engine could not render a text: the reason says what went wrong and what to do."""


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


EngineFactory = Callable[[str | None], TtsEngine]
"""Makes an engine for a voice; None means the engine's default voice."""

_factories: dict[str, EngineFactory] = {}


def register_engine(name: str, factory: EngineFactory) -> None:
    """Make an engine available to `engine_for` under `name` (replaces an earlier registration)."""
    _factories[name] = factory


def engine_names() -> list[str]:
    return sorted(_factories)


def engine_for(name: str, voice: str | None = None) -> TtsEngine:
    try:
        factory = _factories[name]
    except KeyError:
        known = ", ".join(engine_names()) or "none"
        raise TtsError(f"unknown TTS engine {name!r}; known engines: {known}") from None
    return factory(voice)
