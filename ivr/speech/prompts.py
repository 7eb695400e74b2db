"""The prompt cache: which file Asterisk plays for a `Prompt`, and the build that renders what is missing.

Layout under the cache directory: every prompt in two files, 16-bit mono WAV at 8 kHz (`.wav`) and at
16 kHz (`.wav16`), so that Asterisk's STREAM FILE plays the wideband one on G.722 calls:
    tts/<key>.wav, .wav16       rendered speech; key = hash of (engine, voice, text)
    operator/<key>.wav, .wav16  an operator recording converted to telephone formats (a lossless copy where
                                it already is one); key = hash of (path, mtime, size), so a changed
                                recording gets new files and the old ones are left for `prune`
A prompt is ready when both files exist; the 8 kHz one is written last. Every path `resolve` returns lies
under the cache directory, the one directory Asterisk must see. Files are written to a temporary name and
renamed into place, so several processes may build at once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import threading
import time
import unicodedata
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ivr.dialog.io import Prompt
from ivr.speech.audio import (
    ASTERISK_EXTENSIONS,
    Audio,
    AudioFormatError,
    convert_to_telephone_formats,
    has_telephone_formats,
    save_telephone_formats,
)
from ivr.speech.tts import TtsEngine, TtsError, TtsUnavailable, engine_from_settings

if TYPE_CHECKING:
    from ivr.settings import Settings

logger = logging.getLogger(__name__)

_KEY_VERSION = "2"  # bump when the rendering pipeline changes what cached files hold (2: the .wav16 files)
_TEMP_SUFFIX = ".tmp"
_STALE_TEMP_S = 3600.0  # a temporary file this old was left by a crashed build


class OperatorRecordingError(Exception):
    """An operator's recording is missing, unreadable or not a WAV file we can convert."""


@dataclass(frozen=True)
class BuildFailure:
    prompt: Prompt
    reason: str
    covered_by_tts: bool = False  # the operator recording failed, but rendered speech plays instead


@dataclass(frozen=True)
class BuildReport:
    rendered: int
    cached: int
    operator: int
    failed: tuple[BuildFailure, ...]

    @property
    def unplayable(self) -> tuple[BuildFailure, ...]:
        """Failures that leave a prompt with nothing to play."""
        return tuple(failure for failure in self.failed if not failure.covered_by_tts)

    def __str__(self) -> str:
        """A summary line, then one line per reason (an engine that cannot run fails every prompt alike)."""
        lines = [
            f"{self.rendered} rendered, {self.cached} already cached, {self.operator} operator recordings, "
            f"{len(self.failed)} failed ({len(self.unplayable)} with nothing to play)"
        ]
        for (reason, covered), prompts in _by_reason(self.failed).items():
            fallback = " (synthesised speech plays instead)" if covered else ""
            lines.append(f"  {_describe_all(prompts)}: {reason}{fallback}")
        return "\n".join(lines)


_Kind = Literal["rendered", "cached", "operator", "failed"]


@dataclass(frozen=True)
class _Outcome:
    prompt: Prompt
    kind: _Kind
    problem: str | None = None


class PromptCache:
    """Maps prompts to playable files. `resolve` is cheap enough to call for every prompt of every call."""

    def __init__(self, directory: Path, engine: TtsEngine) -> None:
        self.directory = directory.absolute()
        self.engine = engine
        self._tts = _DirectoryMemo(self.directory / "tts")
        self._operator = _DirectoryMemo(self.directory / "operator")
        self._operator_failures: dict[str, str] = {}

    @classmethod
    def from_settings(
        cls, settings: Settings, *, engine: str | None = None, voice: str | None = None
    ) -> PromptCache:
        """The cache in settings' prompts directory with settings' engine and voice (or the ones given).

        `ivr prompts build`, `ivr dialogs check` and the bot all make their cache here, so they agree on
        which files a prompt has. Raises TtsError for an unknown engine.
        """
        return cls(settings.effective_prompts_dir, engine_from_settings(settings, engine, voice))

    def resolve(self, prompt: Prompt) -> Path | None:
        """The path WITHOUT extension to pass to STREAM FILE, or None when nothing is there to play.

        The operator's recording wins; when it changed since it was last converted, it is converted now
        (once, a few milliseconds of blocking work). A broken recording is logged once and TTS is used.
        """
        if prompt.audio is not None:
            recording = self._operator_playable(prompt.audio)
            if recording is not None:
                return recording
        return self._tts_playable(prompt.text)

    def missing(self, prompts: Iterable[Prompt]) -> list[Prompt]:
        """Prompts with neither a ready operator recording nor rendered speech; has no side effects."""
        return [prompt for prompt in prompts if not self._is_ready(prompt)]

    def build(self, prompts: Iterable[Prompt], *, workers: int = 2) -> BuildReport:
        """Render and convert everything missing, in `workers` threads; a failure never stops the rest."""
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        unique = list({_identity(prompt): prompt for prompt in prompts}.values())
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="prompt-build") as pool:
            engine = _EngineGate(self.engine)
            outcomes = list(pool.map(lambda prompt: self._build_one(prompt, engine), unique))
        return _report(outcomes)

    def prune(self, prompts: Iterable[Prompt]) -> int:
        """Delete cached files no prompt refers to any more (and stale temporary files); returns the count.

        Pass every prompt in use: whatever is not among them is removed, including the files of other
        engines and voices (the ones a bot configured differently would play).
        """
        keep_tts: set[str] = set()
        keep_operator: set[str] = set()
        for prompt in prompts:
            if (stem := self._tts_stem(prompt.text)) is not None:
                keep_tts.add(stem)
            if prompt.audio is not None and (key := _operator_key(prompt.audio.absolute())) is not None:
                keep_operator.add(key)
        return _prune_directory(self._tts.directory, keep_tts) + _prune_directory(
            self._operator.directory, keep_operator
        )

    def _build_one(self, prompt: Prompt, engine: _EngineGate) -> _Outcome:
        try:
            return self._build_prompt(prompt, engine)
        except Exception as error:  # one prompt's surprise must not stop the build
            logger.exception("building prompt %s failed", _describe(prompt))
            return _Outcome(prompt, "failed", f"unexpected {type(error).__name__}: {error}")

    def _build_prompt(self, prompt: Prompt, engine: _EngineGate) -> _Outcome:
        operator_problem: str | None = None
        if prompt.audio is not None:
            try:
                self._prepare_operator(prompt.audio)
                return _Outcome(prompt, "operator")
            except OperatorRecordingError as error:
                operator_problem = str(error)
        try:
            kind = self._ensure_tts(prompt.text, engine)
        except (TtsError, OSError) as error:
            problem = f"{operator_problem}; " if operator_problem else ""
            return _Outcome(prompt, "failed", f"{problem}{error}")
        return _Outcome(prompt, kind, operator_problem)

    def _ensure_tts(self, text: str, engine: _EngineGate) -> Literal["rendered", "cached"]:
        stem = self._tts_stem(text)
        if stem is None:
            raise TtsError("no text to speak (and no usable operator recording)")
        if self._tts_playable(text) is not None:
            return "cached"
        base = self._tts.directory / stem
        save_telephone_formats(engine.render(_normalize(text)), base)
        self._tts.put(stem, base)
        return "rendered"

    def _tts_playable(self, text: str) -> Path | None:
        stem = self._tts_stem(text)
        if stem is None:
            return None
        known = self._tts.get(stem)
        if known is not None:
            return known
        base = self._tts.directory / stem
        if has_telephone_formats(base):
            self._tts.put(stem, base)
            return base
        return None

    def _tts_stem(self, text: str) -> str | None:
        normalized = _normalize(text)
        if not normalized:
            return None
        return _digest("tts", self.engine.name, self.engine.voice, normalized)

    def _operator_playable(self, audio: Path) -> Path | None:
        try:
            return self._prepare_operator(audio)
        except OperatorRecordingError as error:
            reason = str(error)
            if self._operator_failures.get(str(audio)) != reason:
                self._operator_failures[str(audio)] = reason
                logger.warning("%s; playing synthesised speech instead", reason)
            return None

    def _prepare_operator(self, audio: Path) -> Path:
        """The playable base path for an operator recording, converting it into the cache when needed."""
        source = audio.absolute()
        key = _operator_key(source)
        if key is None:
            raise OperatorRecordingError(f"operator recording {audio}: file not found or not readable")
        known = self._operator.get(key)
        if known is not None:
            return known
        base = self._operator.directory / key
        if not has_telephone_formats(base):
            try:
                convert_to_telephone_formats(source, base)
            except AudioFormatError as error:
                raise OperatorRecordingError(f"operator recording {error}") from error
        self._operator.put(key, base)
        return base

    def _is_ready(self, prompt: Prompt) -> bool:
        if prompt.audio is not None:
            key = _operator_key(prompt.audio.absolute())
            if key is not None and has_telephone_formats(self._operator.directory / key):
                return True
        return self._tts_playable(prompt.text) is not None


class _EngineGate:
    """The engine for one build: once it reports itself unavailable, the other texts fail at once, alike."""

    def __init__(self, engine: TtsEngine) -> None:
        self._engine = engine
        self._unavailable: str | None = None
        self._lock = threading.Lock()

    def render(self, text: str) -> Audio:
        with self._lock:
            if self._unavailable is not None:
                raise TtsUnavailable(self._unavailable)
        try:
            return self._engine.render(text)
        except TtsUnavailable as error:
            with self._lock:
                self._unavailable = self._unavailable or str(error)
            raise


class _DirectoryMemo:
    """Paths known to exist in one directory; forgotten as soon as the directory's mtime changes.

    Adding, renaming or deleting a file changes its directory's mtime, so one stat per lookup notices
    what other processes did (a build, a prune) without rescanning or hashing anything.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._mtime_ns: int | None = None
        self._paths: dict[str, Path] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Path | None:
        mtime_ns = _mtime_ns(self.directory)
        with self._lock:
            if mtime_ns != self._mtime_ns:
                self._paths.clear()
                self._mtime_ns = mtime_ns
            return self._paths.get(key)

    def put(self, key: str, path: Path) -> None:
        with self._lock:
            self._paths[key] = path


def _normalize(text: str) -> str:
    """One spelling per spoken text: NFC (ö composed) and single spaces."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@lru_cache(maxsize=8192)
def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join((_KEY_VERSION, *parts)).encode("utf-8")).hexdigest()[:32]


def _operator_key(source: Path) -> str | None:
    """A key that changes whenever the recording is replaced or edited; None when it cannot be read."""
    try:
        status = source.stat()
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    return _digest("operator", str(source), str(status.st_mtime_ns), str(status.st_size))


def _identity(prompt: Prompt) -> tuple[str, str | None]:
    return _normalize(prompt.text), str(prompt.audio.absolute()) if prompt.audio is not None else None


def _describe(prompt: Prompt) -> str:
    return prompt.name or repr(_normalize(prompt.text)[:40])


def _describe_all(prompts: list[Prompt], shown: int = 5) -> str:
    if len(prompts) == 1:
        return _describe(prompts[0])
    names = ", ".join(_describe(prompt) for prompt in prompts[:shown])
    more = f", and {len(prompts) - shown} more" if len(prompts) > shown else ""
    return f"{len(prompts)} prompts ({names}{more})"


def _by_reason(failures: Iterable[BuildFailure]) -> dict[tuple[str, bool], list[Prompt]]:
    groups: dict[tuple[str, bool], list[Prompt]] = {}
    for failure in failures:
        groups.setdefault((failure.reason, failure.covered_by_tts), []).append(failure.prompt)
    return groups


def _mtime_ns(directory: Path) -> int | None:
    try:
        return directory.stat().st_mtime_ns
    except OSError:
        return None


def _prune_directory(directory: Path, keep: set[str]) -> int:
    if not directory.is_dir():
        return 0
    removed = 0
    now = time.time()
    extensions = tuple(ASTERISK_EXTENSIONS.values())
    for entry in os.scandir(directory):
        if not entry.is_file(follow_symlinks=False):
            continue
        if entry.name.startswith(".") and entry.name.endswith(_TEMP_SUFFIX):
            doomed = now - entry.stat().st_mtime > _STALE_TEMP_S
        else:
            stem, extension = os.path.splitext(entry.name)
            doomed = extension in extensions and stem not in keep
        if doomed:
            Path(entry.path).unlink(missing_ok=True)
            removed += 1
    return removed


def _report(outcomes: list[_Outcome]) -> BuildReport:
    counts = {kind: sum(1 for outcome in outcomes if outcome.kind == kind) for kind in ("rendered", "cached")}
    failures = tuple(
        BuildFailure(outcome.prompt, outcome.problem, covered_by_tts=outcome.kind != "failed")
        for outcome in outcomes
        if outcome.problem is not None
    )
    for (reason, covered), prompts in _by_reason(failures).items():
        fallback = "; synthesised speech plays instead" if covered else ""
        logger.warning("%s: %s%s", _describe_all(prompts), reason, fallback)
    return BuildReport(
        rendered=counts["rendered"],
        cached=counts["cached"],
        operator=sum(1 for outcome in outcomes if outcome.kind == "operator"),
        failed=failures,
    )
