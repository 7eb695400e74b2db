"""Where a model's directory is and whether it is complete, with errors that say how to get the model."""

from __future__ import annotations

from pathlib import Path

from ivr.speech.recognition.base import ModelNotFound
from ivr.speech.recognition.catalogue import Engine, is_catalogued

# Vosk models come in two layouts (vosk-api's model.cc): "V2" with am/, conf/, graph/ and the older flat "V1".
_VOSK_ALTERNATIVES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("acoustic model", ("am/final.mdl", "final.mdl")),
    ("feature configuration", ("conf/mfcc.conf", "conf/fbank.conf", "mfcc.conf", "fbank.conf")),
    ("decoding graph", ("graph/HCLG.fst", "graph/HCLr.fst", "HCLG.fst", "HCLr.fst")),
)
VOSK_EXPECTED = "am/final.mdl, conf/mfcc.conf and graph/ (HCLG.fst, or HCLr.fst with Gr.fst)"

_WHISPER_REQUIRED = ("model.bin", "config.json", "tokenizer.json")
WHISPER_EXPECTED = "model.bin, config.json, tokenizer.json and vocabulary.txt (or vocabulary.json)"


def resolve_model_dir(models_dir: Path, name_or_path: str) -> Path:
    """A bare name is a directory under `models_dir`; anything with a slash (or ~) is a path."""
    candidate = Path(name_or_path).expanduser()
    if candidate.is_absolute() or len(candidate.parts) > 1 or name_or_path.startswith("."):
        return candidate
    return models_dir / name_or_path


def missing_files(path: Path, engine: Engine) -> list[str]:
    """What the directory lacks to be a model of this engine (empty when it is complete)."""
    if not path.is_dir():
        return [VOSK_EXPECTED if engine == "vosk" else WHISPER_EXPECTED]
    if engine == "vosk":
        missing = [
            f"{what} ({' or '.join(choices)})"
            for what, choices in _VOSK_ALTERNATIVES
            if not any((path / choice).is_file() for choice in choices)
        ]
        runtime_graph = (path / "graph/HCLr.fst").is_file() or (path / "HCLr.fst").is_file()
        static_graph = (path / "graph/HCLG.fst").is_file() or (path / "HCLG.fst").is_file()
        if (
            runtime_graph
            and not static_graph
            and not any((path / name).is_file() for name in ("graph/Gr.fst", "Gr.fst"))
        ):
            missing.append("graph/Gr.fst (HCLr.fst needs it)")
        return missing
    missing = [name for name in _WHISPER_REQUIRED if not (path / name).is_file()]
    if not any((path / name).is_file() for name in ("vocabulary.txt", "vocabulary.json")):
        missing.append("vocabulary.txt or vocabulary.json")
    return missing


def require_model(path: Path, engine: Engine, name: str) -> Path:
    """`path` when it holds a complete model, else ModelNotFound naming the path, the files and the fix."""
    missing = missing_files(path, engine)
    if not missing:
        return path
    expected = VOSK_EXPECTED if engine == "vosk" else WHISPER_EXPECTED
    state = "does not exist" if not path.exists() else f"lacks {', '.join(missing)}"
    fetch = (
        f"`ivr models fetch {name}`"
        if is_catalogued(name)
        else "`ivr models fetch NAME` (`ivr models list` shows the names)"
    )
    setting = "IVR_VOSK_MODEL" if engine == "vosk" else "IVR_WHISPER_MODEL"
    raise ModelNotFound(
        f"The {engine} model {name!r} is not usable: {path} {state}. A {engine} model directory holds "
        f"{expected}. Get it with {fetch}, or unpack a model there by hand (models/README.md), or point "
        f"{setting} at another model directory."
    )
