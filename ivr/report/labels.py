"""Swedish names of the labels and of the store's values, as an operator reads them; number formats."""

from __future__ import annotations

AREA_NAMES = {
    "handlaggaren": "Handläggaren",
    "vantetid": "Väntetid",
    "digitala_tjanster": "Digitala tjänster",
    "kommunala_tjanster": "Kommunala tjänster",
    "upplevelse": "Upplevelsen",
}
SENTIMENT_NAMES = {"positiv": "Positiva", "skeptisk": "Skeptiska", "negativ": "Negativa"}
SENTIMENT_COLOURS = {"positiv": "#2f855a", "skeptisk": "#d69e2e", "negativ": "#c53030"}
CALLBACK_STATUS_NAMES = {
    "waiting": "väntar",
    "dialling": "ringer",
    "done": "genomförda",
    "failed": "misslyckade",
    "expired": "utgångna",
    "cancelled": "återkallade",
}


def share_text(value: float | None) -> str:
    """A share as a whole Swedish percentage: 0.79 -> "79 %"."""
    return "–" if value is None else f"{round(100 * value)} %"


def number_text(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}".replace(".", ",")


def seconds_text(value: float | None) -> str:
    """A wait in whole seconds, or minutes and seconds from a minute on: 75.4 -> "1 min 15 s"."""
    if value is None:
        return "–"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
