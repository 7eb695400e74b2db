"""The known data of the report tests, and what its figures must be (worked out by hand in the comments)."""

from __future__ import annotations

from ivr.store.database import Database

from .conftest import Said, add_callback, add_response, utc

PHONE_COMMENT = "Hon var trevlig, ring mig på 070-123 45 67"
MIXED = {"vantetid": "negativ", "handlaggaren": "positiv"}  # by area: the agent was fine, the wait was not


def fill_march(database: Database) -> None:
    """Two municipalities in March 2026 (weeks 10 and 11), plus data just outside the period.

    alfa: indexes 100 100 | 75 75 | 25 | 0 50 -> 425/7 = 60.71; a1 87.5, a2 25; completed 3 of 4;
      losning 2 of 3
    beta: 100 75 | 75 -> 83.33, ranked first; completed 1 of 3 (one starts 1 March 00:30 Swedish time);
      losning 1 of 1
    comments (classified): positiv 2, skeptisk 1, negativ 1; one pending
    """
    add_response(database, tenant="alfa", agent="a1", started_at=utc("2026-03-03"),
                 scores={"bemotande": 5, "kunskap": 5}, losning="ja",
                 comment=Said("positiv", ["handlaggaren"], transcript=PHONE_COMMENT))  # fmt: skip
    add_response(database, tenant="alfa", agent="a1", started_at=utc("2026-03-03", 11),
                 scores={"bemotande": 4, "kunskap": 4}, losning="ja",
                 comment=Said("skeptisk", ["vantetid"], transcript="det tog lite tid"))  # fmt: skip
    add_response(database, tenant="alfa", agent="a2", started_at=utc("2026-03-10"), status="partial",
                 scores={"bemotande": 2}, hung_up=["kunskap"], comment=Said(None))  # fmt: skip
    add_response(database, tenant="alfa", agent="a2", started_at=utc("2026-03-10", 11),
                 scores={"bemotande": 1, "kunskap": 3}, losning="nej",
                 comment=Said("negativ", list(MIXED), MIXED, "trevlig men lång kö"))  # fmt: skip
    add_response(database, tenant="beta", agent="b1", started_at=utc("2026-03-03", 12),
                 scores={"bemotande": 5, "kunskap": 4}, losning="ja",
                 comment=Said("positiv", ["upplevelse"], transcript="bra upplevelse"))  # fmt: skip
    add_response(database, tenant="beta", agent="b1", started_at=utc("2026-03-10", 12), status="ended",
                 scores={"bemotande": 4})  # fmt: skip
    # Outside March (Swedish time): 28 Feb 23:30 UTC is 1 March 00:30 in Stockholm, so that one is inside.
    add_response(database, tenant="alfa", agent="a1", started_at=utc("2026-02-20"), scores={"bemotande": 1})
    add_response(
        database, tenant="alfa", agent="a2", started_at=utc("2026-04-01", 8), scores={"bemotande": 1}
    )
    add_response(database, tenant="beta", agent="b1", started_at=utc("2026-02-28", 23).replace(minute=30),
                 status="partial")  # fmt: skip
    for status in ("done", "done", "expired"):
        add_callback(database, tenant="alfa", status=status, requested_at=utc("2026-03-04"))
    add_callback(database, tenant="beta", status="waiting", requested_at=utc("2026-03-11"))
    add_callback(database, tenant="alfa", status="done", requested_at=utc("2026-02-11"))


def fill_alert_history(database: Database) -> None:
    """Period ends 2026-06-01 (Swedish time): recent = the 4 weeks before, history = the 12 before those.

    gamma/x: history 5 x score 5 (100), recent 5 x score 4 (75): drops 25 -> alert
    gamma/y: history 100, recent 5,5,5,5,4 -> 95: drops 5 -> no alert
    gamma/z: history 100, recent only 4 responses at score 1: too few -> no alert
    gamma/v: history 100, recent 5,5,5,5,3 -> 90: drops exactly 10 (the threshold is inclusive) -> alert
    areas: vantetid negativ 1 of 5 -> 3 of 5 (+40 pp) -> alert; handlaggaren 1 of 5 -> 1 of 5 -> none
    """
    history_days = [f"2026-03-{day:02d}" for day in (2, 9, 16, 23, 30)]
    recent_days = [f"2026-05-{day:02d}" for day in (5, 12, 19, 26, 28)]
    for agent in ("x", "y", "z", "v"):
        for day in history_days:
            add_response(database, tenant="gamma", agent=agent, started_at=utc(day), scores={"bemotande": 5})
    for day, score in zip(recent_days, (4, 4, 4, 4, 4), strict=True):
        add_response(database, tenant="gamma", agent="x", started_at=utc(day), scores={"bemotande": score})
    for day, score in zip(recent_days, (5, 5, 5, 5, 4), strict=True):
        add_response(database, tenant="gamma", agent="y", started_at=utc(day), scores={"bemotande": score})
    for day in recent_days[:4]:
        add_response(database, tenant="gamma", agent="z", started_at=utc(day), scores={"bemotande": 1})
    for day, score in zip(recent_days, (5, 5, 5, 5, 3), strict=True):
        add_response(database, tenant="gamma", agent="v", started_at=utc(day), scores={"bemotande": score})
    for days, negatives in ((history_days, 1), (recent_days, 3)):
        for number, day in enumerate(days):
            sentiment = "negativ" if number < negatives else "positiv"
            add_response(database, tenant="gamma", agent=None, started_at=utc(day, 14),
                         comment=Said(sentiment, ["vantetid"]))  # fmt: skip
        for number, day in enumerate(days):
            sentiment = "negativ" if number < 1 else "positiv"
            add_response(database, tenant="gamma", agent=None, started_at=utc(day, 15),
                         comment=Said(sentiment, ["handlaggaren"]))  # fmt: skip
