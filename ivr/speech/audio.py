"""PCM audio in memory, WAV reading and writing, and conversion to the formats Asterisk plays.

Asterisk picks a file by format from the path without extension: `<path>.wav` is 8 kHz 16-bit mono
signed-linear, `<path>.wav16` the same at 16 kHz. With both present it plays the one closest to the call's
codec: `.wav16` on wideband (G.722) calls, `.wav` on narrowband ones.
"""

from __future__ import annotations

import io
import os
import struct
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import soxr

TELEPHONE_RATE = 8000
WIDEBAND_RATE = 16000
ASTERISK_EXTENSIONS = {TELEPHONE_RATE: ".wav", WIDEBAND_RATE: ".wav16"}
TELEPHONE_FORMATS = (WIDEBAND_RATE, TELEPHONE_RATE)
"""The rates every prompt is kept in, in writing order: the 8 kHz file is last, so once it exists both do."""

_FORMAT_PCM = 0x0001
_FORMAT_FLOAT = 0x0003
_FORMAT_EXTENSIBLE = 0xFFFE
_INT16_MAX = 32767


class AudioFormatError(ValueError):
    """A file or byte string is not audio we can read (not a WAV, an unsupported encoding, truncated)."""


@dataclass(frozen=True, eq=False)
class Audio:
    """Mono signed 16-bit PCM samples and their sample rate."""

    samples: npt.NDArray[np.int16]
    rate: int

    def __post_init__(self) -> None:
        if self.samples.ndim != 1 or self.samples.dtype != np.int16:
            raise ValueError("Audio samples must be a one-dimensional int16 array")
        if self.rate <= 0:
            raise ValueError(f"sample rate must be positive, got {self.rate}")

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.rate


def read_wav(path: Path) -> Audio:
    """Read a PCM WAV (8/16/24/32-bit integer or 32-bit float), any rate and channel count, mixed to mono."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise AudioFormatError(f"{path}: cannot read the file: {error.strerror or error}") from error
    return decode_wav(data, source=str(path))


def decode_wav(data: bytes, *, source: str = "<bytes>") -> Audio:
    """Decode WAV bytes to mono int16.

    Tolerates the placeholder sizes a streaming writer (espeak-ng --stdout) puts in the header.
    """
    patched, is_float = _as_plain_pcm(data, source)
    try:
        with wave.open(io.BytesIO(patched), "rb") as reader:
            channels, width, rate = reader.getnchannels(), reader.getsampwidth(), reader.getframerate()
            frames = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError, struct.error) as error:
        raise AudioFormatError(f"{source}: not a readable WAV file ({error})") from error
    if channels < 1 or rate <= 0:
        raise AudioFormatError(f"{source}: invalid WAV header ({channels} channels, {rate} Hz)")
    usable = len(frames) - len(frames) % (width * channels)
    if usable == 0:
        raise AudioFormatError(f"{source}: the WAV file holds no audio")
    floats = _to_float(frames[:usable], width, is_float, source)
    mono = floats.reshape(-1, channels).mean(axis=1)
    return Audio(_to_int16(mono), rate)


def decode_mp3(data: bytes, *, source: str = "<bytes>") -> Audio:
    """Decode MP3 bytes (what gTTS returns) to mono int16 with libsndfile, bundled in the soundfile wheel."""
    try:
        import soundfile
    except ImportError as error:
        raise AudioFormatError(
            f"{source}: reading MP3 needs the soundfile package; install it with `pip install 'ivr[voices]'`"
        ) from error
    try:
        samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (soundfile.SoundFileError, RuntimeError, ValueError) as error:
        raise AudioFormatError(f"{source}: not readable MP3 audio ({error})") from error
    if len(samples) == 0:
        raise AudioFormatError(f"{source}: the MP3 holds no audio")
    return Audio(_to_int16(np.asarray(samples, dtype=np.float64).mean(axis=1)), int(rate))


def resample(audio: Audio, rate: int) -> Audio:
    if audio.rate == rate:
        return audio
    floats = audio.samples.astype(np.float32) / 32768.0
    converted = soxr.resample(floats, audio.rate, rate, quality="HQ")
    return Audio(_to_int16(np.asarray(converted, dtype=np.float32)), rate)


def asterisk_file(base: Path, rate: int = TELEPHONE_RATE) -> Path:
    """The file Asterisk opens for `base` (a path without extension) at this sample rate."""
    try:
        extension = ASTERISK_EXTENSIONS[rate]
    except KeyError:
        raise ValueError(
            f"Asterisk has no WAV format at {rate} Hz; use one of {sorted(ASTERISK_EXTENSIONS)}"
        ) from None
    return base.parent / (base.name + extension)


def is_asterisk_ready(path: Path, rate: int = TELEPHONE_RATE) -> bool:
    """True when the file is plain PCM WAV, 16-bit, mono, at this rate (Asterisk can play it as is)."""
    try:
        with path.open("rb") as file:
            header = file.read(4096)
        fmt = _find_chunk(header, b"fmt ")
    except (OSError, AudioFormatError):
        return False
    if fmt is None or len(fmt[1]) < 16:
        return False
    tag, channels, file_rate, _, _, bits = struct.unpack_from("<HHIIHH", fmt[1])
    return (tag, channels, file_rate, bits) == (_FORMAT_PCM, 1, rate, 16)


def write_wav_atomically(path: Path, audio: Audio) -> None:
    """Write 16-bit mono WAV through a temporary file in the same directory, then rename it into place.

    Readers (Asterisk, other processes) see either the old file or the whole new one, never a partial one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            with wave.open(file, "wb") as writer:
                writer.setnchannels(1)
                writer.setsampwidth(2)
                writer.setframerate(audio.rate)
                writer.writeframes(audio.samples.astype("<i2").tobytes())
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private; Asterisk may run as another user
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_for_asterisk(audio: Audio, base: Path, rate: int = TELEPHONE_RATE) -> Path:
    """Resample and write `audio` as Asterisk's WAV at `rate` next to `base`; returns the file written."""
    target = asterisk_file(base, rate)
    write_wav_atomically(target, resample(audio, rate))
    return target


def convert_for_asterisk(source: Path, base: Path, rate: int = TELEPHONE_RATE) -> Path:
    """Convert any readable WAV file to Asterisk's format (`base.wav` at 8 kHz, `base.wav16` at 16 kHz)."""
    return save_for_asterisk(read_wav(source), base, rate)


def save_telephone_formats(audio: Audio, base: Path) -> tuple[Path, ...]:
    """Write `audio` in every rate of TELEPHONE_FORMATS next to `base` (16 kHz first, 8 kHz last)."""
    return tuple(save_for_asterisk(audio, base, rate) for rate in TELEPHONE_FORMATS)


def convert_to_telephone_formats(source: Path, base: Path) -> tuple[Path, ...]:
    """Convert any readable WAV file to both of Asterisk's formats (`base.wav16`, then `base.wav`)."""
    return save_telephone_formats(read_wav(source), base)


def has_telephone_formats(base: Path) -> bool:
    """True when every file of TELEPHONE_FORMATS exists for `base`."""
    return all(asterisk_file(base, rate).is_file() for rate in TELEPHONE_FORMATS)


def _as_plain_pcm(data: bytes, source: str) -> tuple[bytes, bool]:
    """Rewrite the format tag so `wave` (PCM only in Python 3.11) reads extensible and float files too."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioFormatError(f"{source}: not a WAV file (no RIFF/WAVE header)")
    fmt = _find_chunk(data, b"fmt ")
    if fmt is None or len(fmt[1]) < 16:
        raise AudioFormatError(f"{source}: WAV file without a valid format chunk")
    offset, body = fmt
    tag = struct.unpack_from("<H", body)[0]
    if tag == _FORMAT_EXTENSIBLE and len(body) >= 26:
        tag = struct.unpack_from("<H", body, 24)[0]  # the first two bytes of the sub-format GUID
    if tag not in (_FORMAT_PCM, _FORMAT_FLOAT):
        raise AudioFormatError(
            f"{source}: unsupported WAV encoding (format tag {tag:#06x}); export it as PCM WAV"
        )
    patched = bytearray(data)
    struct.pack_into("<H", patched, offset, _FORMAT_PCM)
    return bytes(patched), tag == _FORMAT_FLOAT


def _find_chunk(data: bytes, chunk_id: bytes) -> tuple[int, bytes] | None:
    """The offset and body of the first RIFF chunk with this id, or None."""
    position = 12
    while position + 8 <= len(data):
        current, size = data[position : position + 4], struct.unpack_from("<I", data, position + 4)[0]
        if current == chunk_id:
            return position + 8, data[position + 8 : position + 8 + size]
        position += 8 + size + (size & 1)
    return None


def _to_float(frames: bytes, width: int, is_float: bool, source: str) -> npt.NDArray[np.float64]:
    if is_float:
        if width != 4:
            raise AudioFormatError(f"{source}: only 32-bit float WAV is supported, not {8 * width}-bit")
        return np.frombuffer(frames, dtype="<f4").astype(np.float64)
    if width == 1:
        return (np.frombuffer(frames, dtype=np.uint8).astype(np.float64) - 128.0) / 128.0
    if width == 2:
        return np.frombuffer(frames, dtype="<i2").astype(np.float64) / 32768.0
    if width == 3:
        raw = np.frombuffer(frames, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        return value.astype(np.float64) / float(1 << 23)
    if width == 4:
        return np.frombuffer(frames, dtype="<i4").astype(np.float64) / float(1 << 31)
    raise AudioFormatError(f"{source}: unsupported sample width of {8 * width} bits")


def _to_int16(samples: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.int16]:
    scaled = np.clip(np.rint(samples * 32768.0), -32768, _INT16_MAX)
    converted: npt.NDArray[np.int16] = scaled.astype(np.int16)
    return converted
