"""The dialog model: what an operator writes in a dialog YAML file, validated with pydantic.

Every model forbids unknown fields, so a typo is an error rather than a silently ignored setting. Errors are
raised the pydantic way (`ValidationError`) while a single field or question is checked; rules that span
questions (unique ids, `ask_if` targets, the comment being last) raise `DialogRuleError` with every issue.
"""

from __future__ import annotations

import hashlib
import re
from abc import abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ivr.dialog.io import Answer, InputSpec, Prompt
from ivr.speech.swedish import number_words

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
RECOMMENDED_QUESTION_COUNT = range(5, 9)
KEYPAD_DIGITS = "0123456789"
RECORDING_END_KEYS = "0123456789*#"

OnExhausted = Literal["next", "end"]
RepromptKind = Literal[
    "noinput", "nomatch", "rejected"
]  # rejected: the caller said no to "Jag uppfattade ..."
KEYPAD_REPROMPT_KINDS: tuple[RepromptKind, ...] = ("noinput", "nomatch")
ANSWER_PLACEHOLDER = "{svar}"
Severity = Literal["error", "warning"]
Location = tuple[str | int, ...]


@dataclass(frozen=True)
class Issue:
    """Something wrong or doubtful in a dialog, at `loc` (a path into the dialog's data, like pydantic's)."""

    loc: Location
    message: str
    severity: Severity = "error"


class DialogRuleError(Exception):
    """A dialog breaks rules that span several questions; `issues` lists them all.

    Deliberately not a ValueError: pydantic would otherwise fold it into one error without locations.
    """

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(issue.message for issue in issues))
        self.issues = issues


def rule_error(message: str, at: Location) -> PydanticCustomError:
    """A validation error inside one model that points at one of its fields (`at`, relative to the model)."""
    return PydanticCustomError("dialog_rule", "{message}", {"message": message, "at": at})


def _check_slug(value: str) -> str:
    if not re.fullmatch(SLUG_PATTERN, value):
        raise ValueError(f"must be a slug (lowercase a-z, digits, '_' or '-'), got {value!r}")
    return value


def _to_key(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and (len(value) != 1 or value not in KEYPAD_DIGITS):
        raise ValueError(f"keys must be digits 1-9 (or 0), got {value!r}")
    return value


def _to_prompt_data(value: object) -> object:
    if isinstance(value, str):
        return {"text": value}
    if isinstance(value, dict | PromptSpec):
        return value
    raise ValueError(f"a prompt is Swedish text, or a mapping with 'text' and 'audio', got {value!r}")


_KEY_SCHEMA = {
    "anyOf": [{"type": "integer", "minimum": 0, "maximum": 9}, {"type": "string", "pattern": "^[0-9]$"}]
}
_SLUG_SCHEMA = {"type": "string", "pattern": SLUG_PATTERN}
Slug = Annotated[str, AfterValidator(_check_slug), WithJsonSchema(_SLUG_SCHEMA)]
Key = Annotated[str, BeforeValidator(_to_key), WithJsonSchema(_KEY_SCHEMA)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PromptSpec(StrictModel):
    """A prompt as written: Swedish text for TTS, and optionally the operator's own recording."""

    text: str = Field(description="What the caller hears, in Swedish; also the TTS fallback.")
    audio: Path | None = Field(
        default=None, description="The operator's own recording, relative to the YAML file; it wins over TTS."
    )
    _audio_found: bool = PrivateAttr(default=False)

    @field_validator("text")
    @classmethod
    def _tidy_text(cls, text: str) -> str:
        tidy = " ".join(text.split())  # folded YAML blocks leave newlines; TTS wants one line
        if not tidy:
            raise ValueError("a prompt's text must not be empty")
        return tidy

    @field_validator("audio")
    @classmethod
    def _resolve_audio(cls, audio: Path | None, info: ValidationInfo) -> Path | None:
        base_dir = info.context.get("base_dir") if isinstance(info.context, dict) else None
        if audio is not None and base_dir is not None and not audio.is_absolute():
            return Path(base_dir) / audio
        return audio

    @model_validator(mode="after")
    def _look_for_audio(self) -> PromptSpec:
        self._audio_found = self.audio is not None and self.audio.is_file()
        return self

    @property
    def missing_audio(self) -> Path | None:
        """The recording named in the file but not found when loading (TTS is used instead)."""
        return self.audio if self.audio is not None and not self._audio_found else None

    def to_prompt(self, name: str) -> Prompt:
        return Prompt(text=self.text, audio=self.audio if self._audio_found else None, name=name)


PromptField = Annotated[PromptSpec, BeforeValidator(_to_prompt_data, json_schema_input_type=str | PromptSpec)]


def _default_prompt(text: str) -> Any:
    return Field(default_factory=lambda: PromptSpec(text=text))


class Defaults(StrictModel):
    """Settings every keypad question uses unless it sets its own."""

    timeout_s: float = Field(6.0, gt=0, le=60, description="Seconds to wait for input after the prompt.")
    retries: int = Field(2, ge=0, le=5, description="Extra attempts after a noinput or nomatch.")
    noinput: PromptField = _default_prompt("Jag hörde inget svar.")
    nomatch: PromptField = _default_prompt("Det svaret kunde jag inte tolka.")
    on_exhausted: OnExhausted = Field(
        "next", description="After the last attempt: 'next' question, or 'end' the dialog."
    )
    speech: bool = Field(True, description="Callers may also answer by voice (where the bot has speech).")
    confirm_below: float = Field(
        0.6,
        ge=0,
        le=1,
        description="A spoken answer heard with less confidence than this is read back for a yes or no "
        "(0: never).",
    )
    confirm: str = Field(
        "Jag uppfattade {svar}. Stämmer det? Säg ja eller nej, eller tryck 1 för ja och 2 för nej.",
        description="The read-back of an uncertain spoken answer; {svar} is replaced by the answer.",
    )
    rejected: PromptField = _default_prompt("Då frågar jag igen.")

    @field_validator("confirm")
    @classmethod
    def _one_answer_placeholder(cls, text: str) -> str:
        tidy = " ".join(text.split())
        if tidy.count(ANSWER_PLACEHOLDER) != 1 or tidy.replace(ANSWER_PLACEHOLDER, "").count("{"):
            raise ValueError(
                f"the confirm text must contain {ANSWER_PLACEHOLDER} exactly once, and no other {{"
            )
        return tidy


class AskIf(StrictModel):
    """Ask a follow-up only when an earlier answer meets every condition given."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    question: Slug = Field(description="The id of an earlier question.")
    at_most: int | None = None
    at_least: int | None = None
    equals: int | str | None = None
    in_: list[int | str] | None = Field(default=None, alias="in", min_length=1)

    @model_validator(mode="after")
    def _has_a_condition(self) -> AskIf:
        if self.at_most is None and self.at_least is None and self.equals is None and self.in_ is None:
            raise ValueError("ask_if needs a condition: at_most, at_least, equals or in")
        if self.at_most is not None and self.at_least is not None and self.at_least > self.at_most:
            raise rule_error(f"at_least ({self.at_least}) is above at_most ({self.at_most})", ("at_least",))
        return self

    def compared_values(self) -> Iterator[tuple[str, int | str]]:
        """Each value a condition compares with, named by its field (for validation against the target)."""
        for name, value in (("at_most", self.at_most), ("at_least", self.at_least), ("equals", self.equals)):
            if value is not None:
                yield name, value
        for index, value in enumerate(self.in_ or ()):
            yield f"in.{index}", value


@dataclass(frozen=True)
class Reading:
    """What a keypad entry means for a question."""

    value: str
    score: int | None


class QuestionBase(StrictModel):
    id: Slug = Field(description="Unique within the dialog; answers are stored under it.")
    prompt: PromptField
    ask_if: AskIf | None = None


class KeypadQuestionBase(QuestionBase):
    """A question answered with keys (or, through an interpreter, with words)."""

    noinput: PromptField | None = None
    nomatch: PromptField | None = None
    retries: int | None = Field(None, ge=0, le=5)
    timeout_s: float | None = Field(None, gt=0, le=60)
    on_exhausted: OnExhausted | None = None
    speech: bool | None = Field(None, description="Override the dialog's speech setting for this question.")

    def max_digits(self) -> int:
        return 1

    def spoken(self, value: str) -> str | None:
        """How the bot says an answer back to confirm it ("fyra"); None when it is not read back."""
        return None

    def spoken_values(self) -> tuple[str, ...]:
        """Every answer value the bot may read back (to render their prompts beforehand)."""
        return ()

    def phrases(self) -> tuple[str, ...]:
        """Words a speech recogniser may expect for this question."""
        return ()

    @abstractmethod
    def read_keys(self, keys: str) -> Reading | None:
        """The meaning of the keys pressed, or None when they mean nothing here."""

    @abstractmethod
    def comparable(self, value: int | str) -> int | str:
        """An `ask_if` value in the form answers are compared with; ValueError when it cannot match."""

    def compared_part(self, answer: Answer) -> int | str | None:
        """The part of this question's answer an `ask_if` compares: the score by default."""
        return answer.score


def _in_range(question_id: str, kind: str, low: int, high: int, value: int | str) -> int:
    number = int(value) if isinstance(value, str) and value.isdigit() else value
    if not isinstance(number, int) or not low <= number <= high:
        raise ValueError(f"'{question_id}' is a {kind} {low}..{high}; use a number in it, got {value!r}")
    return number


class ScaleQuestion(KeypadQuestionBase):
    """A rating on the keypad, min..max (1..5 by default); the key is the value."""

    type: Literal["scale"]
    min: int = 1
    max: int = 5
    words: dict[int, list[str]] = Field(
        default_factory=dict, description="Words per value for speech, e.g. 5: [mycket nöjd, fem]."
    )

    @field_validator("min", "max")
    @classmethod
    def _single_digit(cls, bound: int) -> int:
        if not 0 <= bound <= 9:
            raise ValueError(f"a scale's keys are digits 0-9, got {bound}; use type: number for wider ranges")
        return bound

    @model_validator(mode="after")
    def _check_range(self) -> ScaleQuestion:
        if self.min >= self.max:
            raise rule_error(f"min ({self.min}) must be less than max ({self.max})", ("min",))
        for value in self.words:
            if not self.min <= value <= self.max:
                message = f"words for {value}, outside the scale {self.min}..{self.max}"
                raise rule_error(message, ("words", value))
        return self

    def phrases(self) -> tuple[str, ...]:
        return tuple(word for value in sorted(self.words) for word in self.words[value])

    def spoken(self, value: str) -> str | None:
        return number_words(int(value)) if value.isdigit() else None

    def spoken_values(self) -> tuple[str, ...]:
        return tuple(str(value) for value in range(self.min, self.max + 1))

    def read_keys(self, keys: str) -> Reading | None:
        if len(keys) == 1 and keys in KEYPAD_DIGITS and self.min <= int(keys) <= self.max:
            return Reading(value=keys, score=int(keys))
        return None

    def comparable(self, value: int | str) -> int | str:
        return _in_range(self.id, "scale", self.min, self.max, value)


class YesNoQuestion(KeypadQuestionBase):
    """Yes or no; the value is "ja" or "nej", the score 1 or 0."""

    type: Literal["yesno"]
    yes_key: Key = "1"
    no_key: Key = "2"
    words: dict[Literal["ja", "nej"], list[str]] = Field(
        default_factory=dict, description="Extra words for speech, e.g. ja: [japp, absolut]."
    )

    @model_validator(mode="after")
    def _distinct_keys(self) -> YesNoQuestion:
        if self.yes_key == self.no_key:
            raise rule_error(f"yes_key and no_key are both '{self.yes_key}'", ("no_key",))
        return self

    def phrases(self) -> tuple[str, ...]:
        return ("ja", *self.words.get("ja", ()), "nej", *self.words.get("nej", ()))

    def spoken(self, value: str) -> str | None:
        return value if value in ("ja", "nej") else None

    def spoken_values(self) -> tuple[str, ...]:
        return ("ja", "nej")

    def read_keys(self, keys: str) -> Reading | None:
        if keys == self.yes_key:
            return Reading(value="ja", score=1)
        if keys == self.no_key:
            return Reading(value="nej", score=0)
        return None

    def comparable(self, value: int | str) -> int | str:
        readings: dict[int | str, int] = {"ja": 1, "nej": 0, 1: 1, 0: 0}
        if value not in readings:
            raise ValueError(f"'{self.id}' is a yes/no question; compare with ja or nej, got {value!r}")
        return readings[value]


class ChoiceOption(StrictModel):
    key: Key
    value: Slug = Field(description="Stored as the answer, e.g. vantetid.")
    words: list[str] = Field(default_factory=list, description="Words for speech, e.g. [väntetiden, kön].")


class ChoiceQuestion(KeypadQuestionBase):
    """Pick one of 2 to 10 options, each on its own key; the value is the option's value."""

    type: Literal["choice"]
    options: list[ChoiceOption] = Field(min_length=2, max_length=10)

    @model_validator(mode="after")
    def _unique_options(self) -> ChoiceQuestion:
        keys: set[str] = set()
        values: set[str] = set()
        for index, option in enumerate(self.options):
            if option.key in keys:
                raise rule_error(f"key '{option.key}' is used by two options", ("options", index, "key"))
            if option.value in values:
                raise rule_error(f"value '{option.value}' is used twice", ("options", index, "value"))
            keys.add(option.key)
            values.add(option.value)
        return self

    def phrases(self) -> tuple[str, ...]:
        return tuple(word for option in self.options for word in option.words)

    def spoken(self, value: str) -> str | None:
        for option in self.options:
            if option.value == value:
                return option.words[0] if option.words else value.replace("_", " ")
        return None

    def spoken_values(self) -> tuple[str, ...]:
        return tuple(option.value for option in self.options)

    def read_keys(self, keys: str) -> Reading | None:
        for option in self.options:
            if keys == option.key:
                return Reading(value=option.value, score=None)
        return None

    def comparable(self, value: int | str) -> int | str:
        values = [option.value for option in self.options]
        if value not in values:
            raise ValueError(f"'{self.id}' has the options {', '.join(values)}; got {value!r}")
        return value

    def compared_part(self, answer: Answer) -> int | str | None:
        return answer.value


class NumberQuestion(KeypadQuestionBase):
    """A whole number on the keypad, min..max (0..10 by default); '#' ends the entry early."""

    type: Literal["number"]
    min: int = Field(0, ge=0)
    max: int = Field(10, ge=0, le=999_999)

    @model_validator(mode="after")
    def _check_range(self) -> NumberQuestion:
        if self.min >= self.max:
            raise rule_error(f"min ({self.min}) must be less than max ({self.max})", ("min",))
        return self

    def max_digits(self) -> int:
        return len(str(self.max))

    def read_keys(self, keys: str) -> Reading | None:
        if keys and all(key in KEYPAD_DIGITS for key in keys) and self.min <= int(keys) <= self.max:
            return Reading(value=str(int(keys)), score=int(keys))
        return None

    def comparable(self, value: int | str) -> int | str:
        return _in_range(self.id, "number", self.min, self.max, value)


class CommentQuestion(QuestionBase):
    """A free spoken comment, recorded; it must be the last question."""

    type: Literal["comment"]
    max_s: float = Field(60.0, gt=0, le=600, description="The longest recording, in seconds.")
    silence_s: float = Field(4.0, gt=0, le=60, description="Silence that ends the recording, in seconds.")
    end_keys: str = Field("#", description="Keys that end the recording.")
    beep: bool = True

    @field_validator("end_keys")
    @classmethod
    def _known_keys(cls, end_keys: str) -> str:
        unknown = [key for key in end_keys if key not in RECORDING_END_KEYS]
        if unknown:
            raise ValueError(f"end_keys may hold 0-9, * and #, got {''.join(unknown)!r}")
        return end_keys


KeypadQuestion = ScaleQuestion | YesNoQuestion | ChoiceQuestion | NumberQuestion
Question = Annotated[KeypadQuestion | CommentQuestion, Field(discriminator="type")]
QUESTION_TYPES = ("scale", "yesno", "choice", "number", "comment")


class Outbound(StrictModel):
    """What a survey call the bot makes after the citizen's contact says first, and the consent it asks."""

    greeting: PromptField = _default_prompt(
        "Hej! Du ringde nyss till kommunens kontaktcenter, och vi vill gärna veta hur det gick."
    )
    consent: PromptField = _default_prompt(
        "Vill du svara på några korta frågor? Det tar ungefär en minut. "
        "Säg ja eller nej, eller tryck 1 för ja och 2 för nej."
    )
    declined: PromptField = _default_prompt("Det går bra. Vi hör inte av oss om det här igen. Ha en fin dag!")


CONSENT_ID = "samtycke"


@dataclass(frozen=True)
class Reprompt:
    """What to say after a noinput or nomatch: one composed prompt, or a lead-in played before the question.

    A lead-in is used only when an operator's recording is involved, because recordings cannot be joined.
    """

    lead_in: Prompt | None
    ask: Prompt


class Dialog(StrictModel):
    """One dialog file: an intro, questions in order, and a goodbye."""

    id: Slug
    purpose: Slug = Field(description="What the dialog is for, e.g. survey; also the file's name.")
    language: str = Field("sv", pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    title: str | None = None
    defaults: Defaults = Field(default_factory=Defaults)
    intro: PromptField | None = None
    questions: list[Question] = Field(min_length=1)
    goodbye: PromptField
    ended_early: PromptField | None = Field(
        default=None, description="Said before the goodbye when a question with on_exhausted: end runs out."
    )
    outbound: Outbound = Field(
        default_factory=Outbound,
        description="When the bot calls the citizen: a greeting instead of the intro, then consent is asked.",
    )
    _version: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check_rules(self) -> Dialog:
        issues = list(_rule_issues(self.questions))
        if issues:
            raise DialogRuleError(issues)
        return self

    @property
    def version(self) -> str:
        """A short hash of the file's content (or of the data when not loaded from a file)."""
        if self._version is None:
            self._version = content_version(self.model_dump_json().encode())
        return self._version

    def with_version(self, version: str) -> Dialog:
        self._version = version
        return self

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(f"no question {question_id!r} in dialog {self.id!r}")

    def should_ask(self, question: Question, answers: Mapping[str, Answer]) -> bool:
        """False when `ask_if` does not hold, or refers to an answer that was skipped or did not match."""
        condition = question.ask_if
        if condition is None:
            return True
        target = self.question(condition.question)
        answer = answers.get(condition.question)
        if answer is None or answer.status != "match" or not isinstance(target, KeypadQuestionBase):
            return False
        compared = target.compared_part(answer)
        return compared is not None and _condition_holds(condition, target, compared)

    def retries(self, question: KeypadQuestionBase) -> int:
        return self.defaults.retries if question.retries is None else question.retries

    def on_exhausted(self, question: KeypadQuestionBase) -> OnExhausted:
        return question.on_exhausted or self.defaults.on_exhausted

    def input_spec(self, question: KeypadQuestionBase) -> InputSpec:
        timeout_s = self.defaults.timeout_s if question.timeout_s is None else question.timeout_s
        return InputSpec(max_digits=question.max_digits(), timeout_s=timeout_s, phrases=question.phrases())

    def accepts_speech(self, question: KeypadQuestionBase) -> bool:
        return self.defaults.speech if question.speech is None else question.speech

    def reads_back(self, question: KeypadQuestionBase, answer: Answer) -> bool:
        """A spoken match heard with less confidence than `confirm_below` is read back, where it can be."""
        return (
            answer.mode == "speech"
            and answer.status == "match"
            and answer.confidence < self.defaults.confirm_below
            and self.confirm_prompt(question, answer.value or "") is not None
        )

    def confirm_prompt(self, question: KeypadQuestionBase, value: str) -> Prompt | None:
        """ "Jag uppfattade fyra. Stämmer det? ..." for a spoken answer; None when it is not read back."""
        spoken = question.spoken(value)
        if spoken is None or self.defaults.confirm_below <= 0:
            return None
        text = self.defaults.confirm.replace(ANSWER_PLACEHOLDER, spoken)
        return Prompt(text=text, name=f"{question.id}.confirm.{value}")

    def consent_question(self) -> YesNoQuestion:
        """The consent an outbound survey asks first (stored as the answer `samtycke`); no means no survey."""
        return YesNoQuestion(id=CONSENT_ID, type="yesno", prompt=self.outbound.consent, on_exhausted="end")

    def outbound_prompts(self) -> tuple[Prompt, Prompt]:
        """The greeting and the goodbye of a citizen who says no."""
        return self.outbound.greeting.to_prompt("outbound.greeting"), self.outbound.declined.to_prompt(
            "outbound.declined"
        )

    def intro_prompt(self) -> Prompt | None:
        return self.intro.to_prompt("intro") if self.intro else None

    def goodbye_prompt(self) -> Prompt:
        return self.goodbye.to_prompt("goodbye")

    def ended_early_prompt(self) -> Prompt | None:
        return self.ended_early.to_prompt("ended_early") if self.ended_early else None

    def question_prompt(self, question: QuestionBase) -> Prompt:
        return question.prompt.to_prompt(f"{question.id}.prompt")

    def reprompt(self, question: KeypadQuestionBase, kind: RepromptKind) -> Reprompt:
        lead = self._reprompt_text(question, kind)
        ask = self.question_prompt(question)
        name = f"{question.id}.{kind}"
        if lead.audio is None and ask.audio is None:
            return Reprompt(lead_in=None, ask=Prompt(text=f"{lead.text} {ask.text}", name=name))
        return Reprompt(lead_in=lead.to_prompt(name), ask=ask)

    def prompts(self) -> list[Prompt]:
        """Every prompt the dialog can say, each with its name (e.g. "helhet.nomatch")."""
        said: list[Prompt | None] = [self.intro_prompt()]
        for question in self.questions:
            said.append(self.question_prompt(question))
            if isinstance(question, KeypadQuestionBase):
                said.extend(self._answer_prompts(question))
        said.extend((self.ended_early_prompt(), self.goodbye_prompt(), *self.outbound_prompts()))
        said.append(self.question_prompt(self.consent_question()))
        said.extend(self._answer_prompts(self.consent_question()))
        unique = {(prompt.name, prompt.text, prompt.audio): prompt for prompt in said if prompt is not None}
        return list(unique.values())

    def warnings(self) -> list[Issue]:
        """Doubtful but workable choices: the number of questions, missing recordings, a silent early end."""
        found: list[Issue] = []
        counted = [question for question in self.questions if not isinstance(question, CommentQuestion)]
        if len(counted) not in RECOMMENDED_QUESTION_COUNT:
            low, high = RECOMMENDED_QUESTION_COUNT[0], RECOMMENDED_QUESTION_COUNT[-1]
            count = f"{len(counted)} question{'' if len(counted) == 1 else 's'}"
            message = f"{count} besides the comment; {low}-{high} are recommended"
            found.append(Issue(("questions",), message, "warning"))
        for loc, spec in self._prompt_specs():
            if spec.missing_audio is not None:
                message = f"audio file not found: {spec.missing_audio}; text-to-speech is used instead"
                found.append(Issue((*loc, "audio"), message, "warning"))
        keypad = [q for q in self.questions if isinstance(q, KeypadQuestionBase)]
        if self.ended_early is None and any(self.on_exhausted(q) == "end" for q in keypad):
            message = "a question may end the dialog early, but there is no ended_early text to say first"
            found.append(Issue(("goodbye",), message, "warning"))
        return found

    def _answer_prompts(self, question: KeypadQuestionBase) -> Iterator[Prompt | None]:
        """The reprompts of a question and, when it takes speech, its read-backs."""
        kinds = KEYPAD_REPROMPT_KINDS
        if self.accepts_speech(question):
            kinds = (*kinds, "rejected")
            yield from (self.confirm_prompt(question, value) for value in question.spoken_values())
        for kind in kinds:
            reprompt = self.reprompt(question, kind)
            yield from (reprompt.lead_in, reprompt.ask)

    def _reprompt_text(self, question: KeypadQuestionBase, kind: RepromptKind) -> PromptSpec:
        if kind == "rejected":
            return self.defaults.rejected
        own = question.noinput if kind == "noinput" else question.nomatch
        return own or (self.defaults.noinput if kind == "noinput" else self.defaults.nomatch)

    def _prompt_specs(self) -> Iterator[tuple[Location, PromptSpec]]:
        for name in ("intro", "goodbye", "ended_early"):
            spec = getattr(self, name)
            if spec is not None:
                yield (name,), spec
        yield ("defaults", "noinput"), self.defaults.noinput
        yield ("defaults", "nomatch"), self.defaults.nomatch
        yield ("defaults", "rejected"), self.defaults.rejected
        for name in ("greeting", "consent", "declined"):
            yield ("outbound", name), getattr(self.outbound, name)
        for index, question in enumerate(self.questions):
            yield ("questions", index, "prompt"), question.prompt
            for name in ("noinput", "nomatch"):
                spec = getattr(question, name, None)
                if spec is not None:
                    yield ("questions", index, name), spec


def content_version(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:12]


def _condition_holds(condition: AskIf, target: KeypadQuestionBase, compared: int | str) -> bool:
    if condition.equals is not None and compared != target.comparable(condition.equals):
        return False
    if condition.in_ is not None and compared not in [target.comparable(value) for value in condition.in_]:
        return False
    if condition.at_most is not None and not (isinstance(compared, int) and compared <= condition.at_most):
        return False
    return condition.at_least is None or (isinstance(compared, int) and compared >= condition.at_least)


def _rule_issues(questions: list[Question]) -> Iterator[Issue]:
    first_index: dict[str, int] = {}
    for index, question in enumerate(questions):
        if question.id in first_index:
            yield Issue(
                ("questions", index, "id"),
                f"duplicate question id '{question.id}' (also question {first_index[question.id] + 1})",
            )
        else:
            first_index[question.id] = index
        if isinstance(question, CommentQuestion) and index != len(questions) - 1:
            yield Issue(("questions", index, "type"), "a comment question must be the last question")
        if question.ask_if is not None:
            yield from _ask_if_issues(questions, index, question.ask_if, first_index)


def _ask_if_issues(
    questions: list[Question], index: int, condition: AskIf, earlier: dict[str, int]
) -> Iterator[Issue]:
    loc: Location = ("questions", index, "ask_if")
    target_index = earlier.get(condition.question)
    if target_index is None or target_index == index:
        later = any(question.id == condition.question for question in questions[index:])
        reason = "a later question or itself" if later else "no such question"
        message = f"ask_if refers to '{condition.question}': {reason}; use an earlier question"
        yield Issue((*loc, "question"), message)
        return
    target = questions[target_index]
    if not isinstance(target, KeypadQuestionBase):
        yield Issue((*loc, "question"), f"ask_if cannot refer to the comment '{target.id}'")
        return
    for field, value in condition.compared_values():
        if field in ("at_most", "at_least") and isinstance(target, ChoiceQuestion):
            message = f"{field} compares scores, but '{target.id}' is a choice: use equals or in"
            yield Issue((*loc, field), message)
            continue
        try:
            target.comparable(value)
        except ValueError as error:
            yield Issue((*loc, *_field_path(field)), str(error))


def _field_path(field: str) -> Location:
    name, _, index = field.partition(".")
    return (name, int(index)) if index else (name,)
