"""The report's figures against a store filled with known data (scenario.py works them out by hand)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from ivr.report.data import PeriodError, load_figures, local_period
from ivr.report.figures import agent_pseudonym
from ivr.store.database import Database
from ivr.store.results import ResultsRepository
from ivr.web.corrections import store_correction

from .conftest import Said, add_response, utc
from .scenario import fill_alert_history, fill_march

MARCH = local_period(date(2026, 3, 1), date(2026, 3, 31))


def test_municipalities_ranked_with_index_completion_and_first_contact_resolution(database: Database) -> None:
    fill_march(database)
    figures = load_figures(database, MARCH)
    assert [group.name for group in figures.tenants] == ["beta", "alfa"]
    beta, alfa = figures.tenants
    assert alfa.responses == 4
    assert alfa.completed == 3
    assert alfa.completion_rate == 0.75
    assert alfa.index == pytest.approx(425 / 7)
    assert alfa.scale_answers == 7
    assert (alfa.fcr_yes, alfa.fcr_answered) == (2, 3)
    assert beta.responses == 3
    assert beta.completed == 1
    assert beta.index == pytest.approx(250 / 3)
    assert beta.fcr_rate == 1.0
    assert dict(alfa.comments.counts) == {"positiv": 1, "skeptisk": 1, "negativ": 1}
    assert alfa.classified_comments == 3  # the pending one is not counted
    assert (beta.positive_share, beta.classified_comments) == (1.0, 1)
    assert figures.responses == 7


def test_agents_within_a_municipality_are_ranked_and_pseudonymised(database: Database) -> None:
    fill_march(database)
    figures = load_figures(database, MARCH, pseudonym_key="nyckel")
    alfa = figures.agents["alfa"]
    assert [group.name for group in alfa] == [
        agent_pseudonym("a1", "nyckel"),
        agent_pseudonym("a2", "nyckel"),
    ]
    assert [group.index for group in alfa] == [87.5, 25.0]
    assert all("a1" not in group.name and "a2" not in group.name for group in alfa)
    plain = load_figures(database, MARCH)
    assert [group.name for group in plain.agents["alfa"]] == ["a1", "a2"]


def test_per_question_mean_distribution_and_index(database: Database) -> None:
    fill_march(database)
    figures = load_figures(database, MARCH, tenant="alfa")
    (dialog,) = figures.dialogs
    bemotande = dialog.question("bemotande")
    assert bemotande is not None
    assert bemotande.distribution == {"1": 1, "2": 1, "4": 1, "5": 1}
    assert bemotande.mean_score == 3.0
    assert bemotande.index == 50.0
    kunskap = dialog.question("kunskap")
    assert kunskap is not None
    assert kunskap.answered == 3
    assert kunskap.by_status["hangup"] == 1
    assert kunskap.index == pytest.approx((5 + 4 + 3 - 3) / 3 / 4 * 100)
    losning = dialog.question("losning")
    assert losning is not None
    assert losning.distribution == {"ja": 2, "nej": 1}


def test_comment_shares_overall_per_area_about_the_agent_and_masked_examples(database: Database) -> None:
    fill_march(database)
    figures = load_figures(database, MARCH)
    assert figures.comments_recorded == 5
    assert dict(figures.comments.counts) == {"positiv": 2, "skeptisk": 1, "negativ": 1}
    assert figures.comments.share("positiv") == 0.5
    assert figures.comments.share("negativ") == 0.25
    assert figures.comments_about_agent == 2
    areas = {area.area: area for area in figures.areas}
    assert dict(areas["handlaggaren"].shares.counts) == {"positiv": 2, "skeptisk": 0, "negativ": 0}
    assert dict(areas["vantetid"].shares.counts) == {"positiv": 0, "skeptisk": 1, "negativ": 1}
    assert areas["digitala_tjanster"].shares.total == 0
    assert areas["handlaggaren"].examples == (
        "Hon var trevlig, ring mig på [TELEFONNUMMER]",
        "trevlig men lång kö",
    )
    assert areas["vantetid"].examples == ("det tog lite tid", "trevlig men lång kö")


def test_example_comments_are_distinct_and_at_most_three_per_area(database: Database) -> None:
    for hour, text in enumerate(["samma sak", "samma sak", "ett", "två", "tre"]):
        add_response(database, tenant="alfa", agent="a1", started_at=utc("2026-03-03", 8 + hour),
                     comment=Said("negativ", ["vantetid"], transcript=text))  # fmt: skip
    areas = {area.area: area for area in load_figures(database, MARCH).areas}
    assert areas["vantetid"].examples == ("samma sak", "ett", "två")
    assert areas["vantetid"].shares.total == 5


def test_callbacks_weeks_and_the_period_filter(database: Database) -> None:
    fill_march(database)
    figures = load_figures(database, MARCH)
    callbacks = {row.tenant: row for row in figures.callbacks}
    assert (callbacks["alfa"].requested, callbacks["alfa"].completed) == (3, 2)
    assert dict(callbacks["alfa"].by_status) == {"done": 2, "expired": 1}
    assert (callbacks["beta"].requested, callbacks["beta"].completed) == (1, 0)
    assert [(w.week, w.responses, w.index) for w in figures.weeks] == [
        ("2026-W09", 1, None),
        ("2026-W10", 3, 87.5),
        ("2026-W11", 3, 37.5),
    ]
    assert [(w.week, w.index) for w in figures.tenant_weeks["beta"]] == [
        ("2026-W09", None),
        ("2026-W10", 87.5),
        ("2026-W11", 75.0),
    ]
    whole = load_figures(database, local_period(None, None))
    assert whole.responses == 9
    one_week = load_figures(database, local_period(date(2026, 3, 9), date(2026, 3, 15)))
    assert one_week.responses == 3
    assert [w.week for w in one_week.weeks] == ["2026-W11"]


def test_tenant_filter_keeps_only_that_municipality(database: Database) -> None:
    fill_march(database)
    figures = load_figures(database, MARCH, tenant="alfa")
    assert [group.name for group in figures.tenants] == ["alfa"]
    assert list(figures.agents) == ["alfa"]
    assert [row.tenant for row in figures.callbacks] == ["alfa"]
    assert dict(figures.comments.counts) == {"positiv": 1, "skeptisk": 1, "negativ": 1}


def test_alerts_fire_on_a_clear_drop_and_not_on_small_or_thin_ones(database: Database) -> None:
    fill_alert_history(database)
    figures = load_figures(database, local_period(date(2026, 5, 1), date(2026, 5, 31)))
    fired = {(alert.kind, alert.subject): alert for alert in figures.alerts}
    assert set(fired) == {("agent", "x"), ("agent", "v"), ("area", "vantetid")}
    assert (fired["agent", "x"].recent, fired["agent", "x"].history) == (75.0, 100.0)
    assert (fired["agent", "x"].recent_count, fired["agent", "x"].history_count) == (5, 5)
    assert fired["agent", "v"].recent == 90.0
    assert (fired["area", "vantetid"].recent, fired["area", "vantetid"].history) == (0.6, 0.2)


def test_alerts_look_back_from_the_period_end(database: Database) -> None:
    fill_alert_history(database)
    # Ending in March, the "recent" weeks hold the old, good results and nothing before them: no alert.
    figures = load_figures(database, local_period(date(2026, 3, 1), date(2026, 3, 31)))
    assert figures.alerts == ()


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(PeriodError, match="before --from"):
        local_period(date(2026, 3, 31), date(2026, 3, 1))


def test_an_operators_correction_replaces_the_classifiers_labels(database: Database) -> None:
    fill_march(database)
    figures = load_figures(database, MARCH, tenant="beta")
    assert dict(figures.comments.counts) == {"positiv": 1, "skeptisk": 0, "negativ": 0}
    (comment_id,) = _beta_comment_ids(database)
    store_correction(database, comment_id, "beta", "skeptisk", {"upplevelse": "negativ"}, "bert")
    store_correction(database, comment_id, "beta", "negativ", {"vantetid": "negativ"}, "bert")  # the newest
    corrected = load_figures(database, MARCH, tenant="beta")
    assert dict(corrected.comments.counts) == {"positiv": 0, "skeptisk": 0, "negativ": 1}
    areas = {area.area: area.shares.total for area in corrected.areas}
    assert (areas["vantetid"], areas["upplevelse"]) == (1, 0)


def _beta_comment_ids(database: Database) -> list[uuid.UUID]:
    return [c.id for r in ResultsRepository(database).responses(tenant="beta") for c in r.comments]
