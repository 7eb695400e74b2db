"""Dialogs in YAML and the engine that runs them over a small call-I/O interface (no sockets, no Asterisk)."""

from ivr.dialog.engine import AnswerInterpreter, DialogEngine, DialogObserver, DialogResult, DialogStatus
from ivr.dialog.loader import DialogError, Problem, check_paths, dialog_json_schema, load_dialog, read_dialog
from ivr.dialog.model import (
    ChoiceQuestion,
    CommentQuestion,
    Dialog,
    KeypadQuestion,
    NumberQuestion,
    Question,
    ScaleQuestion,
    YesNoQuestion,
)
from ivr.dialog.registry import DialogNotFoundError, DialogRegistry, InvalidNameError

__all__ = [
    "AnswerInterpreter",
    "ChoiceQuestion",
    "CommentQuestion",
    "Dialog",
    "DialogEngine",
    "DialogError",
    "DialogNotFoundError",
    "DialogObserver",
    "DialogRegistry",
    "DialogResult",
    "DialogStatus",
    "InvalidNameError",
    "KeypadQuestion",
    "NumberQuestion",
    "Problem",
    "Question",
    "ScaleQuestion",
    "YesNoQuestion",
    "check_paths",
    "dialog_json_schema",
    "load_dialog",
    "read_dialog",
]
