"""What a question expects to hear: its phrases with their meanings, and the recogniser's grammar from them.

The YAML words come first; a built-in phrase that sounds like one of them is left out, so the operator's
meaning wins. The grammar adds the number words a question accepts ("fyra", "fyran", "fjärde" on a scale).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ivr.dialog.model import ChoiceQuestion, KeypadQuestion, NumberQuestion, ScaleQuestion, YesNoQuestion
from ivr.speech.swedish import ONES, TEENS, TENS
from ivr.speech.understanding.matcher import Phrase
from ivr.speech.understanding.numbers import named_forms, spoken_forms
from ivr.speech.understanding.text import words
from ivr.speech.understanding.vocabulary import (
    NO_PHRASES,
    NUMBER_PHRASES,
    SCALE_PHRASES,
    SCALE_RANGE,
    YES_PHRASES,
)

GRAMMAR_NUMBERS_LIMIT = 200
"""A number question with a wider range gets the number words' pieces in its grammar, not every number."""
KEY_PREFIXES = ("nummer", "alternativ")  # "nummer två": a choice option named by its key


def expected_phrases(question: KeypadQuestion) -> list[Phrase]:
    """The question's YAML phrases, then the built-in ones that do not sound like a YAML phrase."""
    own = list(_yaml_phrases(question))
    taken = {phrase.key for phrase in own}
    return own + [phrase for phrase in _built_in_phrases(question) if phrase.key not in taken]


def question_grammar(question: KeypadQuestion) -> tuple[str, ...]:
    """Every phrase a recogniser should expect for the question, lower case, each once (no "[unk]")."""
    phrases = [phrase.text for phrase in expected_phrases(question)]
    return tuple(dict.fromkeys(text for text in [*phrases, *_number_words(question)] if text))


def tidy(text: str) -> str:
    """An operator's phrase as a recogniser writes it: lower case, no punctuation, single spaces."""
    return " ".join(words(text))


def _yaml_phrases(question: KeypadQuestion) -> Iterator[Phrase]:
    if isinstance(question, ScaleQuestion):
        for value, texts in question.words.items():
            yield from (Phrase(tidy(text), question.read_keys(str(value)), "yaml") for text in texts)
    elif isinstance(question, YesNoQuestion):
        yes, no = question.read_keys(question.yes_key), question.read_keys(question.no_key)
        yield from (Phrase(tidy(text), yes, "yaml") for text in ("ja", *question.words.get("ja", [])))
        yield from (Phrase(tidy(text), no, "yaml") for text in ("nej", *question.words.get("nej", [])))
    elif isinstance(question, ChoiceQuestion):
        for option in question.options:
            yield from (Phrase(tidy(text), question.read_keys(option.key), "yaml") for text in option.words)


def _built_in_phrases(question: KeypadQuestion) -> Iterator[Phrase]:
    if isinstance(question, ScaleQuestion) and (question.min, question.max) == SCALE_RANGE:
        for value, texts in SCALE_PHRASES.items():
            yield from (Phrase(text, question.read_keys(str(value)), "built-in") for text in texts)
    elif isinstance(question, YesNoQuestion):
        yield from (Phrase(text, question.read_keys(question.yes_key), "built-in") for text in YES_PHRASES)
        yield from (Phrase(text, question.read_keys(question.no_key), "built-in") for text in NO_PHRASES)
    elif isinstance(question, NumberQuestion):
        for value, texts in NUMBER_PHRASES.items():
            if question.read_keys(str(value)) is not None:
                yield from (Phrase(text, question.read_keys(str(value)), "built-in") for text in texts)


def _number_words(question: KeypadQuestion) -> Iterator[str]:
    if isinstance(question, ScaleQuestion):
        yield from _digit_words(range(question.min, question.max + 1))
    elif isinstance(question, YesNoQuestion):
        for key in (question.yes_key, question.no_key):
            yield from spoken_forms(int(key))  # "ett" for the key of ja; not "första"
    elif isinstance(question, ChoiceQuestion):
        for option in question.options:
            said = spoken_forms(int(option.key))
            yield from _digit_words([int(option.key)])
            yield from (f"{prefix} {form}" for prefix in KEY_PREFIXES for form in said)
    elif question.max - question.min <= GRAMMAR_NUMBERS_LIMIT:
        for value in range(question.min, question.max + 1):
            yield from spoken_forms(value)
    else:
        yield from (*ONES, "en", *TEENS, *(tens for tens in TENS if tens), "hundra", "tusen")


def _digit_words(values: Iterable[int]) -> Iterator[str]:
    for value in values:
        yield from spoken_forms(value)
        yield from named_forms(value)
