"""How long agents talk: handling-time distributions drawn from the PBX's seeded random generator."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Protocol


class HandlingTime(Protocol):
    def draw(self, rng: random.Random) -> float:
        """Seconds of talk for one call."""


@dataclass(frozen=True)
class Fixed:
    seconds: float

    def draw(self, rng: random.Random) -> float:
        return self.seconds


@dataclass(frozen=True)
class Exponential:
    mean_s: float
    minimum_s: float = 1.0

    def draw(self, rng: random.Random) -> float:
        return max(self.minimum_s, rng.expovariate(1.0 / self.mean_s))


@dataclass(frozen=True)
class LogNormal:
    """A long tail, as contact-centre handling times have: `median_s` and the spread `sigma` of the log."""

    median_s: float
    sigma: float = 0.6
    minimum_s: float = 1.0

    def draw(self, rng: random.Random) -> float:
        return max(self.minimum_s, rng.lognormvariate(math.log(self.median_s), self.sigma))

    @property
    def mean_s(self) -> float:
        return self.median_s * math.exp(self.sigma**2 / 2)
