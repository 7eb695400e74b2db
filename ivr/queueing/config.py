"""The operator's inbound settings per tenant (`dialogs/<tenant>/inbound.yaml`): queues, announcements, texts.

id: kontaktcenter-inkommande
purpose: inbound
queues:
  kontaktcenter:
    callback_offer_above_s: 300          # offer a callback when the estimated wait is longer
    opening_hours: {weekly: {mon-fri: "07:00-19:00"}, holidays: [2026-12-24]}
announcements:
  - id: vatten-rimbo
    text: Just nu är vattnet avstängt i Rimbo. Vi räknar med att det är åtgärdat i kväll.
    valid_from: 2026-11-22T08:00:00+01:00
    valid_to: 2026-11-22T20:00:00+01:00
    queues: [kontaktcenter]              # leave out for every queue
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, Field, field_validator, model_validator

from ivr.dialog.io import Prompt
from ivr.dialog.model import Slug, StrictModel
from ivr.queueing import phrases
from ivr.queueing.hours import OpeningHours, OpeningHoursData


class QueueSettings(StrictModel):
    callback_offer_above_s: float = Field(
        300, ge=0, description="Offer a callback when the estimated wait is longer than this (seconds)."
    )
    opening_hours: OpeningHoursData = Field(
        default_factory=lambda: {"weekly": {"mon-fri": "07:00-19:00"}},
        description="timezone, weekly, holidays, special: see ivr/queueing/hours.py",
    )

    def hours(self) -> OpeningHours:
        return OpeningHours.from_config(self.opening_hours)


class Announcement(StrictModel):
    """Proactive information played before the queue, e.g. a water outage in one district."""

    id: Slug
    text: str = Field(min_length=1)
    valid_from: AwareDatetime | None = None
    valid_to: AwareDatetime | None = None
    queues: list[Slug] = Field(default_factory=list, description="Empty: every queue.")

    @model_validator(mode="after")
    def _ordered(self) -> Announcement:
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ValueError(f"announcement '{self.id}': valid_to must be after valid_from")
        return self

    def active(self, queue: str, at: datetime) -> bool:
        in_time = (self.valid_from is None or self.valid_from <= at) and (
            self.valid_to is None or at < self.valid_to
        )
        return in_time and (not self.queues or queue in self.queues)


class InboundTexts(StrictModel):
    """What the caller hears around the callback offer. The caller's number is read back digit by digit after
    `readback`, and the next opening after `reopens`, from prompts the bot renders itself."""

    callback_offer: str = "Tryck 1 om du vill att vi ringer upp dig. Du behåller din plats i kön."
    readback: str = "Vi ringer upp dig på numret"
    confirm_number: str = (
        "Tryck 1 om numret stämmer. "
        "Vill du bli uppringd på ett annat nummer, slå det och avsluta med fyrkant."
    )
    ask_number: str = "Slå det nummer du vill bli uppringd på och avsluta med fyrkant."
    invalid_number: str = "Det numret kan vi tyvärr inte ringa till."
    confirmed: str = "Tack! Vi ringer dig när det är din tur. Hej då."
    many_ahead: str = "Det är många samtal före dig i kön."
    no_agents: str = "Just nu kan ingen handläggare ta emot samtal."
    closed: str = "Kontaktcenter är stängt just nu."
    reopens: str = "Vi öppnar igen"
    closed_callback_offer: str = "Tryck 1 om du vill att vi ringer upp dig när vi har öppnat."
    callback_greeting: str = (
        "Hej, det här är {kommun} som ringer upp dig, som du bad om. "
        "Du kopplas nu till nästa lediga handläggare."
    )

    @field_validator("*")
    @classmethod
    def _only_known_placeholders(cls, text: str) -> str:
        try:
            text.format(kommun="")
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(
                f"the only placeholder is {{kommun}}; found {error} (write {{{{ for a brace)"
            ) from None
        return text


class InboundConfig(StrictModel):
    id: Slug
    purpose: Literal["inbound"] = "inbound"
    municipality: str = Field(
        "kommunen", description='How the bot names the municipality, e.g. "Norrtälje kommun".'
    )
    queues: dict[Slug, QueueSettings] = Field(min_length=1)
    announcements: list[Announcement] = Field(default_factory=list)
    texts: InboundTexts = Field(default_factory=InboundTexts)

    @model_validator(mode="after")
    def _known_queues(self) -> InboundConfig:
        for announcement in self.announcements:
            unknown = [queue for queue in announcement.queues if queue not in self.queues]
            if unknown:
                raise ValueError(
                    f"announcement '{announcement.id}' names unknown queues: {', '.join(unknown)}"
                )
        return self

    def queue(self, name: str) -> QueueSettings:
        return self.queues[name]

    def active_announcements(self, queue: str, at: datetime) -> list[Announcement]:
        return [announcement for announcement in self.announcements if announcement.active(queue, at)]

    def text(self, name: str) -> Prompt:
        return Prompt(getattr(self.texts, name).format(kommun=self.municipality), name=f"inbound.{name}")

    def prompts(self) -> list[Prompt]:
        """Everything the inbound app can say, so that all of it is rendered before a call needs it."""
        texts = [self.text(name) for name in InboundTexts.model_fields]
        notices = [Prompt(a.text, name=f"announcement.{a.id}") for a in self.announcements]
        return texts + notices + list(phrases.all_prompts())


def queue_names(configs: Mapping[str, InboundConfig]) -> list[str]:
    """Every queue any tenant names, for the dialer."""
    return sorted({queue for config in configs.values() for queue in config.queues})
