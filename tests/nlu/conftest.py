"""The real Rasa for the tests: trained once (reused while nlu/ is unchanged) and served on a free port for
the session. It needs .venv-rasa; CI creates it (scripts/test runs scripts/setup-rasa.sh)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ivr.nlu.rasa_project import RasaProject, running_rasa

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
    """A real `rasa run --enable-api` with this project's model, stopped at the end of the session."""
    logs = tmp_path_factory.mktemp("rasa")
    with (logs / "train.log").open("w") as train_log:
        try:
            model, _ = rasa_project.train(output=train_log)
        except Exception:
            pytest.fail(f"rasa train failed:\n{(logs / 'train.log').read_text()[-3000:]}", pytrace=False)
    with (logs / "serve.log").open("w") as serve_log:
        try:
            with running_rasa(rasa_project, model, free_port(), serve_log) as url:
                yield url
        except (RuntimeError, TimeoutError) as error:
            pytest.fail(f"{error}:\n{(logs / 'serve.log').read_text()[-3000:]}", pytrace=False)
