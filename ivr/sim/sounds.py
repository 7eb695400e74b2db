"""Sound files as Asterisk finds them: by name, language and format, measured in 8 kHz samples."""

from __future__ import annotations

import os
import wave
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

SAMPLE_RATE = 8000
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Sound:
    """A playable sound: its length in 8 kHz samples and, for a real file, where it is."""

    name: str
    samples: int
    path: Path | None = None

    @property
    def seconds(self) -> float:
        return self.samples / SAMPLE_RATE


def _wav_samples(path: Path, expected_rate: int | None = None) -> int | None:
    try:
        with wave.open(str(path), "rb") as wav:
            rate, frames = wav.getframerate(), wav.getnframes()
    except (wave.Error, EOFError, OSError):
        return None
    if rate <= 0 or (expected_rate is not None and rate != expected_rate):
        return None
    return frames * SAMPLE_RATE // rate


def _bytes_per(divisor: int, samples_per_unit: int = 1) -> Callable[[Path], int | None]:
    def measure(path: Path) -> int | None:
        return path.stat().st_size // divisor * samples_per_unit

    return measure


# Tried in this order, like Asterisk's format modules; each turns a file into its length in 8 kHz samples.
FORMAT_MEASURES: dict[str, Callable[[Path], int | None]] = {
    "wav": _wav_samples,
    "wav16": lambda path: _wav_samples(path, 16000),
    "sln": _bytes_per(2),
    "raw": _bytes_per(2),
    "sln16": _bytes_per(4),
    "ulaw": _bytes_per(1),
    "alaw": _bytes_per(1),
    "gsm": _bytes_per(33, 160),
}


def _core_sound_samples() -> dict[str, int]:
    """Lengths of the Asterisk core sounds the simulator knows without files.

    beep, hello-world and vm-intro are measured from the recorded transcripts; the say-* building blocks
    (digits, letters, phonetic) are estimates that give SAY commands a realistic duration.
    """
    table: dict[str, int] = {"beep": 3404, "hello-world": 11234, "vm-intro": 45200}
    table.update({f"silence/{seconds}": seconds * SAMPLE_RATE for seconds in range(1, 11)})
    table.update({f"digits/{number}": 6400 for number in range(20)})
    table.update({f"digits/{tens}": 7200 for tens in range(20, 100, 10)})
    for word in ("hundred", "thousand", "million", "billion", "minus", "star", "pound", "oh", "at"):
        table[f"digits/{word}"] = 6400
    table.update({"digits/a-m": 4800, "digits/p-m": 4800})
    table.update({f"digits/day-{day}": 6400 for day in range(7)})
    table.update({f"digits/mon-{month}": 6400 for month in range(12)})
    for letter in "abcdefghijklmnopqrstuvwxyz":
        table[f"letters/{letter}"] = 5920
        table[f"phonetic/{letter}_p"] = 6400
    for word in ("space", "dot", "dash", "at", "dollar", "equals", "plus", "slash", "exclaimation-point"):
        table[f"letters/{word}"] = 5920
    return table


CORE_SOUND_SAMPLES: Mapping[str, int] = _core_sound_samples()


class SoundLibrary:
    """Finds sounds the way Asterisk's file.c does.

    A relative name is looked up in each directory as `<dir>/<lang>/<name>.<ext>` for the channel language
    (then without its dialect, e.g. sv_SE -> sv), then `<dir>/<name>.<ext>`, then the default language `en`.
    An absolute name (no extension, as Asterisk wants it) gets the language inserted before its last part.
    Known core sounds (beep, hello-world, digits/..) stand in for the `en` files when no file is found.
    """

    def __init__(self, directories: Iterable[str | Path] = (), *, core_sounds: bool = True) -> None:
        self.directories: tuple[Path, ...] = tuple(Path(directory) for directory in directories)
        self._core: dict[str, int] = dict(CORE_SOUND_SAMPLES) if core_sounds else {}
        self._lengths: dict[Path, tuple[int, int, int | None]] = {}

    @property
    def sounds_dir(self) -> Path | None:
        """Where relative RECORD FILE names go (Asterisk's sounds directory): the first directory."""
        return self.directories[0] if self.directories else None

    def add(self, name: str, samples: int) -> None:
        """Make a sound known by its length alone (like a core sound), for any language."""
        if samples < 0:
            raise ValueError(f"sound {name!r}: length must not be negative, got {samples}")
        self._core[name] = samples

    def find(self, name: str, language: str = DEFAULT_LANGUAGE) -> Sound | None:
        """The sound Asterisk would play for `name` on a channel with `language`, or None."""
        if not name:
            return None
        absolute = name.startswith("/")
        for candidate_language in _language_candidates(language):
            for base in self._bases(name, absolute, candidate_language):
                found = self._measure_first_format(base)
                if found is not None:
                    return Sound(name, found[1], found[0])
            if not absolute and candidate_language == DEFAULT_LANGUAGE and name in self._core:
                return Sound(name, self._core[name])
        return None

    def _bases(self, name: str, absolute: bool, language: str | None) -> Iterator[Path]:
        if absolute:
            head, _, tail = name.rpartition("/")
            yield Path(f"{head}/{language}/{tail}") if language else Path(name)
            return
        for directory in self.directories:
            yield directory / language / name if language else directory / name

    def _measure_first_format(self, base: Path) -> tuple[Path, int] | None:
        for extension, measure in FORMAT_MEASURES.items():
            path = base.with_name(f"{base.name}.{extension}")
            samples = self._cached_length(path, measure)
            if samples is not None:
                return path, samples
        return None

    def _cached_length(self, path: Path, measure: Callable[[Path], int | None]) -> int | None:
        try:
            status = os.stat(path)
        except OSError:
            return None
        key = (status.st_mtime_ns, status.st_size)
        cached = self._lengths.get(path)
        if cached is not None and cached[:2] == key:
            return cached[2]
        samples = measure(path)
        self._lengths[path] = (*key, samples)
        return samples


def _language_candidates(language: str) -> list[str | None]:
    """preflang, preflang without dialect codes, no language, then the default language."""
    candidates: list[str | None] = []
    current = language
    while current:
        candidates.append(current)
        current = current.rpartition("_")[0]
    candidates.append(None)
    if DEFAULT_LANGUAGE not in candidates:
        candidates.append(DEFAULT_LANGUAGE)
    return candidates
