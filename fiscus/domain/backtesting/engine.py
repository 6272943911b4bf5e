"""Simulating a strategy on daily closes.

The calendar is every day on which some instrument of the backtest has a close in
``[start, end]``; an instrument without a close that day is valued at its last one. On each
day, in this order (all trades at the day's close, see ``book``):

1. splits: units x ratio (whole shares: the fraction paid out in cash at the close);
2. cash dividends on units held at the previous close: to cash (income); reinvested:
   the amount buys the same instrument;
3. external flows: the first day pays in the initial cash; the first trading day of every
   contribution period (after the first day) pays in the contribution, or takes out a
   withdrawal: from cash first, then by selling every holding in proportion to its value;
4. the strategy's trades:
   - BUY_AND_HOLD: new money (initial cash, contributions) bought at the target weights;
   - REBALANCE: the same, and on the first trading day of every rebalancing period (after
     the first day), when no drift band is set or some weight (cash's target is 0) strays
     more than the band from its target, the whole value is brought to the target weights:
     sells of what is over target first, then buys of what is under, scaled down to the cash
     there is;
   - DCA: on the first day and the first trading day of every DCA period,
     ``min(dca_amount, cash)`` bought at the target weights;
5. the day's point: cash, market value, flows, income, fees.

Flow timing in the points (the valuation series' convention: ``inflow`` comes in at the
start of the day, ``outflow`` goes out at its end). The initial cash is the first day's
``inflow`` (its buys' fees are that day's loss). A contribution is paid in and invested at
the close, so it is an END-of-day flow: it is recorded as a NEGATIVE ``outflow``, which the
time-weighted return reads as ``r_t = (V_t - C) / V_{t-1} - 1`` (no dilution by money that
was not there during the day) while ``net_flows = inflow - outflow`` and XIRR's flows keep
their signs. A withdrawal is a positive ``outflow`` (sold and paid out at the close).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from uuid import UUID

from fiscus.domain.backtesting.book import Book
from fiscus.domain.backtesting.model import (
    ZERO,
    FinalHolding,
    Frequency,
    InstrumentPrices,
    Strategy,
    StrategyKind,
    Trade,
    TradeReason,
)
from fiscus.domain.portfolios.engine import EXACT
from fiscus.domain.portfolios.lots import money
from fiscus.domain.portfolios.valuation import ValuationPoint

Progress = Callable[[int, int], None]
PROGRESS_EVERY = 256
_WEIGHT = Decimal(1).scaleb(-10)


class MissingPrice(ValueError):
    def __init__(self, instrument_id: UUID, day: date) -> None:
        super().__init__(f"no close of {instrument_id} on or before {day.isoformat()}")
        self.instrument_id = instrument_id
        self.day = day


@dataclass(frozen=True, slots=True)
class StrategyRun:
    strategy: Strategy
    points: list[ValuationPoint]
    trades: list[Trade]
    holdings: list[FinalHolding]
    cash: Decimal


def trading_calendar(market: Iterable[InstrumentPrices], start: date, end: date) -> list[date]:
    return sorted({d for prices in market for d in prices.dates if start <= d <= end})


def _period(frequency: Frequency, day: date) -> tuple[int, int]:
    if frequency is Frequency.MONTHLY:
        return day.year, day.month
    if frequency is Frequency.QUARTERLY:
        return day.year, (day.month - 1) // 3
    return day.year, 0


def _carried(prices: InstrumentPrices, calendar: Sequence[date]) -> list[Decimal]:
    dates = prices.dates
    at = bisect_right(dates, calendar[0]) - 1
    if at < 0:
        raise MissingPrice(prices.instrument_id, calendar[0])
    last = prices.closes[at]
    by_day = dict(zip(dates[at + 1 :], prices.closes[at + 1 :], strict=True))
    found: list[Decimal] = []
    for day in calendar:
        last = by_day.get(day, last)
        found.append(last)
    return found


def run_strategy(
    strategy: Strategy,
    market: Mapping[UUID, InstrumentPrices],
    calendar: Sequence[date],
    progress: Progress | None = None,
) -> StrategyRun:
    if not calendar:
        raise ValueError("an empty calendar")
    with localcontext(EXACT):
        return _Simulation(strategy, market, calendar).run(progress)


class _Simulation:
    """Instruments by position ``j`` in the strategy's allocations; days by index ``k``."""

    def __init__(
        self,
        strategy: Strategy,
        market: Mapping[UUID, InstrumentPrices],
        calendar: Sequence[date],
    ) -> None:
        self.strategy = strategy
        self.calendar = calendar
        self.ids = [a.instrument_id for a in strategy.allocations]
        self.weights = [a.weight for a in strategy.allocations]
        columns = [_carried(market[i], calendar) for i in self.ids]
        self.prices = [list(row) for row in zip(*columns, strict=True)]
        """``prices[k][j]``: instrument j's close (carried) on day k."""
        index = {day: k for k, day in enumerate(calendar)}
        self.splits: dict[int, list[tuple[int, Decimal]]] = {}
        self.dividends: dict[int, list[tuple[int, Decimal]]] = {}
        for j, i in enumerate(self.ids):
            for day, ratio in market[i].splits:
                if day in index and ratio:
                    self.splits.setdefault(index[day], []).append((j, ratio))
            for day, amount in market[i].dividends:
                if day in index and amount:
                    self.dividends.setdefault(index[day], []).append((j, amount))
        self.contribution_days = self._starts(strategy.contribution_frequency)
        self.rebalance_days = self._starts(strategy.rebalance_frequency)
        self.dca_days = self._starts(strategy.dca_frequency) | {0}
        self.book = Book(self.ids, strategy.fees, strategy.whole_shares)

    def _starts(self, frequency: Frequency | None) -> set[int]:
        """Days that begin a new period (the first trading day of it; never day 0)."""
        if frequency is None:
            return set()
        keys = [_period(frequency, day) for day in self.calendar]
        return {k for k in range(1, len(keys)) if keys[k] != keys[k - 1]}

    def run(self, progress: Progress | None) -> StrategyRun:
        strategy, book = self.strategy, self.book
        points: list[ValuationPoint] = []
        total = len(self.calendar)
        for k, day in enumerate(self.calendar):
            prices = self.prices[k]
            fees_before = book.fees_paid
            income = self.corporate_actions(k, day, prices)
            inflow = outflow = new_money = ZERO
            if k == 0:
                book.cash += strategy.initial_cash
                inflow = new_money = strategy.initial_cash
            elif strategy.contribution and k in self.contribution_days:
                if strategy.contribution > 0:
                    book.cash += strategy.contribution
                    new_money = strategy.contribution
                    # Paid in and invested at the close: an end-of-day flow (see above).
                    outflow = -strategy.contribution
                else:
                    outflow = self.withdraw(day, prices, -strategy.contribution)
            self.trade(k, day, prices, new_money)
            market_value = book.value(prices)
            points.append(
                ValuationPoint(
                    date=day,
                    cash=book.cash,
                    market_value=market_value,
                    value=book.cash + market_value,
                    inflow=inflow,
                    outflow=outflow,
                    income=income,
                    fees=book.fees_paid - fees_before,
                    cost_basis=book.cost_total,
                )
            )
            if progress is not None and (k % PROGRESS_EVERY == PROGRESS_EVERY - 1):
                progress(k + 1, total)
        if progress is not None:
            progress(total, total)
        return StrategyRun(strategy, points, book.trades, self.final_holdings(), book.cash)

    def corporate_actions(self, k: int, day: date, prices: Sequence[Decimal]) -> Decimal:
        book, income = self.book, ZERO
        for j, ratio in self.splits.get(k, ()):
            book.split(j, ratio, prices[j])
        for j, per_unit in self.dividends.get(k, ()):
            held = book.units[j]
            if not held:
                continue
            amount = money(held * per_unit)
            book.cash += amount
            income += amount
            if self.strategy.reinvest_dividends:
                book.buy(day, j, prices[j], amount, TradeReason.DIVIDEND)
        return income

    def trade(self, k: int, day: date, prices: Sequence[Decimal], new_money: Decimal) -> None:
        strategy = self.strategy
        first = TradeReason.INITIAL if k == 0 else TradeReason.CONTRIBUTION
        if strategy.kind is StrategyKind.DCA:
            if k in self.dca_days:
                amount = min(strategy.dca_amount, self.book.cash)
                self.invest(day, prices, amount, TradeReason.DCA)
            return
        if (
            strategy.kind is StrategyKind.REBALANCE
            and k in self.rebalance_days
            and self.drifted(prices)
        ):
            self.rebalance(day, prices)
        elif new_money > 0:
            self.invest(day, prices, min(new_money, self.book.cash), first)

    def invest(
        self, day: date, prices: Sequence[Decimal], amount: Decimal, reason: TradeReason
    ) -> None:
        budgets = [money(amount * w) for w in self.weights]
        for j, budget in enumerate(budgets):
            self.book.buy(day, j, prices[j], budget, reason)

    def total(self, prices: Sequence[Decimal]) -> Decimal:
        return self.book.cash + sum(map(Decimal.__mul__, self.book.units, prices), ZERO)

    def drifted(self, prices: Sequence[Decimal]) -> bool:
        band = self.strategy.drift_band
        if band is None:
            return True
        total = self.total(prices)
        if total <= 0:
            return False
        if self.book.cash / total > band:
            return True
        return any(
            abs(self.book.holding(j, prices[j]) / total - w) > band
            for j, w in enumerate(self.weights)
        )

    def rebalance(self, day: date, prices: Sequence[Decimal]) -> None:
        book = self.book
        total = self.total(prices)
        if total <= 0:
            return
        targets = [total * w for w in self.weights]
        for j, target in enumerate(targets):
            excess = book.holding(j, prices[j]) - target
            if excess > 0:
                units = book.units_to_sell(excess, prices[j], net=False)
                book.sell(day, j, prices[j], units, TradeReason.REBALANCE)
        wants = [target - book.holding(j, prices[j]) for j, target in enumerate(targets)]
        wanted = sum((w for w in wants if w > 0), ZERO)
        if wanted <= 0:
            return
        scale = min(Decimal(1), book.cash / wanted)
        budgets = [(j, money(w * scale)) for j, w in enumerate(wants) if w > 0]
        for j, budget in budgets:
            book.buy(day, j, prices[j], budget, TradeReason.REBALANCE)

    def withdraw(self, day: date, prices: Sequence[Decimal], amount: Decimal) -> Decimal:
        book = self.book
        shortfall = amount - book.cash
        if shortfall > 0:
            values = [book.holding(j, prices[j]) for j in range(len(self.ids))]
            held = sum((v for v in values if v > 0), ZERO)
            if held > 0:
                for j, value in enumerate(values):
                    if value > 0:
                        units = book.units_to_sell(shortfall * value / held, prices[j], net=True)
                        book.sell(day, j, prices[j], units, TradeReason.WITHDRAWAL)
        paid = min(amount, book.cash)
        book.cash -= paid
        return paid

    def final_holdings(self) -> list[FinalHolding]:
        book = self.book
        last = self.prices[-1]
        rows = [
            (self.ids[j], q, last[j], money(q * last[j])) for j, q in enumerate(book.units) if q
        ]
        total = book.cash + sum((value for *_, value in rows), ZERO)
        return [
            FinalHolding(
                i,
                q,
                price,
                value,
                (value / total).quantize(_WEIGHT, ROUND_HALF_EVEN) if total else ZERO,
            )
            for i, q, price, value in rows
        ]
