"""Staleness, last observation carried forward and adjusted closes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fiscus.domain.marketdata import (
    ActionKind,
    Cadence,
    CorporateAction,
    DailyBar,
    InstrumentKind,
    adjusted_closes,
    carry_forward,
    is_stale,
)

MON, TUE, FRI, SAT, SUN = (
    date(2024, 1, 8),
    date(2024, 1, 9),
    date(2024, 1, 5),
    date(2024, 1, 6),
    date(2024, 1, 7),
)


def test_an_equity_is_fresh_over_the_weekend_and_stale_once_a_trading_close_is_missing():
    assert not is_stale(FRI, SAT, InstrumentKind.EQUITY)
    assert not is_stale(FRI, SUN, InstrumentKind.EQUITY)
    assert not is_stale(FRI, MON, InstrumentKind.EQUITY)  # Monday's close is not in yet
    assert is_stale(FRI, TUE, InstrumentKind.EQUITY)  # Monday's close is missing
    assert not is_stale(MON, TUE, InstrumentKind.ETF)


def test_crypto_and_fx_expect_a_price_every_day():
    assert not is_stale(SAT, SUN, InstrumentKind.CRYPTO)
    assert is_stale(FRI, SUN, InstrumentKind.CRYPTO)
    assert is_stale(FRI, MON, InstrumentKind.CURRENCY)


def test_manual_and_cash_prices_stay_fresh_for_31_days():
    assert not is_stale(date(2024, 1, 1), date(2024, 2, 1), InstrumentKind.EQUITY, manual=True)
    assert is_stale(date(2024, 1, 1), date(2024, 2, 2), InstrumentKind.EQUITY, manual=True)
    assert is_stale(date(2024, 1, 1), date(2024, 2, 2), InstrumentKind.CASH)


def test_gaps_are_filled_with_the_last_observation_and_marked():
    observations = [(date(2024, 1, 3), Decimal("10")), (FRI, Decimal("12"))]
    points = carry_forward(observations, date(2024, 1, 2), TUE, Cadence.TRADING_DAYS)
    assert [(p.day.day, p.close, p.as_of.day, p.filled) for p in points] == [
        (3, Decimal("10"), 3, False),
        (4, Decimal("10"), 3, True),
        (5, Decimal("12"), 5, False),
        (8, Decimal("12"), 5, True),
        (9, Decimal("12"), 5, True),
    ]


def test_an_observation_before_the_range_seeds_the_carry_and_crypto_fills_weekends():
    points = carry_forward([(FRI, Decimal("1"))], SAT, MON, Cadence.DAILY)
    assert [(p.day, p.filled) for p in points] == [(SAT, True), (SUN, True), (MON, True)]


def test_adjusted_closes_divide_by_later_splits_and_scale_by_later_dividends():
    bars = [
        DailyBar(date(2024, 1, 2), Decimal("200")),
        DailyBar(date(2024, 1, 3), Decimal("100")),  # after a 2:1 split effective Jan 3
        DailyBar(date(2024, 1, 4), Decimal("100")),
        DailyBar(date(2024, 1, 5), Decimal("99")),  # ex-dividend 1.00 on Jan 5
    ]
    actions = [
        CorporateAction(date(2024, 1, 3), ActionKind.SPLIT, ratio=Decimal("2")),
        CorporateAction(date(2024, 1, 5), ActionKind.DIVIDEND, amount=Decimal("1")),
    ]
    adjusted = adjusted_closes(bars, actions, 4)
    # Dividend factor 1 - 1/100 = 0.99 before Jan 5; split factor 1/2 before Jan 3.
    assert adjusted == {
        date(2024, 1, 2): Decimal("99.0000"),
        date(2024, 1, 3): Decimal("99.0000"),
        date(2024, 1, 4): Decimal("99.0000"),
        date(2024, 1, 5): Decimal("99.0000"),
    }
