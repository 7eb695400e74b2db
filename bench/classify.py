"""Comment classification benchmark: quality on the held-out comments and speed at Medborgarpulsen's scale.

Per engine (embedded, rasa): sentiment accuracy and macro-F1, area micro-F1 and the share of areas whose own
sentiment is right, on nlu/tests/held_out.yml (never trained on); then throughput and the time to classify
16,885 comments (Medborgarpulsen 2020's count), made from the held-out comments with spoken variations.

    .venv/bin/python bench/classify.py                      # both engines; starts its own Rasa server
    .venv/bin/python bench/classify.py --engine embedded
    .venv/bin/python bench/classify.py --rasa-url http://127.0.0.1:5005   # a running `ivr nlu serve`

Results: bench/results/classify.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import random
import socket
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sklearn.metrics import accuracy_score, f1_score

from ivr.nlu.data import Example, load_examples
from ivr.nlu.embedded import EmbeddedClassifier
from ivr.nlu.engines import Classifier
from ivr.nlu.labels import SENTIMENTS, Classification
from ivr.nlu.rasa_client import RasaClassifier
from ivr.nlu.rasa_project import RasaProject, running_rasa

REPO = Path(__file__).resolve().parent.parent
MEDBORGARPULSEN_2020 = 16_885
FILLERS = ("", "", "eh ", "alltså ", "ja ", "hm ")
ENDINGS = ("", "", " tack", " liksom", " eh", " hej då")


def quality(examples: Sequence[Example], results: Sequence[Classification]) -> dict[str, Any]:
    gold = [e.sentiment for e in examples]
    predicted = [r.sentiment for r in results]
    true_pos = false_pos = false_neg = 0
    area_sentiments_right = area_sentiments = 0
    for example, result in zip(examples, results, strict=True):
        expected, found = set(example.areas), set(result.areas)
        true_pos += len(expected & found)
        false_pos += len(found - expected)
        false_neg += len(expected - found)
        for span in example.spans:
            area_sentiments += 1
            area_sentiments_right += result.by_area.get(span.area) == (span.sentiment or example.sentiment)
    per_class = f1_score(gold, predicted, labels=list(SENTIMENTS), average=None)
    return {
        "comments": len(examples),
        "sentiment_accuracy": round(float(accuracy_score(gold, predicted)), 4),
        "sentiment_macro_f1": round(
            float(f1_score(gold, predicted, labels=list(SENTIMENTS), average="macro")), 4
        ),
        "sentiment_f1": {s: round(float(f), 4) for s, f in zip(SENTIMENTS, per_class, strict=True)},
        "area_micro_f1": round(2 * true_pos / (2 * true_pos + false_pos + false_neg), 4),
        "area_sentiment_accuracy": round(area_sentiments_right / area_sentiments, 4),
    }


def scaled_comments(examples: Sequence[Example], count: int, seed: int = 2020) -> list[str]:
    """`count` comments: the held-out ones over and over, with fillers and endings as callers vary them."""
    rng = random.Random(seed)
    return [rng.choice(FILLERS) + rng.choice(examples).text + rng.choice(ENDINGS) for _ in range(count)]


def speed(classifier: Classifier, comments: Sequence[str], batch: int) -> dict[str, Any]:
    started = time.perf_counter()
    for offset in range(0, len(comments), batch):
        classifier.classify_many(comments[offset : offset + batch])
    elapsed = time.perf_counter() - started
    return {
        "comments": len(comments),
        "seconds": round(elapsed, 2),
        "comments_per_second": round(len(comments) / elapsed, 1),
        "seconds_for_16885": round(elapsed * MEDBORGARPULSEN_2020 / len(comments), 1),
    }


def run_engine(name: str, classifier: Classifier, examples: Sequence[Example], count: int) -> dict[str, Any]:
    print(f"{name}: held-out quality...", file=sys.stderr)
    results = classifier.classify_many([e.text for e in examples])
    report: dict[str, Any] = {"quality": quality(examples, results)}
    print(f"{name}: {report['quality']}", file=sys.stderr)
    print(f"{name}: classifying {count} comments...", file=sys.stderr)
    report["speed"] = speed(classifier, scaled_comments(examples, count), batch=512)
    print(f"{name}: {report['speed']}", file=sys.stderr)
    return report


@contextlib.contextmanager
def rasa_server(url: str | None) -> Iterator[tuple[str, dict[str, Any]]]:
    if url:
        yield url, {"server": "given"}
        return
    project = RasaProject(REPO / "nlu", REPO / ".venv-rasa", REPO / "models" / "nlu")
    started = time.perf_counter()
    model, trained = project.train(output=sys.stderr)
    setup = {
        "model": model.name,
        "trained_now": trained,
        "train_seconds": round(time.perf_counter() - started, 1),
    }
    with tempfile.TemporaryFile("w+") as log:
        started = time.perf_counter()
        with running_rasa(project, model, _free_port(), log) as served:
            setup["start_seconds"] = round(time.perf_counter() - started, 1)
            yield served, setup


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", choices=["embedded", "rasa", "both"], default="both")
    parser.add_argument("--count", type=int, default=MEDBORGARPULSEN_2020, help="comments in the speed run")
    parser.add_argument("--rasa-url", default=None, help="a running Rasa server (else one is started)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "classify.json")
    args = parser.parse_args()

    examples = load_examples([REPO / "nlu" / "tests" / "held_out.yml"])
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "held_out": "nlu/tests/held_out.yml",
        "engines": {},
    }
    if args.engine in ("embedded", "both"):
        started = time.perf_counter()
        embedded = EmbeddedClassifier.from_data(REPO / "nlu" / "data")
        train_seconds = round(time.perf_counter() - started, 2)
        report["engines"]["embedded"] = run_engine("embedded", embedded, examples, args.count)
        report["engines"]["embedded"]["train_seconds"] = train_seconds
    if args.engine in ("rasa", "both"):
        with rasa_server(args.rasa_url) as (url, setup), RasaClassifier(url) as rasa:
            report["engines"]["rasa"] = run_engine("rasa", rasa, examples, args.count) | setup
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
