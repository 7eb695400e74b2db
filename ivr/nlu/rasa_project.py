"""The real Rasa: its virtualenv (`scripts/setup-rasa.sh`), training `nlu/` into `models/nlu/` (reused while
the project is unchanged), and the command that serves it (`rasa run --enable-api`)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from ivr.nlu.data import data_fingerprint
from ivr.settings import Settings


class RasaNotInstalled(RuntimeError):
    """.venv-rasa is missing or broken."""


class RasaTrainingFailed(RuntimeError):
    pass


def rasa_environment() -> dict[str, str]:
    """Rasa's process environment: no telemetry (no network here), quieter TensorFlow."""
    env = dict(os.environ)
    env.update(
        {
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONWARNINGS": "ignore",
        }
    )
    return env


@dataclass(frozen=True)
class RasaProject:
    project_dir: Path  # config.yml, domain.yml, data/
    venv: Path
    models_dir: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> RasaProject:
        return cls(
            settings.nlu_dir.absolute(), settings.rasa_venv.absolute(), settings.models_dir.absolute() / "nlu"
        )

    @property
    def config(self) -> Path:
        return self.project_dir / "config.yml"

    @property
    def domain(self) -> Path:
        return self.project_dir / "domain.yml"

    @property
    def data_dir(self) -> Path:
        return self.project_dir / "data"

    @property
    def setup_script(self) -> Path:
        return self.project_dir.parent / "scripts" / "setup-rasa.sh"

    def fingerprint(self) -> str:
        return data_fingerprint([self.config, self.domain, self.data_dir])

    def model_path(self) -> Path:
        """Where the model of the project as it is now lives (its name carries the data hash)."""
        return self.models_dir / f"nlu-{self.fingerprint()[:16]}.tar.gz"

    def rasa(self) -> Path:
        executable = self.venv / "bin" / "rasa"
        if not executable.exists():
            raise RasaNotInstalled(
                f"Rasa is not installed: {executable} is missing. Run scripts/setup-rasa.sh "
                "(or `ivr nlu setup`) "
                "first; it creates the virtualenv with Rasa 3.6.21 (about 1.5 minutes, 2.7 GB)."
            )
        return executable

    def train(self, *, force: bool = False, output: IO[str] | None = None) -> tuple[Path, bool]:
        """Trains unless a model of the unchanged project exists. Returns the model and whether it trained."""
        model = self.model_path()
        if model.exists() and not force:
            return model, False
        rasa = self.rasa()
        self.models_dir.mkdir(parents=True, exist_ok=True)
        command = [
            str(rasa), "train", "nlu",
            "--config", str(self.config),
            "--nlu", str(self.data_dir),
            "--domain", str(self.domain),
            "--out", str(self.models_dir),
            "--fixed-model-name", model.name.removesuffix(".tar.gz"),
        ]  # fmt: skip
        # Rasa keeps its training cache in .rasa/ under the working directory: keep it beside the models.
        result = subprocess.run(
            command,
            cwd=self.models_dir,
            env=rasa_environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
        if result.returncode != 0 or not model.exists():
            raise RasaTrainingFailed(
                f"`rasa train nlu` failed (exit {result.returncode}); its output says why"
            )
        for stale in self.models_dir.glob("nlu-*.tar.gz"):
            if stale != model:
                stale.unlink()  # models of earlier versions of the data: 30 MB each
        return model, True

    def serve_command(self, model: Path, host: str, port: int) -> list[str]:
        return [
            str(self.rasa()), "run", "--enable-api",
            "--model", str(model),
            "--interface", host,
            "--port", str(port),
        ]  # fmt: skip


def wait_until_ready(url: str, timeout_s: float, *, alive: subprocess.Popen[bytes] | None = None) -> None:
    """Waits until Rasa at `url` parses a comment (TensorFlow and the model load first: tens of seconds)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if alive is not None and alive.poll() is not None:
            raise RuntimeError(f"Rasa exited with {alive.returncode} before it was ready")
        try:
            response = httpx.post(f"{url.rstrip('/')}/model/parse", json={"text": "hej"}, timeout=5.0)
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"Rasa at {url} was not ready within {timeout_s:.0f} s")


@contextmanager
def running_rasa(
    project: RasaProject, model: Path, port: int, log: IO[str], *, ready_s: float = 240
) -> Iterator[str]:
    """`rasa run --enable-api` on 127.0.0.1:port until the block ends; yields its URL once it parses."""
    command = project.serve_command(model, "127.0.0.1", port)
    with serving(command, f"http://127.0.0.1:{port}", log, env=rasa_environment(), ready_s=ready_s) as url:
        yield url


@contextmanager
def serving(
    command: list[str], url: str, log: IO[str], *, env: dict[str, str] | None = None, ready_s: float = 240
) -> Iterator[str]:
    """Runs a command that serves Rasa at `url` (`rasa run`, `ivr nlu serve`) until the block ends."""
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_ready(url, ready_s, alive=server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
