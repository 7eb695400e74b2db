"""The real Rasa for the tests: trained once (reused while nlu/ is unchanged) and served on a free port for
the session. It needs .venv-rasa; CI creates it (scripts/test runs scripts/setup-rasa.sh)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from ivr.nlu.rasa_project import RasaProject, serving

from .support import REPO, free_port


@pytest.fixture(scope="session")
def rasa_project() -> RasaProject:
    project = RasaProject(REPO / "nlu", REPO / ".venv-rasa", REPO / "models" / "nlu")
    if not (project.venv / "bin" / "rasa").exists():
        pytest.fail(
            f"{project.venv} has no Rasa: run scripts/setup-rasa.sh first (scripts/test does it). "
            "The real-Rasa tests are not skipped without it.",
            pytrace=False,
        )
    return project


@pytest.fixture(scope="session")
def rasa_url(rasa_project: RasaProject, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`ivr nlu serve`: a real `rasa run --enable-api` with this project's model, for the whole session."""
    logs = tmp_path_factory.mktemp("rasa")
    with (logs / "train.log").open("w") as train_log:
        try:
            rasa_project.train(output=train_log)  # here, so its output is kept if it fails
        except Exception:
            pytest.fail(f"rasa train failed:\n{(logs / 'train.log').read_text()[-3000:]}", pytrace=False)
    port = free_port()
    env = dict(os.environ, IVR_NLU_DIR=str(rasa_project.project_dir), IVR_RASA_VENV=str(rasa_project.venv))
    env["IVR_MODELS_DIR"] = str(rasa_project.models_dir.parent)
    # The real command: `ivr nlu serve` finds the trained model and becomes `rasa run --enable-api`.
    command = [sys.executable, "-m", "ivr.cli", "nlu", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with (logs / "serve.log").open("w") as serve_log:
        try:
            with serving(command, f"http://127.0.0.1:{port}", serve_log, env=env) as url:
                yield url
        except (RuntimeError, TimeoutError) as error:
            pytest.fail(f"{error}:\n{(logs / 'serve.log').read_text()[-3000:]}", pytrace=False)
