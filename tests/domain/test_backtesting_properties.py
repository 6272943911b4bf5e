"""Property (Hypothesis, bounded): with no fees and one instrument, a fully invested
backtest's time-weighted return is the instrument's price return over the range, whatever
the contributions and withdrawals (dividends aside)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from fiscus.domain.backtesting import (
    Allocation,
    Frequency,
    InstrumentPrices,
    Strategy,
    StrategyKind,
    run_backtest,
)

ASSET = uuid.UUID(int=7)
FIRST = date(2023, 1, 2)
prices_st = st.lists(
    st.decimals(min_value=Decimal("20"), max_value=Decimal("200"), places=2),
    min_size=2,
    max_size=60,
)
# A share of the initial cash paid in (or, below 0, taken out) every period: withdrawals
# small enough that the value stays well above the 4-place rounding of money.
flows_st = st.decimals(min_value=Decimal("-0.002"), max_value=Decimal("0.5"), places=4)


def market(closes: list[Decimal], step: int) -> dict[uuid.UUID, InstrumentPrices]:
    dates = [FIRST + timedelta(days=step * n) for n in range(len(closes))]
    return {ASSET: InstrumentPrices(ASSET, dates, closes)}


@settings(max_examples=200, deadline=None)
@given(
    closes=prices_st,
    step=st.sampled_from([1, 3, 9]),
    kind=st.sampled_from([StrategyKind.BUY_AND_HOLD, StrategyKind.REBALANCE, StrategyKind.DCA]),
    initial=st.decimals(min_value=Decimal("1000"), max_value=Decimal("100000"), places=2),
    contribution=flows_st,
    frequency=st.sampled_from(list(Frequency)),
)
def test_a_fee_free_single_asset_backtest_earns_the_asset_price_return(
    closes, step, kind, initial, contribution, frequency
):
    contribution = (contribution * initial).quantize(Decimal("0.01"))
    if kind is StrategyKind.DCA:
        # Fully invested DCA: nothing at the start, each contribution invested on arrival.
        contribution = abs(contribution) + 1
        initial = Decimal(0)
    strategy = Strategy(
        name="p",
        kind=kind,
        allocations=(Allocation(ASSET, Decimal(1)),),
        initial_cash=initial,
        contribution=contribution,
        contribution_frequency=frequency,
        rebalance_frequency=frequency if kind is StrategyKind.REBALANCE else None,
        dca_amount=contribution,
        dca_frequency=frequency,
    )
    found = market(closes, step)
    dates = found[ASSET].dates
    [result] = run_backtest([strategy], found, dates[0], dates[-1])
    twr = result.metrics.performance.twr
    if kind is StrategyKind.DCA:
        first = next((p for p in result.run.points if p.value > 0), None)
        if first is None:
            return  # no contribution came in within the range
        price = closes[dates.index(first.date)]
        expected = closes[-1] / price - 1
    else:
        expected = closes[-1] / closes[0] - 1
    # Equal up to the rounding of money to 4 places (cash, gross, market value): at most
    # 0.0003 of each day's value enters each day's factor.
    points = [p for p in result.run.points if p.value > 0]
    rounding = sum((Decimal("0.0003") / p.value for p in points), Decimal(0))
    assert abs(twr - expected) <= (rounding + Decimal("1e-10")) * (1 + abs(expected)), (
        twr,
        expected,
        rounding,
    )
