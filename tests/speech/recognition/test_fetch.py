"""`ivr models fetch` and `ivr models list` against a local HTTP server serving models the test makes."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.cli import main
from ivr.speech.recognition.catalogue import Artifact, ModelEntry
from ivr.speech.recognition.fetch import ChecksumMismatch, FetchError, combined_digest, fetch_model

SWEDISH = "vosk-model-small-sv-rhasspy-0.15"
VOSK_FILES = {
    "am/final.mdl": b"acoustic model",
    "conf/mfcc.conf": b"--sample-frequency=16000\n",
    "conf/model.conf": b"--beam=10.0\n",
    "graph/HCLr.fst": b"lexicon graph",
    "graph/Gr.fst": b"grammar graph",
    "graph/words.txt": b"<eps> 0\nja 1\nnej 2\n",
}


def model_zip(folder: str, files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(f"{folder}/{name}" if folder else name, data)
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A directory and the base URL of a loopback HTTP server serving it."""
    root = tmp_path / "served"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "models"
    monkeypatch.setenv("IVR_MODELS_DIR", str(directory))
    return directory


def leftovers(models_dir: Path) -> list[str]:
    return sorted(path.name for path in models_dir.iterdir()) if models_dir.exists() else []


def vosk_entry(base_url: str, sha: str | None) -> ModelEntry:
    return ModelEntry(
        name="test-vosk",
        engine="vosk",
        description="a test model",
        licence="MIT",
        size="1 kB",
        source=base_url,
        packaging="zip",
        artifacts=(Artifact(f"{base_url}/test-vosk.zip", "test-vosk.zip", sha),),
        checksum_source="made by the test",
    )


def test_a_published_checksum_that_matches_installs_the_unpacked_model(
    served: tuple[Path, str], models_dir: Path
) -> None:
    root, url = served
    data = model_zip("test-vosk", VOSK_FILES)
    (root / "test-vosk.zip").write_bytes(data)
    seen: list[tuple[str, int | None]] = []

    class Bar:
        def update(self, n_steps: int) -> None:
            seen.append(("update", n_steps))

    class Progress:
        def __init__(self, label: str, total: int | None) -> None:
            seen.append((label, total))

        def __enter__(self) -> Bar:
            return Bar()

        def __exit__(self, *exc: object) -> None:
            return None

    result = fetch_model(vosk_entry(url, sha256(data)), models_dir, progress=Progress)

    assert result.verification == "published"
    assert result.path == models_dir / "test-vosk"
    for name, content in VOSK_FILES.items():
        assert (result.path / name).read_bytes() == content  # the zip's top folder is stripped
    assert leftovers(models_dir) == ["test-vosk"]  # no staging directory, no zip left
    assert seen[0] == ("test-vosk.zip", len(data))
    assert sum(n for label, n in seen[1:] if label == "update" and n) == len(data)
    assert fetch_model(vosk_entry(url, sha256(data)), models_dir).verification == "already present"


def test_a_checksum_mismatch_is_refused_and_leaves_nothing_behind(
    served: tuple[Path, str], models_dir: Path
) -> None:
    root, url = served
    (root / "test-vosk.zip").write_bytes(model_zip("test-vosk", VOSK_FILES))

    with pytest.raises(ChecksumMismatch, match="does not match the published"):
        fetch_model(vosk_entry(url, "0" * 64), models_dir)

    assert leftovers(models_dir) == []


def test_a_download_that_is_not_a_complete_model_is_refused(
    served: tuple[Path, str], models_dir: Path
) -> None:
    root, url = served
    data = model_zip("test-vosk", {"README": b"no model here"})
    (root / "test-vosk.zip").write_bytes(data)

    with pytest.raises(FetchError, match="does not hold a complete vosk model"):
        fetch_model(vosk_entry(url, sha256(data)), models_dir)
    assert leftovers(models_dir) == []


def test_a_missing_file_on_the_server_is_a_clear_error(served: tuple[Path, str], models_dir: Path) -> None:
    _, url = served

    with pytest.raises(
        FetchError, match=r"Could not download http://127\.0\.0\.1:\d+/test-vosk\.zip: HTTP Error 404"
    ):
        fetch_model(vosk_entry(url, None), models_dir)
    assert leftovers(models_dir) == []


def test_a_ctranslate2_model_is_fetched_file_by_file(served: tuple[Path, str], models_dir: Path) -> None:
    root, url = served
    files = {
        "config.json": b"{}",
        "model.bin": b"weights",
        "tokenizer.json": b"{}",
        "vocabulary.txt": b"a\nb\n",
    }
    for name, data in files.items():
        (root / name).write_bytes(data)
    entry = ModelEntry(
        name="test-whisper",
        engine="faster-whisper",
        description="a test model",
        licence="MIT",
        size="1 kB",
        source=url,
        packaging="files",
        artifacts=tuple(Artifact(f"{url}/{name}", name, sha256(data)) for name, data in files.items()),
        checksum_source="made by the test",
    )

    result = fetch_model(entry, models_dir)

    assert {path.name: path.read_bytes() for path in result.path.iterdir()} == files
    assert result.checksums == {name: sha256(data) for name, data in files.items()}


def test_cli_without_a_published_checksum_asks_for_confirmation_then_installs(
    served: tuple[Path, str], models_dir: Path
) -> None:
    root, url = served
    data = model_zip(SWEDISH, VOSK_FILES)
    (root / f"{SWEDISH}.zip").write_bytes(data)
    runner = CliRunner()

    refused = runner.invoke(main, ["models", "fetch", SWEDISH, "--mirror", url])
    assert refused.exit_code == 1
    assert "no published checksum" in refused.output
    assert f"--accept-checksum {sha256(data)}" in refused.output
    assert leftovers(models_dir) == []

    wrong = runner.invoke(main, ["models", "fetch", SWEDISH, "--mirror", url, "--accept-checksum", "ab" * 32])
    assert wrong.exit_code == 1
    assert "is not the one you accepted" in wrong.output
    assert leftovers(models_dir) == []

    accepted = runner.invoke(
        main, ["models", "fetch", SWEDISH, "--mirror", url, "--accept-checksum", sha256(data)]
    )
    assert accepted.exit_code == 0, accepted.output
    assert f"Installed in {models_dir / SWEDISH}" in accepted.output
    assert (models_dir / SWEDISH / "am/final.mdl").read_bytes() == b"acoustic model"
    recorded = json.loads((models_dir / ".checksums.json").read_text())
    assert recorded == {SWEDISH: {f"{SWEDISH}.zip": sha256(data)}}

    listing = runner.invoke(main, ["models", "list"])
    assert listing.exit_code == 0
    lines = {
        line.split()[1]: line
        for line in listing.output.splitlines()
        if line.startswith(("present", "absent"))
    }
    assert lines[SWEDISH].startswith("present")
    assert "configured (IVR_VOSK_MODEL)" in lines[SWEDISH]
    assert lines["faster-whisper-small"].startswith("absent")
    assert "partly verified" in lines["faster-whisper-small"]


def test_cli_trust_first_download_records_the_checksum_for_later_fetches(
    served: tuple[Path, str], models_dir: Path
) -> None:
    root, url = served
    first = model_zip(SWEDISH, VOSK_FILES)
    (root / f"{SWEDISH}.zip").write_bytes(first)
    runner = CliRunner()

    trusted = runner.invoke(main, ["models", "fetch", SWEDISH, "--mirror", url, "--trust-first-download"])
    assert trusted.exit_code == 0, trusted.output
    assert "NOT checked" in trusted.output

    (root / f"{SWEDISH}.zip").write_bytes(model_zip(SWEDISH, {**VOSK_FILES, "am/final.mdl": b"tampered"}))
    again = runner.invoke(main, ["models", "fetch", SWEDISH, "--mirror", url, "--force"])
    assert again.exit_code == 1
    assert "does not match the recorded" in again.output
    assert (models_dir / SWEDISH / "am/final.mdl").read_bytes() == b"acoustic model"  # the old copy stays
    assert leftovers(models_dir) == [".checksums.json", SWEDISH]


def test_a_zip_with_a_path_outside_the_model_is_refused(served: tuple[Path, str], models_dir: Path) -> None:
    root, url = served
    data = model_zip("", {"../escape.txt": b"x", **{f"m/{k}": v for k, v in VOSK_FILES.items()}})
    (root / "test-vosk.zip").write_bytes(data)

    with pytest.raises(FetchError, match="unsafe path"):
        fetch_model(vosk_entry(url, sha256(data)), models_dir)
    assert leftovers(models_dir) == []
    assert not (models_dir.parent / "escape.txt").exists()


def test_cli_unknown_name_lists_the_known_ones(models_dir: Path) -> None:
    result = CliRunner().invoke(main, ["models", "fetch", "no-such-model"])

    assert result.exit_code == 1
    assert "no model named 'no-such-model'" in result.output
    assert SWEDISH in result.output


def test_the_combined_digest_of_one_file_is_its_own() -> None:
    assert combined_digest({"a.zip": "f" * 64}) == "f" * 64
    assert combined_digest({"b": "1" * 64, "a": "2" * 64}) == sha256(
        f"{'2' * 64}  a\n{'1' * 64}  b\n".encode()
    )
