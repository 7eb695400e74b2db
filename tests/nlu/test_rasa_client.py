"""The Rasa HTTP client's error handling, against a small local HTTP server that plays Rasa badly."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from ivr.nlu.rasa_client import RasaClassifier, RasaError, RasaUnavailable, classification_from_parse

from .support import free_port

PARSE = {
    "text": "x",
    "intent": {"name": "negativ", "confidence": 0.9},
    "intent_ranking": [
        {"name": "negativ", "confidence": 0.9},
        {"name": "positiv", "confidence": 0.07},
        {"name": "skeptisk", "confidence": 0.03},
    ],
    "entities": [
        {"entity": "handlaggaren", "role": "positiv", "confidence_entity": 0.95, "value": "hon var trevlig"},
        {"entity": "vantetid", "role": "negativ", "confidence_entity": 0.9, "value": "fick vänta"},
    ],
}


class FakeRasa(BaseHTTPRequestHandler):
    """Answers each POST with the next planned step: a status code, "slow", or "ok"."""

    plan: ClassVar[list[str]] = []
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeRasa.received.append(body)
        step = FakeRasa.plan.pop(0) if FakeRasa.plan else "ok"
        if step == "slow":
            time.sleep(1.0)
            step = "ok"
        if step == "ok":
            self._send(200, json.dumps(PARSE | {"text": body["text"]}).encode())
        elif step == "garbage":
            self._send(200, b"<html>not rasa</html>")
        else:
            self._send(int(step), b'{"status": "failure"}')

    def _send(self, status: int, payload: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the timeout test)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def fake_rasa() -> Iterator[str]:
    FakeRasa.plan = []
    FakeRasa.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeRasa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_parse_result_becomes_a_classification(fake_rasa: str) -> None:
    with RasaClassifier(fake_rasa) as rasa:
        result = rasa.classify("hon var trevlig men jag fick vänta")
    assert result.sentiment == "negativ"
    assert result.confidence == pytest.approx(0.9)
    assert result.areas == ("handlaggaren", "vantetid")
    assert result.by_area == {"handlaggaren": "positiv", "vantetid": "negativ"}
    assert [s.name for s in result.ranking] == ["negativ", "positiv", "skeptisk"]


def test_personal_data_is_masked_before_it_is_sent(fake_rasa: str) -> None:
    with RasaClassifier(fake_rasa) as rasa:
        result = rasa.classify("ring mig på 070-123 45 67 eller anna@example.se")
    assert FakeRasa.received == [{"text": "ring mig på [TELEFONNUMMER] eller [E-POST]"}]
    assert result.text == "ring mig på [TELEFONNUMMER] eller [E-POST]"


def test_server_errors_are_retried_with_backoff(fake_rasa: str) -> None:
    FakeRasa.plan = ["500", "503"]
    started = time.monotonic()
    with RasaClassifier(fake_rasa, attempts=3, backoff_s=0.1) as rasa:
        assert rasa.classify("bra").sentiment == "negativ"
    assert len(FakeRasa.received) == 3
    assert time.monotonic() - started >= 0.1 + 0.2  # 0.1 s, then twice that


def test_lasting_server_errors_make_rasa_unavailable(fake_rasa: str) -> None:
    FakeRasa.plan = ["500"] * 5
    with (
        RasaClassifier(fake_rasa, attempts=3, backoff_s=0.01) as rasa,
        pytest.raises(RasaUnavailable) as caught,
    ):
        rasa.classify("bra")
    assert len(FakeRasa.received) == 3
    assert "after 3 attempts" in str(caught.value)
    assert "HTTP 500" in str(caught.value)
    assert "ivr nlu serve" in str(caught.value)


def test_a_timeout_is_retried_then_unavailable(fake_rasa: str) -> None:
    FakeRasa.plan = ["slow", "slow"]
    with (
        RasaClassifier(fake_rasa, timeout_s=0.2, attempts=2, backoff_s=0.01) as rasa,
        pytest.raises(RasaUnavailable, match=r"no answer within 0\.2 s"),
    ):
        rasa.classify("bra")
    assert len(FakeRasa.received) == 2


def test_a_refused_connection_makes_rasa_unavailable_after_the_retries() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    started = time.monotonic()
    with RasaClassifier(url, attempts=3, backoff_s=0.05) as rasa, pytest.raises(RasaUnavailable) as caught:
        rasa.classify("bra")
    assert url in str(caught.value)
    assert "ConnectError" in str(caught.value)
    assert time.monotonic() - started >= 0.05 + 0.1


def test_a_client_error_is_not_retried(fake_rasa: str) -> None:
    FakeRasa.plan = ["400"]
    with RasaClassifier(fake_rasa, attempts=3, backoff_s=0.01) as rasa, pytest.raises(RasaError) as caught:
        rasa.classify("bra")
    assert not isinstance(caught.value, RasaUnavailable)
    assert "HTTP 400" in str(caught.value)
    assert len(FakeRasa.received) == 1


def test_an_answer_that_is_not_rasa_is_a_clear_error(fake_rasa: str) -> None:
    FakeRasa.plan = ["garbage"]
    with RasaClassifier(fake_rasa) as rasa, pytest.raises(RasaError, match="not JSON"):
        rasa.classify("bra")


def test_a_model_of_another_project_is_recognised() -> None:
    with pytest.raises(RasaError, match="not this project's"):
        classification_from_parse("hej", {"intent": {"name": "greet", "confidence": 1.0}, "entities": []})
    with pytest.raises(RasaError, match="no intent"):
        classification_from_parse("hej", {"entities": []})


def test_an_area_named_twice_keeps_its_most_confident_role() -> None:
    body = {
        "intent": {"name": "skeptisk", "confidence": 0.6},
        "entities": [
            {"entity": "vantetid", "role": "positiv", "confidence_entity": 0.5},
            {"entity": "vantetid", "role": "skeptisk", "confidence_entity": 0.8},
            {"entity": "trafik", "role": "negativ", "confidence_entity": 0.9},
            {"entity": "upplevelse", "confidence_entity": 0.7},
        ],
    }
    result = classification_from_parse("x", body)
    assert result.by_area == {"vantetid": "skeptisk", "upplevelse": "skeptisk"}
    assert result.ranking[0].name == "skeptisk"
