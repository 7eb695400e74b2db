"""The shipped default survey and small hand-made questions for the answer understanding tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from ivr.dialog.loader import load_dialog
from ivr.dialog.model import CommentQuestion, Dialog, KeypadQuestion

SURVEY = Path(__file__).resolve().parents[3] / "dialogs" / "default" / "survey.yaml"

HAND_MADE: list[dict[str, Any]] = [
    {"id": "antal", "type": "number", "prompt": "Hur många gånger har du ringt?", "min": 0, "max": 100},
    {"id": "rekommendera", "type": "number", "prompt": "Noll till tio?", "min": 0, "max": 10},
    {"id": "stort-tal", "type": "number", "prompt": "Vilket år?", "min": 1900, "max": 9999},
    {"id": "betyg", "type": "scale", "prompt": "Betyg från noll till nio.", "min": 0, "max": 9},
    {"id": "bara-siffror", "type": "scale", "prompt": "Ett till fem."},
    {
        "id": "omvand",
        "type": "yesno",
        "prompt": "Tryck 2 för ja och 1 för nej.",
        "yes_key": 2,
        "no_key": 1,
        "words": {"ja": ["gärna"], "nej": ["helst inte"]},
    },
    {
        "id": "kanal",
        "type": "choice",
        "prompt": "Hur kontaktade du oss?",
        "options": [
            {"key": 1, "value": "telefon", "words": ["telefon", "ringde"]},
            {"key": 2, "value": "epost", "words": ["e-post", "mejl", "mail"]},
            {"key": 3, "value": "besok", "words": ["besök", "på plats"]},
        ],
    },
    {
        "id": "egna-ord",
        "type": "scale",
        "prompt": "Hur var det?",
        "words": {2: ["sådär"], 5: ["bäst"], 1: ["inte bra alls"]},
    },
]


@pytest.fixture(scope="session")
def survey() -> Dialog:
    return load_dialog(SURVEY)


@pytest.fixture(scope="session")
def questions(survey: Dialog) -> dict[str, KeypadQuestion]:
    """Every keypad question of the shipped survey and of `HAND_MADE`, by id."""
    adapter: TypeAdapter[KeypadQuestion] = TypeAdapter(KeypadQuestion)
    found = {
        question.id: question for question in survey.questions if not isinstance(question, CommentQuestion)
    }
    found.update({data["id"]: adapter.validate_python(data) for data in HAND_MADE})
    return found
