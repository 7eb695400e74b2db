"""A plain-text survey summary in Swedish: completion, and per question the answers, mean and index 0–100."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ivr.store.records import ResponseRecord
from ivr.store.stats import DialogStats, QuestionStats

SENTIMENTS = ("positiv", "skeptisk", "negativ")
STATUS_WORDS = {"completed": "fullföljda", "partial": "avbrutna (lade på)", "ended": "avslutade i förtid"}
COLUMNS = ("Fråga", "Svar", "Inget svar", "Ogiltigt", "Lade på", "Medel", "Index", "Fördelning")


def decimal(value: float | None, digits: int = 1) -> str:
    """Swedish number format: a decimal comma."""
    return "–" if value is None else f"{value:.{digits}f}".replace(".", ",")


def percent(part: int, whole: int) -> str:
    return "–" if whole == 0 else f"{round(100 * part / whole)} %"


def dialog_summary(stats: DialogStats, records: Sequence[ResponseRecord]) -> str:
    lines = [f'Enkät "{stats.dialog_id}": {stats.responses} svarande']
    statuses = " · ".join(
        f"{STATUS_WORDS.get(status, status)} {count}" for status, count in sorted(stats.by_status.items())
    )
    lines.append(
        f"  Fullföljda: {stats.completed} av {stats.responses} ({percent(stats.completed, stats.responses)})"
    )
    lines.append(f"  Utfall: {statuses}")
    rows = [COLUMNS, *(_question_row(q) for q in stats.questions if q.question_type != "comment")]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    for row in rows:
        cells = [
            row[0].ljust(widths[0]),
            *(cell.rjust(widths[i]) for i, cell in enumerate(row[1:-1], 1)),
            row[-1],
        ]
        lines.append("  " + "  ".join(cells).rstrip())
    lines.append("  " + _spoken_line(records))
    lines.append("  " + _comments_line(records))
    return "\n".join(lines)


def tenants_line(records: Sequence[ResponseRecord]) -> str:
    counts = Counter(record.response.tenant for record in records)
    return "Kommuner: " + ", ".join(f"{tenant} {count}" for tenant, count in sorted(counts.items()))


def _question_row(question: QuestionStats) -> tuple[str, ...]:
    status = question.by_status
    return (
        question.question_id,
        str(question.answered),
        str(status.get("noinput", 0)),
        str(status.get("nomatch", 0)),
        str(status.get("hangup", 0)),
        decimal(question.mean_score) if question.question_type in ("scale", "number") else "–",
        "–" if question.index is None else str(round(question.index)),
        _distribution(question),
    )


def _distribution(question: QuestionStats) -> str:
    total = sum(question.distribution.values())
    if question.question_type in ("yesno", "choice"):
        return " · ".join(
            f"{value} {percent(count, total)}" for value, count in question.distribution.items()
        )
    return " ".join(f"{value}:{count}" for value, count in question.distribution.items())


def _spoken_line(records: Sequence[ResponseRecord]) -> str:
    """How many answers came by voice, and how many of those were understood."""
    given = [answer for record in records for answer in record.answers if answer.status != "hangup"]
    spoken = [answer for answer in given if answer.mode == "speech"]
    understood = sum(answer.status == "match" for answer in spoken)
    return (
        f"Svar med rösten: {len(spoken)} av {len(given)} ({percent(len(spoken), len(given))}), "
        f"varav {understood} tolkade ({percent(understood, len(spoken))})"
    )


def _comments_line(records: Sequence[ResponseRecord]) -> str:
    comments = [comment for record in records for comment in record.comments]
    if not comments:
        return "Kommentarer: inga inspelade"
    seconds = sum(comment.duration_s for comment in comments) / len(comments)
    waiting = sum(1 for comment in comments if comment.processing_status == "pending")
    line = (
        f"Kommentarer: {len(comments)} inspelade, i snitt {decimal(seconds)} s långa; "
        f"{waiting} väntar på transkribering och klassning"
    )
    classified = Counter(comment.sentiment for comment in comments if comment.sentiment is not None)
    if not classified:
        return line
    total = sum(classified.values())
    shares = " · ".join(f"{name} {percent(classified[name], total)}" for name in SENTIMENTS)
    engines = {comment.transcript_engine for comment in comments if comment.sentiment is not None}
    heard = (
        "de simulerade uppringarnas kända ord, ingen taligenkänning"
        if engines == {"simulator"}
        else "transkriberade med " + ", ".join(sorted(str(engine) for engine in engines))
    )
    return f"{line}\n  Klassade kommentarer ({total}): {shares} ({heard})"
