"""The report's figures, computed from survey responses, inbound calls and callback records (pure functions).

Rules a reader of the report should know (also stated in the report's own text):
- The satisfaction index (nöjdhetsindex) of a group is the mean over its scale answers of each score placed on
  0–100 (5 -> 100, 4 -> 75, 3 -> 50, 2 -> 25, 1 -> 0). Only matched scale answers scored 1–5 count.
- First-contact resolution is the yes/no question whose id is in `FCR_QUESTION_IDS` ("losning" in the shipped
  dialogs): the share of "ja" among matched answers.
- An operator's correction of a comment's labels (the operator page) replaces them (the newest one counts).
- A comment counts for an area when the area is among its labels; its sentiment there is the area's own
  sentiment (`by_area`) or, without one, the comment's overall sentiment.
- Alerts compare the last `RECENT_WEEKS` weeks before the period's end with the `HISTORY_WEEKS` weeks before
  those, within one municipality: an agent whose index falls by `INDEX_DROP` points or more, and an area whose
  share of negative comments rises by `NEGATIVE_RISE` percentage points or more; each window needs at least
  `MIN_COUNT` responses (agent) or comments (area), so one unhappy caller raises no alert.
- Queue calls are the calls through `/inbound` that arrived in the period. Abandoned: the share among the
  calls whose queue outcome is known (answered or abandoned). Announced against actual wait: only answered
  calls that were told a wait; "within" means the actual wait differed by at most `WAIT_TOLERANCE_S` seconds.
  Completed callbacks are the period's callback requests of that queue with status done.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from ivr.nlu.labels import AREAS, SENTIMENTS
from ivr.nlu.masking import mask_personal_data
from ivr.store.records import ResponseRecord
from ivr.store.stats import DialogStats, compute_dialog_stats, scale_index
from ivr.store.tables import CallbackRecord, Comment, InboundCall

LOCAL_TIME = ZoneInfo("Europe/Stockholm")  # days and weeks are the municipality's, not UTC's
FCR_QUESTION_IDS = ("losning",)
AGENT_AREA = "handlaggaren"
EXAMPLES_PER_AREA = 3
RECENT_WEEKS = 4
HISTORY_WEEKS = 12
INDEX_DROP = 10.0
NEGATIVE_RISE = 0.15
MIN_COUNT = 5
NO_AGENT = "(ingen handläggare)"
NO_QUEUE = "(ingen kö)"
WAIT_TOLERANCE_S = 60.0
EPSILON = 1e-9  # thresholds are inclusive; floating point must not move them

K = TypeVar("K")


@dataclass(frozen=True)
class Period:
    """`since` inclusive, `until` exclusive (UTC-aware); None means open."""

    since: datetime | None = None
    until: datetime | None = None

    def contains(self, moment: datetime) -> bool:
        return (self.since is None or moment >= self.since) and (self.until is None or moment < self.until)


@dataclass(frozen=True)
class SentimentShares:
    counts: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, sentiment: str) -> float | None:
        return self.counts.get(sentiment, 0) / self.total if self.total else None


@dataclass(frozen=True)
class GroupFigures:
    """Responses of one municipality, queue or agent."""

    tenant: str | None
    name: str
    responses: int
    completed: int
    completion_rate: float | None
    index: float | None
    scale_answers: int
    fcr_yes: int
    fcr_answered: int
    comments: SentimentShares  # classified comments by sentiment

    @property
    def positive_share(self) -> float | None:
        return self.comments.share("positiv")

    @property
    def classified_comments(self) -> int:
        return self.comments.total

    @property
    def fcr_rate(self) -> float | None:
        return self.fcr_yes / self.fcr_answered if self.fcr_answered else None


@dataclass(frozen=True)
class AreaFigures:
    area: str
    shares: SentimentShares
    examples: tuple[str, ...]  # masked transcripts


@dataclass(frozen=True)
class CallbackFigures:
    tenant: str
    requested: int  # accepted offers: every request is a caller who said yes
    completed: int  # status done
    by_status: Mapping[str, int]


@dataclass(frozen=True)
class QueueCallFigures:
    """The calls of one queue of one municipality through `/inbound`, and its callbacks."""

    tenant: str
    queue: str
    calls: int
    callbacks_offered: int
    callbacks_accepted: int  # pressed 1 on the offer
    callbacks_booked: int  # result "callback": a request was made
    callbacks_completed: int  # the period's callback requests of the queue with status done
    answered: int
    abandoned: int
    compared: int  # answered calls that were told a wait
    mean_announced_s: float | None
    mean_actual_s: float | None
    mean_abs_error_s: float | None
    within_tolerance: int  # of `compared`, |actual - announced| <= WAIT_TOLERANCE_S

    @property
    def abandoned_share(self) -> float | None:
        known = self.answered + self.abandoned
        return self.abandoned / known if known else None

    @property
    def within_share(self) -> float | None:
        return self.within_tolerance / self.compared if self.compared else None


@dataclass(frozen=True)
class WeekFigures:
    week: str  # ISO week, e.g. "2026-W10"
    responses: int
    index: float | None
    positive_share: float | None


@dataclass(frozen=True)
class Alert:
    tenant: str
    kind: str  # "agent" | "area"
    subject: str  # the agent's (pseudonymised) name or the area
    metric: str  # "index" | "negative_share"
    recent: float
    history: float
    recent_count: int
    history_count: int


@dataclass(frozen=True)
class CommentRow:
    """One comment for the operator page and the report's examples."""

    comment: Comment
    tenant: str
    agent: str


@dataclass(frozen=True)
class ReportFigures:
    period: Period
    tenant: str | None
    tenants: tuple[GroupFigures, ...]  # ranked: best index first
    queues: tuple[GroupFigures, ...]
    agents: Mapping[str, tuple[GroupFigures, ...]]  # per tenant, ranked
    dialogs: tuple[DialogStats, ...]
    comments: SentimentShares
    comments_recorded: int
    comments_about_agent: int
    areas: tuple[AreaFigures, ...]
    callbacks: tuple[CallbackFigures, ...]
    weeks: tuple[WeekFigures, ...]
    tenant_weeks: Mapping[str, tuple[WeekFigures, ...]]  # the same per municipality
    alerts: tuple[Alert, ...]
    agents_pseudonymised: bool
    queue_calls: tuple[QueueCallFigures, ...] = ()  # per municipality and queue, from `inbound_calls`
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def responses(self) -> int:
        return sum(group.responses for group in self.tenants)


def agent_pseudonym(agent: str, key: str) -> str:
    """A stable pseudonym (the same agent gets the same one in every report made with the same key)."""
    digest = hmac.new(key.encode(), agent.encode(), hashlib.sha256).hexdigest()
    return f"Handläggare {digest[:4].upper()}"


def scale_indexes(record: ResponseRecord) -> list[float]:
    """Each matched 1–5 scale answer of the response on 0–100."""
    return [
        scale_index(answer.score)
        for answer in record.answers
        if answer.question_type == "scale" and answer.status == "match" and answer.score is not None
        if 1 <= answer.score <= 5
    ]


def fcr_answer(record: ResponseRecord) -> bool | None:
    for answer in record.answers:
        is_fcr = answer.question_id in FCR_QUESTION_IDS and answer.question_type == "yesno"
        if is_fcr and answer.status == "match" and answer.value in ("ja", "nej"):
            return answer.value == "ja"
    return None


def comment_area_sentiments(comment: Comment) -> dict[str, str]:
    """Each area the comment is about, with its sentiment there."""
    if comment.sentiment is None:
        return {}
    own = comment.by_area or {}
    return {area: str(own.get(area) or comment.sentiment) for area in (comment.areas or []) if area in AREAS}


def compute_figures(
    records: Sequence[ResponseRecord],
    callbacks: Sequence[CallbackRecord],
    period: Period,
    *,
    tenant: str | None = None,
    pseudonym_key: str | None = None,
    history: Sequence[ResponseRecord] | None = None,
    inbound: Sequence[InboundCall] = (),
) -> ReportFigures:
    """`records` are the period's responses; `history` the responses the alerts look at (the
    RECENT_WEEKS + HISTORY_WEEKS weeks before the period's end); `pseudonym_key` None shows agents' ids;
    `inbound` the period's calls through `/inbound` (`callbacks` the period's callback requests)."""
    name_agent = _agent_namer(pseudonym_key)
    by_tenant = _group(records, lambda r: r.response.tenant)
    tenants = _ranked(_figures(key, key, rows) for key, rows in by_tenant.items())
    queues = tuple(
        _figures(t, queue, rows)
        for (t, queue), rows in sorted(
            _group(records, lambda r: (r.response.tenant, r.response.queue or NO_QUEUE)).items()
        )
    )
    agents = {
        t: _ranked(
            _figures(t, name_agent(agent), rows)
            for agent, rows in _group(by_tenant[t], lambda r: r.response.agent or NO_AGENT).items()
        )
        for t in sorted(by_tenant)
    }
    comments = [c for record in records for c in record.comments]
    classified = [c for c in comments if c.sentiment is not None]
    dialogs = tuple(
        compute_dialog_stats(tenant, dialog_id, rows)
        for dialog_id, rows in sorted(_group(records, lambda r: r.response.dialog_id).items())
    )
    return ReportFigures(
        period=period,
        tenant=tenant,
        tenants=tenants,
        queues=queues,
        agents=agents,
        dialogs=dialogs,
        comments=SentimentShares(_sentiment_counts(c.sentiment for c in classified)),
        comments_recorded=len(comments),
        comments_about_agent=sum(AGENT_AREA in comment_area_sentiments(c) for c in classified),
        areas=_area_figures(classified),
        callbacks=_callback_figures(callbacks),
        weeks=_weeks(records),
        tenant_weeks={t: _weeks(rows) for t, rows in sorted(by_tenant.items())},
        alerts=_alerts(history if history is not None else records, period, name_agent),
        agents_pseudonymised=pseudonym_key is not None,
        queue_calls=queue_call_figures(inbound, callbacks),
    )


def local_week(moment: datetime) -> str:
    year, week, _ = moment.astimezone(LOCAL_TIME).isocalendar()
    return f"{year}-W{week:02d}"


def _agent_namer(key: str | None) -> Callable[[str], str]:
    if key is None:
        return lambda agent: agent
    return lambda agent: agent if agent == NO_AGENT else agent_pseudonym(agent, key)


def _group(
    records: Iterable[ResponseRecord], key: Callable[[ResponseRecord], K]
) -> dict[K, list[ResponseRecord]]:
    grouped: dict[K, list[ResponseRecord]] = defaultdict(list)
    for record in records:
        grouped[key(record)].append(record)
    return dict(grouped)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _figures(tenant: str | None, name: str, records: Sequence[ResponseRecord]) -> GroupFigures:
    indexes = [value for record in records for value in scale_indexes(record)]
    fcr = [answer for answer in map(fcr_answer, records) if answer is not None]
    classified = [c for record in records for c in record.comments if c.sentiment is not None]
    completed = sum(record.response.status == "completed" for record in records)
    return GroupFigures(
        tenant=tenant,
        name=name,
        responses=len(records),
        completed=completed,
        completion_rate=completed / len(records) if records else None,
        index=_mean(indexes),
        scale_answers=len(indexes),
        fcr_yes=sum(fcr),
        fcr_answered=len(fcr),
        comments=SentimentShares(_sentiment_counts(c.sentiment for c in classified)),
    )


def _ranked(groups: Iterable[GroupFigures]) -> tuple[GroupFigures, ...]:
    """Best index first; groups without an index last; ties by more responses, then by name."""
    return tuple(sorted(groups, key=lambda g: (g.index is None, -(g.index or 0.0), -g.responses, g.name)))


def _sentiment_counts(sentiments: Iterable[str | None]) -> dict[str, int]:
    counts = Counter(s for s in sentiments if s is not None)
    return {sentiment: counts.get(sentiment, 0) for sentiment in SENTIMENTS}


def _area_figures(classified: Sequence[Comment]) -> tuple[AreaFigures, ...]:
    sentiments: dict[str, list[str]] = defaultdict(list)
    examples: dict[str, list[str]] = defaultdict(list)
    tried: Counter[str] = (
        Counter()
    )  # masking is the costly part: only as many as may be shown, and a few more
    for comment in classified:
        for area, sentiment in comment_area_sentiments(comment).items():
            sentiments[area].append(sentiment)
            if not comment.transcript or len(examples[area]) >= EXAMPLES_PER_AREA:
                continue
            tried[area] += 1
            if tried[area] > EXAMPLES_PER_AREA * 10:
                continue
            text = mask_personal_data(comment.transcript.strip())
            if text and text not in examples[area]:
                examples[area].append(text)
    return tuple(
        AreaFigures(area, SentimentShares(_sentiment_counts(sentiments[area])), tuple(examples[area]))
        for area in AREAS
    )


def _callback_figures(callbacks: Sequence[CallbackRecord]) -> tuple[CallbackFigures, ...]:
    by_tenant: dict[str, list[CallbackRecord]] = defaultdict(list)
    for record in callbacks:
        by_tenant[record.tenant].append(record)
    return tuple(
        CallbackFigures(
            tenant=tenant,
            requested=len(rows),
            completed=sum(row.status == "done" for row in rows),
            by_status=dict(sorted(Counter(row.status for row in rows).items())),
        )
        for tenant, rows in sorted(by_tenant.items())
    )


def queue_call_figures(
    inbound: Sequence[InboundCall], callbacks: Sequence[CallbackRecord]
) -> tuple[QueueCallFigures, ...]:
    """Per municipality and queue; calls with no municipality (the queue without `/inbound`) are left out."""
    calls: dict[tuple[str, str], list[InboundCall]] = defaultdict(list)
    for call in inbound:
        if call.tenant is not None:
            calls[(call.tenant, call.queue)].append(call)
    completed = Counter((r.tenant, r.queue) for r in callbacks if r.status == "done")
    return tuple(
        _queue_calls(tenant, queue, rows, completed[(tenant, queue)])
        for (tenant, queue), rows in sorted(calls.items())
    )


def _queue_calls(tenant: str, queue: str, rows: Sequence[InboundCall], completed: int) -> QueueCallFigures:
    pairs = [
        (row.announced_wait_s, row.actual_wait_s)
        for row in rows
        if row.outcome == "answered" and row.announced_wait_s is not None and row.actual_wait_s is not None
    ]
    errors = [abs(actual - announced) for announced, actual in pairs]
    return QueueCallFigures(
        tenant=tenant,
        queue=queue,
        calls=len(rows),
        callbacks_offered=sum(bool(row.offered_callback) for row in rows),
        callbacks_accepted=sum(bool(row.callback_accepted) for row in rows),
        callbacks_booked=sum(row.result == "callback" for row in rows),
        callbacks_completed=completed,
        answered=sum(row.outcome == "answered" for row in rows),
        abandoned=sum(row.outcome == "abandoned" for row in rows),
        compared=len(pairs),
        mean_announced_s=_mean([announced for announced, _ in pairs]),
        mean_actual_s=_mean([actual for _, actual in pairs]),
        mean_abs_error_s=_mean(errors),
        within_tolerance=sum(error <= WAIT_TOLERANCE_S + EPSILON for error in errors),
    )


def _weeks(records: Sequence[ResponseRecord]) -> tuple[WeekFigures, ...]:
    return tuple(
        WeekFigures(week, group.responses, group.index, group.positive_share)
        for week, group in (
            (week, _figures(None, week, rows))
            for week, rows in sorted(_group(records, lambda r: local_week(r.response.started_at)).items())
        )
    )


def alert_windows(period: Period) -> tuple[datetime, datetime, datetime]:
    """(history start, recent start, end): the windows the alerts compare."""
    end = period.until or datetime.now(UTC)
    recent_start = end - timedelta(weeks=RECENT_WEEKS)
    return recent_start - timedelta(weeks=HISTORY_WEEKS), recent_start, end


def _alerts(
    records: Sequence[ResponseRecord], period: Period, name_agent: Callable[[str], str]
) -> tuple[Alert, ...]:
    history_start, recent_start, end = alert_windows(period)
    recent = [r for r in records if recent_start <= r.response.started_at < end]
    older = [r for r in records if history_start <= r.response.started_at < recent_start]
    alerts: list[Alert] = []
    for tenant in sorted({r.response.tenant for r in recent}):
        alerts.extend(_agent_alerts(tenant, recent, older, name_agent))
        alerts.extend(_area_alerts(tenant, recent, older))
    return tuple(alerts)


def _agent_alerts(
    tenant: str,
    recent: Sequence[ResponseRecord],
    older: Sequence[ResponseRecord],
    name_agent: Callable[[str], str],
) -> list[Alert]:
    def by_agent(rows: Sequence[ResponseRecord]) -> dict[str, list[ResponseRecord]]:
        rated = [r for r in rows if r.response.tenant == tenant and r.response.agent and scale_indexes(r)]
        return _group(rated, lambda r: r.response.agent or "")

    alerts = []
    now_rows, then_rows = by_agent(recent), by_agent(older)
    for agent in sorted(now_rows):
        now, then = now_rows[agent], then_rows.get(agent, [])
        if len(now) < MIN_COUNT or len(then) < MIN_COUNT:
            continue
        now_index = _mean([v for r in now for v in scale_indexes(r)]) or 0.0
        then_index = _mean([v for r in then for v in scale_indexes(r)]) or 0.0
        if then_index - now_index >= INDEX_DROP - EPSILON:
            alerts.append(
                Alert(tenant, "agent", name_agent(agent), "index", now_index, then_index, len(now), len(then))
            )
    return alerts


def _area_alerts(
    tenant: str, recent: Sequence[ResponseRecord], older: Sequence[ResponseRecord]
) -> list[Alert]:
    def by_area(rows: Sequence[ResponseRecord]) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = defaultdict(list)
        for record in rows:
            if record.response.tenant != tenant:
                continue
            for comment in record.comments:
                for area, sentiment in comment_area_sentiments(comment).items():
                    grouped[area].append(sentiment)
        return grouped

    alerts = []
    now_areas, then_areas = by_area(recent), by_area(older)
    for area in AREAS:
        now, then = now_areas.get(area, []), then_areas.get(area, [])
        if len(now) < MIN_COUNT or len(then) < MIN_COUNT:
            continue
        now_share = now.count("negativ") / len(now)
        then_share = then.count("negativ") / len(then)
        if now_share - then_share >= NEGATIVE_RISE - EPSILON:
            alerts.append(
                Alert(tenant, "area", area, "negative_share", now_share, then_share, len(now), len(then))
            )
    return alerts
