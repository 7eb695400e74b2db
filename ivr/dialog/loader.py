"""Loading dialog YAML files with errors that say file:line:column and what to do.

PyYAML's composer keeps a mark on every node; the data is built from the nodes by hand so that duplicate keys
are caught (PyYAML would keep the last one silently) and every data path keeps its line and column. Pydantic's
error locations are then mapped back to those positions.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ivr.dialog.model import (
    QUESTION_TYPES,
    Dialog,
    DialogRuleError,
    Issue,
    Location,
    Severity,
    StrictModel,
    content_version,
)

DIALOG_SUFFIXES = (".yaml", ".yml")
M = TypeVar("M", bound=BaseModel)
KEY_MARKER = "[key]"  # pydantic's loc element for an error in a mapping's key; also ours for key positions


@dataclass(frozen=True)
class Problem:
    """One error or warning in a dialog file; `line` and `column` are 1-based."""

    path: Path
    line: int
    column: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.path}:{self.line}:{self.column}: {prefix}{self.message}"


class DialogError(Exception):
    """A dialog file could not be loaded; `problems` says where and why (warnings included)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass
class _Document:
    """The plain data of a YAML file, with the position of every value (and of every mapping key)."""

    data: Any
    positions: dict[Location, tuple[int, int]]


def load_dialog(path: Path) -> Dialog:
    """Load and validate one dialog file; raise DialogError on errors (read_dialog also gives warnings)."""
    dialog, problems = read_dialog(path)
    if dialog is None:
        raise DialogError(problems)
    return dialog


def read_dialog(path: Path) -> tuple[Dialog | None, list[Problem]]:
    """Load one dialog file without raising: the dialog (None when it has errors) and every problem found."""
    try:
        content = path.read_bytes()
    except OSError as error:
        return None, [Problem(path, 1, 1, f"cannot read the file: {error.strerror or error}")]
    try:
        document = _parse(path, content)
    except DialogError as error:
        return None, error.problems
    return _validate(path, content, document)


def read_model(path: Path, model: type[M]) -> tuple[M | None, list[Problem]]:
    """Any operator YAML file into a pydantic model, with the same `file:line:col` problems as dialogs."""
    try:
        content = path.read_bytes()
        document = _parse(path, content)
    except OSError as error:
        return None, [Problem(path, 1, 1, f"cannot read the file: {error.strerror or error}")]
    except DialogError as error:
        return None, error.problems
    try:
        return model.model_validate(document.data, context={"base_dir": path.parent}), []
    except ValidationError as error:
        return None, _in_file_order(_pydantic_problem(path, document, details) for details in error.errors())


def read_document(
    path: Path, documents: Mapping[str, type[BaseModel]] | None = None
) -> tuple[BaseModel | None, list[Problem]]:
    """A dialog, or another operator document when `documents` maps its file name ("inbound") to a model."""
    model = (documents or {}).get(path.stem)
    return read_model(path, model) if model else read_dialog(path)


def read_dialogs(
    paths: Iterable[Path], documents: Mapping[str, type[BaseModel]] | None = None
) -> Iterator[tuple[Path, BaseModel | None, list[Problem]]]:
    """Each file named, or found (.yaml/.yml) under a named directory, with its document and problems."""
    for path in paths:
        if not path.is_dir():
            yield (path, *read_document(path, documents))
            continue
        files = sorted(file for file in path.rglob("*") if file.suffix in DIALOG_SUFFIXES and file.is_file())
        if not files:
            yield path, None, [Problem(path, 1, 1, "no dialog files (*.yaml) in this directory", "warning")]
        for file in files:
            yield (file, *read_document(file, documents))


def check_paths(
    paths: Iterable[Path], documents: Mapping[str, type[BaseModel]] | None = None
) -> list[Problem]:
    """Check dialog files, and the .yaml/.yml files under directories; errors and warnings, in file order."""
    return [problem for _, _, problems in read_dialogs(paths, documents) for problem in problems]


def dialog_json_schema() -> dict[str, Any]:
    """A JSON Schema of dialog files, for editors (e.g. the YAML language server)."""
    schema = Dialog.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "IVR dialog",
        "description": "A voice dialog (e.g. a post-call survey): dialogs/<tenant>/<purpose>.yaml",
        **{key: value for key, value in schema.items() if key not in ("title", "description")},
    }


def _parse(path: Path, content: bytes) -> _Document:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        line = content.count(b"\n", 0, error.start) + 1
        column = error.start - (content.rfind(b"\n", 0, error.start) + 1) + 1
        raise DialogError([Problem(path, line, column, "the file is not UTF-8 text")]) from error
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise DialogError(
                [Problem(path, 1, 1, "the file is empty; a dialog needs id, purpose and questions")]
            )
        if not isinstance(root, yaml.MappingNode):
            raise DialogError(
                [_at(path, root.start_mark, "a dialog file must be a mapping of fields (id: ...)")]
            )
        builder = _DocumentBuilder(path, loader)
        data = builder.build(root, ())
    except yaml.MarkedYAMLError as error:
        raise DialogError([_syntax_problem(path, error)]) from error
    except yaml.YAMLError as error:
        raise DialogError([Problem(path, 1, 1, f"YAML error: {error}")]) from error
    finally:
        loader.dispose()
    if builder.problems:
        raise DialogError(builder.problems)
    return _Document(data, builder.positions)


class _DocumentBuilder:
    def __init__(self, path: Path, loader: yaml.SafeLoader) -> None:
        self.path = path
        self.loader = loader
        self.positions: dict[Location, tuple[int, int]] = {}
        self.problems: list[Problem] = []

    def build(self, node: yaml.Node, at: Location) -> Any:
        self.positions[at] = _position(node.start_mark)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, at)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*at, index)) for index, item in enumerate(node.value)]
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, at: Location) -> dict[Any, Any]:
        data: dict[Any, Any] = {}
        first_seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(_at(self.path, key_node.start_mark, "a key must be a plain name"))
                continue
            key = self.loader.construct_object(key_node, deep=True)
            if key in first_seen:
                message = f"duplicate key '{key}' (first on line {first_seen[key]})"
                self.problems.append(_at(self.path, key_node.start_mark, message))
                continue
            first_seen[key] = key_node.start_mark.line + 1
            self.positions[(*at, str(key), KEY_MARKER)] = _position(key_node.start_mark)
            data[key] = self.build(value_node, (*at, str(key)))
        return data


def _validate(path: Path, content: bytes, document: _Document) -> tuple[Dialog | None, list[Problem]]:
    try:
        dialog = Dialog.model_validate(document.data, context={"base_dir": path.parent})
    except ValidationError as error:
        return None, _in_file_order(_pydantic_problem(path, document, details) for details in error.errors())
    except DialogRuleError as error:
        return None, _in_file_order(_issue_problem(path, document, issue) for issue in error.issues)
    problems = [_issue_problem(path, document, issue) for issue in dialog.warnings()]
    if path.stem != dialog.purpose:
        message = (
            f"purpose '{dialog.purpose}' does not match the file name; name the file {dialog.purpose}.yaml"
        )
        problems.insert(0, _issue_problem(path, document, Issue(("purpose",), message)))
        return None, problems
    return dialog.with_version(content_version(content)), problems


def _in_file_order(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda problem: (problem.line, problem.column))


def _pydantic_problem(path: Path, document: _Document, details: ErrorDetails) -> Problem:
    loc: Location = details["loc"]
    context = details.get("ctx") or {}
    message = _pydantic_message(details, _data_loc(document.data, loc))
    if details["type"] == "dialog_rule":
        loc = (*loc, *context["at"])
    elif details["type"] == "extra_forbidden":
        loc = (*loc, KEY_MARKER)
    elif details["type"] == "union_tag_invalid":
        loc = (*loc, "type")
    return _issue_problem(path, document, Issue(loc, message))


def _pydantic_message(details: ErrorDetails, loc: Location) -> str:
    kind, context = details["type"], details.get("ctx") or {}
    field = next((part for part in reversed(loc) if isinstance(part, str) and part != KEY_MARKER), "")
    if kind == "extra_forbidden":
        return f"unknown field '{field}'{_suggestion(field)}"
    if kind == "missing":
        return f"missing field '{field}'"
    if kind == "union_tag_invalid":
        return f"unknown question type '{context['tag']}'; use one of: {', '.join(QUESTION_TYPES)}"
    if kind == "union_tag_not_found":
        return f"a question needs a type: one of {', '.join(QUESTION_TYPES)}"
    message = details["msg"].removeprefix("Value error, ")
    if kind in ("value_error", "dialog_rule", "assertion_error"):
        return message
    if loc[-1:] == (KEY_MARKER,) and len(loc) >= 3:
        return f"{loc[-3]}: key {loc[-2]!r}: {message[:1].lower()}{message[1:]}"
    return f"{field}: {message[:1].lower()}{message[1:]}" if field else message


@cache
def _known_fields() -> list[str]:
    names: set[str] = set()
    models: list[type[StrictModel]] = [StrictModel]
    while models:
        model = models.pop()
        models.extend(model.__subclasses__())
        names.update(field.alias or name for name, field in model.model_fields.items())
    return sorted(names)


def _suggestion(field: str) -> str:
    close = difflib.get_close_matches(field, _known_fields(), n=1, cutoff=0.7)
    return f"; did you mean '{close[0]}'?" if close else ""


def _data_loc(data: Any, loc: Location) -> Location:
    """Pydantic's loc as a path into the data: drops the question-type tags a discriminated union adds."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if part == KEY_MARKER:
            path.append(part)
            break
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
        elif (
            isinstance(node, dict) and part not in node and str(part) not in node and part == node.get("type")
        ):
            continue  # the tag of a discriminated union
        elif isinstance(node, dict):
            key = part if part in node else next((k for k in node if str(k) == str(part)), part)
            node = node.get(key)
            path.append(str(key))
        else:
            path.append(part)
            node = None
    return tuple(path)


def _issue_problem(path: Path, document: _Document, issue: Issue) -> Problem:
    loc = _data_loc(document.data, issue.loc)
    line, column = _nearest_position(document.positions, loc)
    return Problem(path, line, column, _name_question(document.data, loc) + issue.message, issue.severity)


def _nearest_position(positions: dict[Location, tuple[int, int]], loc: Location) -> tuple[int, int]:
    for length in range(len(loc), -1, -1):
        position = positions.get(loc[:length])
        if position is not None:
            return position
    return 1, 1


def _name_question(data: Any, loc: Location) -> str:
    if len(loc) < 2 or loc[0] != "questions" or not isinstance(loc[1], int):
        return ""
    questions = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(questions, list) or not 0 <= loc[1] < len(questions):
        return ""
    question = questions[loc[1]]
    question_id = question.get("id") if isinstance(question, dict) else None
    return f"question '{question_id}': " if isinstance(question_id, str) else f"question {loc[1] + 1}: "


def _syntax_problem(path: Path, error: yaml.MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    line, column = _position(mark) if mark is not None else (1, 1)
    problem = (error.problem or "invalid YAML").removeprefix("but ")
    if "'\\t'" in problem:
        return Problem(path, line, column, f"YAML syntax error: {problem} (indent with spaces, not tabs)")
    context = error.context or ""
    if context.startswith("while") and error.context_mark is not None and error.context_mark.line + 1 != line:
        context += f" that starts on line {error.context_mark.line + 1}"
    return Problem(path, line, column, f"YAML syntax error: {problem}" + (f" ({context})" if context else ""))


def _at(path: Path, mark: yaml.Mark, message: str) -> Problem:
    line, column = _position(mark)
    return Problem(path, line, column, message)


def _position(mark: yaml.Mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1
