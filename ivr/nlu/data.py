"""Reads training and test comments from Rasa's own NLU YAML format (`nlu/data/*.yml`), so the embedded engine
learns from exactly what Rasa trains on.

Supported: `nlu:` items with `intent:` and `examples:` (a block of `- text` lines, or a list of `text:`
items), and entity annotations `[text](entity)`, `[text](entity:value)`, `[text]{"entity": ..., "role": ...}`.
Other items (synonyms, regexes, lookups) are accepted and ignored. Anything malformed raises `NluDataError`
naming the file."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from ivr.nlu.labels import Area, Sentiment, as_area, as_sentiment

_ANNOTATION = re.compile(
    r"\[(?P<text>[^\]]+)\]"
    r"(?:\((?P<entity>[^:)]+)(?::(?P<value>[^)]+))?\)|(?P<json>\{[^}]*\}))"
)


class NluDataError(ValueError):
    """A training or test file that is not valid Rasa NLU YAML for this project."""


@dataclass(frozen=True)
class AreaSpan:
    """A part of a comment that speaks of one area, with that part's own sentiment (the entity's role)."""

    start: int
    end: int
    text: str
    area: Area
    sentiment: Sentiment | None


@dataclass(frozen=True)
class Example:
    text: str
    sentiment: Sentiment
    spans: tuple[AreaSpan, ...]
    source: str

    @property
    def areas(self) -> tuple[Area, ...]:
        return tuple(dict.fromkeys(span.area for span in self.spans))


def load_examples(paths: Iterable[Path]) -> list[Example]:
    """Every example in these files (a directory means its *.yml and *.yaml files), in file order."""
    files = _expand(paths)
    if not files:
        raise NluDataError(f"no NLU files found in {', '.join(str(p) for p in paths)}")
    examples: list[Example] = []
    for path in files:
        examples.extend(load_file(path))
    return examples


def load_file(path: Path) -> list[Example]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise NluDataError(f"{path}: cannot read: {error.strerror}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        raise NluDataError(f"{where}: not valid YAML: {getattr(error, 'problem', error)}") from None
    if not isinstance(document, dict) or not isinstance(document.get("nlu"), list):
        raise NluDataError(f"{path}: expected a Rasa NLU file with a top-level `nlu:` list")
    examples: list[Example] = []
    for index, item in enumerate(document["nlu"], start=1):
        if not isinstance(item, dict):
            raise NluDataError(f"{path}: nlu item {index} is not a mapping")
        if "intent" not in item:
            continue  # synonym, regex, lookup: not used for classification
        examples.extend(_intent_examples(path, index, item))
    return examples


def data_fingerprint(paths: Iterable[Path]) -> str:
    """A hash of the files' names and contents: a model trained on them is reused while it holds."""
    digest = hashlib.sha256()
    for path in _expand(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def parse_annotated(text: str) -> tuple[str, list[tuple[int, int, str, str | None]]]:
    """`[hon var trevlig]{"entity": "handlaggaren", "role": "positiv"} men ...` -> plain text and the
    (start, end, entity, role) of each annotation. Raises ValueError for a malformed annotation."""
    plain: list[str] = []
    spans: list[tuple[int, int, str, str | None]] = []
    position = 0
    length = 0
    for match in _ANNOTATION.finditer(text):
        before = text[position : match.start()]
        plain.append(before)
        length += len(before)
        entity, role = _entity_and_role(match)
        span_text = match.group("text")
        spans.append((length, length + len(span_text), entity, role))
        plain.append(span_text)
        length += len(span_text)
        position = match.end()
    plain.append(text[position:])
    result = "".join(plain)
    if re.search(r"\]\s*[({]|\[[^\]]*\]\(", result):
        raise ValueError(
            'an entity annotation is malformed (expected [text](entity) or [text]{"entity": ...})'
        )
    return result, spans


def _intent_examples(path: Path, index: int, item: dict[str, object]) -> list[Example]:
    intent = str(item["intent"])
    try:
        sentiment = as_sentiment(intent)
    except ValueError as error:
        raise NluDataError(f"{path}: intent {intent!r}: {error}") from None
    raw = item.get("examples")
    if isinstance(raw, str):
        lines = [line.strip() for line in raw.splitlines() if line.strip()]
        texts = []
        for line in lines:
            if not line.startswith("- "):
                raise NluDataError(
                    f"{path}: intent {intent}: example line does not start with '- ': {line!r}"
                )
            texts.append(line[2:].strip())
    elif isinstance(raw, list):
        texts = [_list_item_text(path, intent, entry) for entry in raw]
    else:
        raise NluDataError(f"{path}: intent {intent} (nlu item {index}) has no `examples:`")
    return [_example(path, sentiment, text) for text in texts]


def _list_item_text(path: Path, intent: str, entry: object) -> str:
    if isinstance(entry, dict) and isinstance(entry.get("text"), str):
        return str(entry["text"]).strip()
    raise NluDataError(f"{path}: intent {intent}: an example in the list has no `text:`")


def _example(path: Path, sentiment: Sentiment, annotated: str) -> Example:
    try:
        text, raw_spans = parse_annotated(annotated)
        spans = tuple(
            AreaSpan(start, end, text[start:end], as_area(entity), as_sentiment(role) if role else None)
            for start, end, entity, role in raw_spans
        )
    except ValueError as error:
        raise NluDataError(f"{path}: example {annotated!r}: {error}") from None
    if not text.strip():
        raise NluDataError(f"{path}: an empty example")
    return Example(text=text, sentiment=sentiment, spans=spans, source=path.name)


def _entity_and_role(match: re.Match[str]) -> tuple[str, str | None]:
    if match.group("entity"):
        return match.group("entity").strip(), None
    try:
        annotation = json.loads(match.group("json"))
    except json.JSONDecodeError as error:
        raise ValueError(
            f"entity annotation {match.group('json')!r} is not valid JSON: {error.msg}"
        ) from None
    if not isinstance(annotation, dict) or not isinstance(annotation.get("entity"), str):
        raise ValueError(f'entity annotation {match.group("json")!r} has no "entity"')
    role = annotation.get("role")
    return annotation["entity"], str(role) if role is not None else None


def _expand(paths: Iterable[Path]) -> Sequence[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yml", ".yaml")))
        elif path.exists():
            files.append(path)
        else:
            raise NluDataError(f"{path}: no such file or directory")
    return files
