"""Download a catalogued model, check its checksums, unpack it into models_dir atomically.

Everything is staged in a temporary directory inside models_dir and renamed into place only when every
checksum holds and the model directory is complete; on any failure the staging directory is removed, so a
refused download leaves nothing behind.

Checksums: a published SHA-256 (catalogue.py) is checked. Where none is published the download is refused
unless the user confirms the digest we computed (`accept_checksum`) or trusts the first download
(`trust_first_download`); either way the digests are recorded in models_dir/.checksums.json and later
fetches of that model are checked against them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from ivr.speech.recognition.base import ModelNotFound
from ivr.speech.recognition.catalogue import Artifact, ModelEntry
from ivr.speech.recognition.modeldirs import missing_files, require_model

RECORD_FILE = ".checksums.json"
_CHUNK = 1 << 20
_TIMEOUT_S = 60.0


class FetchError(RuntimeError):
    """The model could not be fetched; nothing was installed."""


class ChecksumMismatch(FetchError):
    pass


class UnconfirmedChecksum(FetchError):
    """No published checksum, and the user has not confirmed the computed one."""

    def __init__(self, message: str, digest: str) -> None:
        super().__init__(message)
        self.digest = digest


class Progress(Protocol):
    def update(self, n_steps: int) -> None: ...


ProgressFactory = Callable[[str, int | None], AbstractContextManager[Progress]]
Opener = Callable[..., Any]


@dataclass(frozen=True)
class FetchResult:
    path: Path
    checksums: dict[str, str]  # file name -> SHA-256 of what was downloaded
    verification: Literal["published", "recorded", "accepted", "trusted", "already present"]


class _Silent:
    def update(self, n_steps: int) -> None:
        return None


@contextmanager
def _no_progress(label: str, total: int | None) -> Iterator[Progress]:
    yield _Silent()


def combined_digest(checksums: dict[str, str]) -> str:
    """One digest for a set of files: the file's own SHA-256 when there is one file, else the SHA-256 of
    `sha256sum`-style lines ("<sha>  <name>") sorted by name."""
    if len(checksums) == 1:
        return next(iter(checksums.values()))
    lines = "".join(f"{digest}  {name}\n" for name, digest in sorted(checksums.items()))
    return hashlib.sha256(lines.encode()).hexdigest()


def recorded_checksums(models_dir: Path) -> dict[str, dict[str, str]]:
    try:
        loaded = json.loads((models_dir / RECORD_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def fetch_model(
    entry: ModelEntry,
    models_dir: Path,
    *,
    accept_checksum: str | None = None,
    trust_first_download: bool = False,
    mirror: str | None = None,
    force: bool = False,
    progress: ProgressFactory = _no_progress,
    opener: Opener = urllib.request.urlopen,
) -> FetchResult:
    """Fetch `entry` into models_dir/<name>; `mirror` is a base URL serving the same file names."""
    target = models_dir / entry.name
    if not force and not missing_files(target, entry.engine):
        return FetchResult(target, {}, "already present")
    models_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=models_dir, prefix=f".fetch-{entry.name}-"))
    try:
        downloads = staging / "downloads"
        downloads.mkdir()
        checksums = {
            artifact.filename: _download(
                _url(artifact, mirror), downloads / artifact.filename, progress, opener
            )
            for artifact in entry.artifacts
        }
        verification = _verify(entry, checksums, models_dir, accept_checksum, trust_first_download)
        model = staging / "model"
        _unpack(entry, downloads, model)
        try:
            require_model(model, entry.engine, entry.name)
        except ModelNotFound:
            raise FetchError(
                f"The download of {entry.name} does not hold a complete {entry.engine} model "
                f"({', '.join(missing_files(model, entry.engine))} missing); nothing was installed."
            ) from None
        previous = staging / "previous"
        if target.exists():
            os.replace(
                target, previous
            )  # a forced fetch replaces the old copy only once the new one is whole
        try:
            os.replace(model, target)
        except OSError:
            if previous.exists():
                os.replace(previous, target)
            raise
        if verification in ("accepted", "trusted"):
            _record(models_dir, entry.name, checksums)
        return FetchResult(target, checksums, verification)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _url(artifact: Artifact, mirror: str | None) -> str:
    return f"{mirror.rstrip('/')}/{artifact.filename}" if mirror else artifact.url


def _download(url: str, destination: Path, progress: ProgressFactory, opener: Opener) -> str:
    digest = hashlib.sha256()
    request = urllib.request.Request(url, headers={"User-Agent": "ivr-models-fetch"})
    try:
        with opener(request, timeout=_TIMEOUT_S) as response, destination.open("wb") as file:
            length = response.headers.get("Content-Length")
            with progress(destination.name, int(length) if length and length.isdigit() else None) as bar:
                while chunk := response.read(_CHUNK):
                    digest.update(chunk)
                    file.write(chunk)
                    bar.update(len(chunk))
    except OSError as error:  # URLError, HTTPError and socket errors are all OSErrors
        raise FetchError(f"Could not download {url}: {error}; nothing was installed.") from error
    return digest.hexdigest()


def _verify(
    entry: ModelEntry,
    checksums: dict[str, str],
    models_dir: Path,
    accept_checksum: str | None,
    trust_first_download: bool,
) -> Literal["published", "recorded", "accepted", "trusted"]:
    recorded = recorded_checksums(models_dir).get(entry.name, {})
    unconfirmed: dict[str, str] = {}
    used_record = False
    for artifact in entry.artifacts:
        got = checksums[artifact.filename]
        expected = artifact.sha256 or recorded.get(artifact.filename)
        if expected is None:
            unconfirmed[artifact.filename] = got
            continue
        used_record = used_record or artifact.sha256 is None
        if got != expected.lower():
            source = "published" if artifact.sha256 else f"recorded in {models_dir / RECORD_FILE}"
            raise ChecksumMismatch(
                f"{artifact.filename}: SHA-256 {got} does not match the {source} {expected}; the file is "
                "damaged or not the one the catalogue names. Nothing was installed."
            )
    if not unconfirmed:
        return "recorded" if used_record else "published"
    digest = combined_digest(unconfirmed)
    if accept_checksum is not None:
        if accept_checksum.strip().lower() != digest:
            raise ChecksumMismatch(
                f"The download's checksum {digest} is not the one you accepted ({accept_checksum}). "
                "Nothing was installed."
            )
        return "accepted"
    if trust_first_download:
        return "trusted"
    files = "\n".join(f"  {sha}  {name}" for name, sha in sorted(unconfirmed.items()))
    raise UnconfirmedChecksum(
        f"{entry.name} has no published checksum ({entry.checksum_source}). "
        f"The download's SHA-256:\n{files}\n"
        f"Compare it with the source ({entry.source}), then run "
        f"`ivr models fetch {entry.name} --accept-checksum {digest}`, or `--trust-first-download` to accept "
        "and record it. Nothing was installed.",
        digest,
    )


def _unpack(entry: ModelEntry, downloads: Path, model: Path) -> None:
    if entry.packaging == "files":
        model.mkdir()
        for artifact in entry.artifacts:
            os.replace(downloads / artifact.filename, model / artifact.filename)
        return
    unpacked = downloads.parent / "unpacked"
    for artifact in entry.artifacts:
        try:
            with zipfile.ZipFile(downloads / artifact.filename) as archive:
                for member in archive.namelist():
                    parts = Path(member).parts
                    if member.startswith("/") or ".." in parts:
                        raise FetchError(
                            f"{artifact.filename}: unsafe path {member!r} in the zip; not unpacked."
                        )
                archive.extractall(unpacked)
        except zipfile.BadZipFile as error:
            raise FetchError(
                f"{artifact.filename} is not a valid zip file ({error}); nothing was installed."
            ) from None
    entries = list(unpacked.iterdir()) if unpacked.is_dir() else []
    root = (
        entries[0] if len(entries) == 1 and entries[0].is_dir() else unpacked
    )  # zips wrap the model in a folder
    os.replace(root, model)


def _record(models_dir: Path, name: str, checksums: dict[str, str]) -> None:
    records = recorded_checksums(models_dir)
    records[name] = dict(sorted(checksums.items()))
    handle, temporary = tempfile.mkstemp(dir=models_dir, prefix=f".{RECORD_FILE}.", suffix=".tmp")
    with os.fdopen(handle, "w") as file:
        json.dump(records, file, indent=2, sort_keys=True)
        file.write("\n")
    os.replace(temporary, models_dir / RECORD_FILE)
