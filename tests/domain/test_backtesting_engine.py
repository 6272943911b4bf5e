"""Backtests worked by hand: a monthly rebalancing with fees and whole shares, a drift
band, buy-and-hold of one instrument against its own return, DCA share counts,
withdrawals, dividends and splits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from fiscus.domain.backtesting import (
    Allocation,
    FeeModel,
    Frequency,
    InstrumentPrices,
    MissingPrice,
    Side,
    Strategy,
    StrategyKind,
    TradeReason,
    run_backtest,
    run_strategy,
    trading_calendar,
)
from fiscus.domain.errors import ValidationFailed

D = Decimal
A = uuid.UUID(int=0xA)
B = uuid.UUID(int=0xB)
BUY, SELL = Side.BUY, Side.SELL


def prices(
    instrument: uuid.UUID,
    rows: Sequence[tuple[str, str]],
    splits: Sequence[tuple[str, str]] = (),
    dividends: Sequence[tuple[str, str]] = (),
) -> InstrumentPrices:
    return InstrumentPrices(
        instrument,
        [date.fromisoformat(d) for d, _ in rows],
        [D(c) for _, c in rows],
        [(date.fromisoformat(d), D(r)) for d, r in splits],
        [(date.fromisoformat(d), D(a)) for d, a in dividends],
    )


def strategy(kind: StrategyKind = StrategyKind.BUY_AND_HOLD, **kw: object) -> Strategy:
    fields: dict[str, object] = {
        "name": "s",
        "kind": kind,
        "allocations": (Allocation(A, D(1)),),
        "initial_cash": D(10_000),
    }
    fields.update(kw)
    return Strategy(**fields)  # type: ignore[arg-type]


def trades_of(run) -> list[tuple[str, uuid.UUID, Side, Decimal, Decimal, Decimal, TradeReason]]:
    return [
        (t.date.isoformat(), t.instrument_id, t.side, t.quantity, t.gross, t.fee, t.reason)
        for t in run.trades
    ]


MARKET = {
    A: prices(A, [("2024-01-31", "100"), ("2024-02-01", "120"), ("2024-03-01", "90")]),
    B: prices(B, [("2024-01-31", "50"), ("2024-02-01", "40"), ("2024-03-01", "50")]),
}
SIXTY_FORTY = (Allocation(A, D("0.6")), Allocation(B, D("0.4")))
FEES = FeeModel(fixed=D(1), rate=D("0.001"))


def test_monthly_rebalancing_with_fees_and_whole_shares_worked_by_hand():
    calendar = trading_calendar(MARKET.values(), date(2024, 1, 1), date(2024, 3, 31))
    run = run_strategy(
        strategy(
            StrategyKind.REBALANCE,
            allocations=SIXTY_FORTY,
            rebalance_frequency=Frequency.MONTHLY,
            fees=FEES,
            whole_shares=True,
        ),
        MARKET,
        calendar,
    )
    assert trades_of(run) == [
        # 31 Jan: 6000 for A: floor(5999 / (100 * 1.001)) = 59 units, 5900 + fee 1 + 5.90;
        # 4000 for B: floor(3999 / 50.05) = 79 units, 3950 + fee 4.95. Cash 138.15.
        ("2024-01-31", A, BUY, D(59), D("5900"), D("6.9"), TradeReason.INITIAL),
        ("2024-01-31", B, BUY, D(79), D("3950"), D("4.95"), TradeReason.INITIAL),
        # 1 Feb (a new month): value 138.15 + 59 * 120 + 79 * 40 = 10378.15; targets A
        # 6226.89, B 4151.26. Sell floor(853.11 / 120) = 7 A (840, fee 1.84): cash 976.31.
        # B wants 991.26, scaled to the 976.31 there is: floor(975.31 / 40.04) = 24 units.
        ("2024-02-01", A, SELL, D(7), D("840"), D("1.84"), TradeReason.REBALANCE),
        ("2024-02-01", B, BUY, D(24), D("960"), D("1.96"), TradeReason.REBALANCE),
        # 1 Mar: value 14.35 + 52 * 90 + 103 * 50 = 9844.35; targets A 5906.61, B 3937.74.
        # Sell floor(1212.26 / 50) = 24 B (1200, fee 2.20): cash 1212.15; A wants 1226.61,
        # gets 1212.15: floor(1211.15 / 90.09) = 13 units (1170, fee 2.17).
        ("2024-03-01", B, SELL, D(24), D("1200"), D("2.2"), TradeReason.REBALANCE),
        ("2024-03-01", A, BUY, D(13), D("1170"), D("2.17"), TradeReason.REBALANCE),
    ]
    assert [(p.date.isoformat(), p.cash, p.market_value, p.value, p.fees) for p in run.points] == [
        ("2024-01-31", D("138.15"), D("9850"), D("9988.15"), D("11.85")),
        ("2024-02-01", D("14.35"), D("10360"), D("10374.35"), D("3.80")),
        ("2024-03-01", D("39.98"), D("9800"), D("9839.98"), D("4.37")),
    ]
    assert [(h.instrument_id, h.quantity, h.market_value) for h in run.holdings] == [
        (A, D(65), D("5850")),
        (B, D(79), D("3950")),
    ]
    assert run.cash == D("39.98")
    assert run.points[0].inflow == D(10_000)


def test_a_drift_band_skips_rebalancing_while_weights_stay_inside_it():
    calendar = trading_calendar(MARKET.values(), date(2024, 1, 1), date(2024, 3, 31))
    banded = strategy(
        StrategyKind.REBALANCE,
        allocations=SIXTY_FORTY,
        rebalance_frequency=Frequency.MONTHLY,
        drift_band=D("0.1"),
        fees=FEES,
        whole_shares=True,
    )
    # 1 Feb: A at 7080 / 10378.15 = 68.2 % (8.2 points off), B 30.4 % (9.6 points): inside
    # 10 points. 1 Mar: A 56.5 %, B 42.0 %: inside. Only the initial buys.
    run = run_strategy(banded, MARKET, calendar)
    assert {t.reason for t in run.trades} == {TradeReason.INITIAL}
    # A 9-point band: B's 9.6 points on 1 Feb trigger the rebalancing, and after it A at
    # 4680 / 9844.35 = 47.5 % on 1 Mar (12.5 points off) the next one: as the test above.
    tighter = run_strategy(replace(banded, drift_band=D("0.09")), MARKET, calendar)
    rebalanced = [t.date.isoformat() for t in tighter.trades if t.reason is TradeReason.REBALANCE]
    assert rebalanced == ["2024-02-01", "2024-02-01", "2024-03-01", "2024-03-01"]


def test_buy_and_hold_of_one_instrument_is_its_return_minus_fees():
    market = {A: prices(A, [("2024-01-02", "40"), ("2024-06-28", "52.5"), ("2024-12-31", "61")])}
    start, end = date(2024, 1, 1), date(2024, 12, 31)
    [free] = run_backtest([strategy()], market, start, end)
    assert free.metrics.performance.twr == D("0.525")  # 61 / 40 - 1, to the last place
    [paid] = run_backtest([strategy(fees=FeeModel(D(5), D("0.002")))], market, start, end)
    buy = paid.run.trades[0]
    # 9995 / (40 * 1.002) = 249.3762475049 units; gross 9975.0499, fee 5 + 19.9501.
    assert (buy.quantity, buy.gross, buy.fee) == (D("249.3762475049"), D("9975.0499"), D("24.9501"))
    invested = buy.gross / D(10_000)
    left = paid.run.cash / D(10_000)
    expected = invested * D(61) / D(40) + left - 1
    # Equal up to the 4-place rounding of the market value (15211.95109780 -> .9511).
    assert abs(paid.metrics.performance.twr - expected) < D("1e-9")
    assert paid.metrics.performance.fees == D("24.9501")


def test_dca_share_counts_by_hand():
    market = {
        A: prices(
            A,
            [
                ("2024-01-02", "100"),
                ("2024-02-01", "80"),
                ("2024-03-01", "125"),
                ("2024-04-01", "100"),
            ],
        )
    }
    calendar = trading_calendar(market.values(), date(2024, 1, 1), date(2024, 4, 30))
    run = run_strategy(
        strategy(StrategyKind.DCA, initial_cash=D(3000), dca_amount=D(1000), whole_shares=True),
        market,
        calendar,
    )
    # 1000 / 100 = 10; 1000 / 80 = 12 (960); 1000 / 125 = 8; then 80 left: 0 units at 100.
    assert [(t.date.isoformat(), t.quantity, t.gross) for t in run.trades] == [
        ("2024-01-02", D(10), D(1000)),
        ("2024-02-01", D(12), D(960)),
        ("2024-03-01", D(8), D(1000)),
    ]
    assert run.cash == D(40) and run.holdings[0].quantity == D(30)


def test_dca_of_monthly_contributions_buys_each_one():
    market = {A: prices(A, [("2024-01-02", "10"), ("2024-02-01", "20"), ("2024-03-01", "25")])}
    calendar = trading_calendar(market.values(), date(2024, 1, 1), date(2024, 3, 31))
    run = run_strategy(
        strategy(
            StrategyKind.DCA,
            initial_cash=D(0),
            contribution=D(500),
            dca_amount=D(500),
        ),
        market,
        calendar,
    )
    assert [(t.date.isoformat(), t.quantity) for t in run.trades] == [
        ("2024-02-01", D(25)),
        ("2024-03-01", D(20)),
    ]
    # Paid in at the close: end-of-day flows, negative outflows.
    assert [(p.inflow, p.outflow) for p in run.points] == [
        (D(0), D(0)),
        (D(0), D(-500)),
        (D(0), D(-500)),
    ]


def test_withdrawals_take_cash_first_then_sell_every_holding_in_proportion():
    market = {
        A: prices(A, [("2024-01-02", "100"), ("2024-02-01", "100")]),
        B: prices(B, [("2024-01-02", "50"), ("2024-02-01", "50")]),
    }
    calendar = trading_calendar(market.values(), date(2024, 1, 1), date(2024, 2, 29))
    run = run_strategy(
        strategy(allocations=SIXTY_FORTY, initial_cash=D(1000), contribution=D(-100)),
        market,
        calendar,
    )
    sells = [(t.instrument_id, t.quantity, t.gross) for t in run.trades if t.side is SELL]
    assert sells == [(A, D("0.6"), D("60")), (B, D("0.8"), D("40"))]
    assert run.points[-1].outflow == D(100) and run.points[-1].value == D(900)


def test_dividends_are_reinvested_or_kept_and_splits_pay_fractions_in_cash():
    market = {
        A: prices(
            A,
            [("2024-01-02", "10"), ("2024-02-01", "12"), ("2024-03-01", "8")],
            splits=[("2024-03-01", "1.5")],
            dividends=[("2024-02-01", "0.5")],
        )
    }
    calendar = trading_calendar(market.values(), date(2024, 1, 1), date(2024, 3, 31))
    kept = run_strategy(
        strategy(initial_cash=D(105), whole_shares=True, reinvest_dividends=False),
        market,
        calendar,
    )
    # 10 units; 5.00 of dividends kept; the 3-for-2 split makes 15 units.
    assert kept.points[1].income == D("5.0") and kept.points[1].cash == D("10.0")
    assert kept.holdings[0].quantity == D(15)
    # Reinvested, whole shares: 11 units and 5 of cash; the 5.50 dividend buys no whole unit
    # at 12; the split makes 16.5 units: 16, and 0.5 * 8 = 4 paid in cash.
    odd = run_strategy(strategy(initial_cash=D(115), whole_shares=True), market, calendar)
    assert odd.holdings[0].quantity == D(16)
    assert odd.points[-1].cash == D("5") + D("5.5") + D("4")
    assert odd.points[-1].value == D(16) * D(8) + D("14.5")
    # Fractional: the 5.00 dividend buys 5 / 12 of a unit.
    fractional = run_strategy(strategy(initial_cash=D(100)), market, calendar)
    reinvest = [t for t in fractional.trades if t.reason is TradeReason.DIVIDEND]
    assert [(t.quantity, t.gross) for t in reinvest] == [(D("0.4166666666"), D("5.0000"))]


def test_bad_strategies_are_refused_naming_the_field():
    with pytest.raises(ValidationFailed) as refused:
        run_backtest(
            [
                strategy(),
                strategy(
                    StrategyKind.REBALANCE,
                    allocations=(Allocation(A, D("0.5")), Allocation(B, D("0.4"))),
                ),
            ],
            MARKET,
            date(2024, 1, 1),
            date(2024, 3, 31),
        )
    fields = {(i.field, i.code) for i in refused.value.issues}
    assert fields == {
        ("strategies[1].allocations", "INVALID"),
        ("strategies[1].rebalanceFrequency", "REQUIRED"),
    }


def test_an_instrument_without_a_close_on_the_first_day_is_a_missing_price():
    market = {
        A: prices(A, [("2024-01-02", "10")]),
        B: prices(B, [("2024-01-05", "10")]),
    }
    calendar = trading_calendar(market.values(), date(2024, 1, 1), date(2024, 1, 31))
    with pytest.raises(MissingPrice) as missing:
        run_strategy(strategy(allocations=SIXTY_FORTY), market, calendar)
    assert missing.value.instrument_id == B


def test_a_backtest_period_starts_the_evening_before_its_first_day():
    [result] = run_backtest([strategy()], MARKET, date(2024, 1, 1), date(2024, 3, 31))
    assert result.metrics.performance.start == date(2024, 1, 30)
    assert result.metrics.performance.inflow == D(10_000)
    assert result.metrics.risk.observations == 3
    assert result.run.points[0].date - timedelta(days=1) == date(2024, 1, 30)
