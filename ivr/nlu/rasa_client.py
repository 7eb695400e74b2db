"""The `rasa` engine: a client of a running Rasa server's `POST /model/parse` (`ivr nlu serve`).

The comment is masked before it leaves the process. Connection failures, timeouts and 5xx answers (and 409,
Rasa's "no model loaded yet") are retried with exponential backoff; when they last, `RasaUnavailable` says
where Rasa was expected and how to start it. A 4xx or an answer that is not Rasa's parse result raises
`RasaError` at once."""

from __future__ import annotations

import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import httpx

from ivr.nlu.labels import AREAS, SENTIMENTS, Area, Classification, Sentiment, SentimentScore, as_sentiment
from ivr.nlu.masking import mask_personal_data

_RETRIED_STATUS = {409, 500, 502, 503, 504}


class RasaError(RuntimeError):
    """Rasa answered, but not with a parse result this project can read."""


class RasaUnavailable(RasaError):
    """Rasa did not answer (refused, timed out, server error) even after the retries."""


class RasaClassifier:
    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 10.0,
        attempts: int = 4,
        backoff_s: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.url = url.rstrip("/")
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._client = httpx.Client(
            base_url=self.url,
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 3.0)),
            transport=transport,
        )

    def classify(self, text: str) -> Classification:
        masked = mask_personal_data(text)
        return classification_from_parse(masked, self._parse(masked))

    def classify_many(self, texts: Sequence[str]) -> list[Classification]:
        return [self.classify(text) for text in texts]

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RasaClassifier:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _parse(self, text: str) -> dict[str, Any]:
        problem = ""
        for attempt in range(self._attempts):
            if attempt:
                time.sleep(self._backoff_s * 2 ** (attempt - 1))
            try:
                response = self._client.post("/model/parse", json={"text": text})
            except httpx.TimeoutException:
                problem = f"no answer within {self._client.timeout.read} s"
                continue
            except httpx.TransportError as error:
                problem = f"{type(error).__name__}: {error}"
                continue
            if response.status_code in _RETRIED_STATUS:
                problem = f"HTTP {response.status_code}: {response.text[:200]}"
                continue
            if response.status_code != 200:
                raise RasaError(
                    f"Rasa at {self.url} refused the request: HTTP {response.status_code}: "
                    f"{response.text[:200]}"
                )
            try:
                body = response.json()
            except ValueError:
                raise RasaError(f"Rasa at {self.url} answered with something that is not JSON") from None
            if not isinstance(body, dict):
                raise RasaError(f"Rasa at {self.url} answered with JSON that is not a parse result")
            return body
        raise RasaUnavailable(
            f"Rasa at {self.url} did not answer after {self._attempts} attempts ({problem}). "
            "Start it with `ivr nlu serve`, or point IVR_RASA_URL at a running Rasa server."
        )


def classification_from_parse(text: str, body: dict[str, Any]) -> Classification:
    """Rasa's parse result -> Classification: the intent is the overall sentiment; each entity is an area and
    its role that area's sentiment (the most confident one when an area comes twice)."""
    intent = body.get("intent")
    if not isinstance(intent, dict) or not isinstance(intent.get("name"), str):
        raise RasaError(
            "Rasa's answer has no intent: is the server running this project's model (`ivr nlu train`)?"
        )
    try:
        sentiment = as_sentiment(intent["name"])
    except ValueError as error:
        raise RasaError(f"Rasa's model is not this project's: {error}") from None
    ranking = tuple(
        SentimentScore(as_sentiment(item["name"]), float(item.get("confidence", 0.0)))
        for item in body.get("intent_ranking") or [intent]
        if isinstance(item, dict) and item.get("name") in SENTIMENTS
    )
    by_area: dict[Area, Sentiment] = {}
    confidence_of: dict[Area, float] = {}
    for entity in body.get("entities") or []:
        area = next((a for a in AREAS if a == entity.get("entity")), None)
        if area is None:
            continue
        role = entity.get("role")
        confidence = float(entity.get("confidence_entity") or 0.0)
        if confidence >= confidence_of.get(area, -1.0):
            confidence_of[area] = confidence
            by_area[area] = as_sentiment(role) if role in SENTIMENTS else sentiment
    areas = tuple(area for area in AREAS if area in by_area)
    return Classification(
        text=text,
        sentiment=sentiment,
        confidence=float(intent.get("confidence", 0.0)),
        ranking=ranking,
        areas=areas,
        by_area={area: by_area[area] for area in areas},
    )
