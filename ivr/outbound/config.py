"""A tenant's outbound survey settings (`dialogs/<tenant>/outbound.yaml`).

id: medborgarpulsen-uppringning
purpose: outbound
default_sample_rate: 0.1             # the share of contacts surveyed, in queues not listed below
sample_rates: {kontaktcenter: 0.25}  # per queue
delay_minutes: 10                    # after the contact ended
opening_hours: {weekly: {mon-fri: "09:00-18:00"}}   # when survey calls may be made (ivr/queueing/hours.py)
not_surveyed_within_days: 90         # a number surveyed (or asked) in this many days is not called again
do_not_call: ["070-123 45 67"]       # numbers never called, in any usual form
max_attempts: 2                      # calls to one number for one contact (no answer, busy)
retry_after_minutes: 60
expire_after_hours: 48               # a survey not reached by then is dropped: the contact is too long ago
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator

from ivr.dialog.loader import Problem
from ivr.dialog.model import Slug, StrictModel
from ivr.queueing.hours import OpeningHours, OpeningHoursData
from ivr.store.pseudonym import normalize_number

QUEUE_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")  # Asterisk queue names as the dialplan passes them
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class OutboundSurveyConfig(StrictModel):
    id: Slug
    purpose: Literal["outbound"] = "outbound"
    default_sample_rate: Share = Field(0.0, description="Share of contacts surveyed in queues not listed")
    sample_rates: dict[str, Share] = Field(default_factory=dict, description="Share surveyed, per queue")
    delay_minutes: float = Field(10.0, ge=0, description="Minutes after the contact before the survey call")
    opening_hours: OpeningHoursData = Field(
        default_factory=lambda: {"weekly": {"mon-fri": "09:00-18:00"}},
        description="When survey calls may be made: timezone, weekly, holidays, special",
    )
    not_surveyed_within_days: int = Field(90, ge=0, description="No second survey call within this many days")
    do_not_call: list[str] = Field(default_factory=list, description="Numbers never called (any form)")
    max_attempts: int = Field(2, ge=1, le=10, description="Calls per contact (no answer, busy)")
    retry_after_minutes: float = Field(60.0, gt=0)
    expire_after_hours: float = Field(48.0, gt=0, description="Dropped when not reached by then")

    @field_validator("sample_rates")
    @classmethod
    def _queue_names(cls, rates: dict[str, float]) -> dict[str, float]:
        for queue in rates:
            if not QUEUE_NAME.match(queue):
                raise ValueError(f"{queue!r} is no queue name: use letters, digits, '.', '_' or '-'")
        return rates

    @field_validator("do_not_call")
    @classmethod
    def _numbers(cls, numbers: list[str]) -> list[str]:
        for number in numbers:
            if normalize_number(str(number)) is None:
                raise ValueError(f"do_not_call: {number!r} is no phone number")
        return numbers

    def hours(self) -> OpeningHours:
        return OpeningHours.from_config(self.opening_hours)

    def sample_rate(self, queue: str) -> float:
        return self.sample_rates.get(queue, self.default_sample_rate)

    def blocked_numbers(self) -> frozenset[str]:
        """The do-not-call list in one form (+46...)."""
        return frozenset(filter(None, (normalize_number(str(number)) for number in self.do_not_call)))


def read_outbound_configs(dialogs_dir: Path) -> tuple[dict[str, OutboundSurveyConfig], list[Problem]]:
    """Every tenant's `outbound.yaml`, and the problems of those files (file:line:col)."""
    from ivr.apps.documents import operator_registry

    registry = operator_registry(dialogs_dir)
    problems = [problem for problem in registry.load() if problem.path.stem == "outbound"]
    return registry.documents("outbound", OutboundSurveyConfig), problems
