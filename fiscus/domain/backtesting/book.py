"""The simulated account: cash, units and average cost per instrument (instruments by
their position in the strategy: hashing UUIDs on every simulated day costs more than the
arithmetic), and the orders that change them at a day's close (with fees). Call inside
``localcontext(EXACT)``.

- A BUY with a budget ``A`` (fee included): ``q = (A - fixed) / (P * (1 + rate))``, cut
  down to 10 places (whole shares: to a whole number); ``gross = round(q * P, 4)``,
  ``fee = round(fixed + rate * gross, 4)``; nothing is bought when ``q`` is 0. Cash goes down
  by ``gross + fee``; it never goes below 0.
- A SELL of ``q`` units: ``gross = round(q * P, 4)``, fee as above; cash goes up by
  ``gross - fee`` (nothing is sold when the fee would eat the proceeds). The average cost
  goes down in proportion to the units sold.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal
from uuid import UUID

from fiscus.domain.backtesting.model import ZERO, FeeModel, Side, Trade, TradeReason
from fiscus.domain.portfolios.lots import money

UNIT = Decimal(1).scaleb(-10)
WHOLE = Decimal(1)


class Book:
    def __init__(self, instruments: Sequence[UUID], fees: FeeModel, whole_shares: bool) -> None:
        self.instruments = list(instruments)
        self.fees = fees
        self.whole = whole_shares
        self.cash = ZERO
        self.units = [ZERO] * len(self.instruments)
        self.cost = [ZERO] * len(self.instruments)
        self.cost_total = ZERO
        self.trades: list[Trade] = []
        self.fees_paid = ZERO

    def fee(self, gross: Decimal) -> Decimal:
        return money(self.fees.fixed + self.fees.rate * gross)

    def value(self, prices: Sequence[Decimal]) -> Decimal:
        return money(sum(map(Decimal.__mul__, self.units, prices), ZERO))

    def holding(self, j: int, price: Decimal) -> Decimal:
        return self.units[j] * price

    def _cost(self, j: int, cost: Decimal) -> None:
        self.cost_total += cost - self.cost[j]
        self.cost[j] = cost

    def buy(self, day: date, j: int, price: Decimal, budget: Decimal, reason: TradeReason) -> None:
        budget = min(budget, self.cash)
        spend = budget - self.fees.fixed
        if spend <= 0 or price <= 0:
            return
        raw = spend / (price * (1 + self.fees.rate))
        step = WHOLE if self.whole else UNIT
        quantity = raw.quantize(step, ROUND_FLOOR if self.whole else ROUND_DOWN)
        while quantity > 0:
            gross = money(quantity * price)
            fee = self.fee(gross)
            if gross + fee <= self.cash:
                break
            quantity -= step
        if quantity <= 0:
            return
        self.cash -= gross + fee
        self.fees_paid += fee
        self.units[j] += quantity
        self._cost(j, self.cost[j] + gross + fee)
        self.trades.append(
            Trade(day, self.instruments[j], Side.BUY, quantity, price, gross, fee, reason)
        )

    def sell(
        self, day: date, j: int, price: Decimal, quantity: Decimal, reason: TradeReason
    ) -> Decimal:
        """Sells at most what is held; returns the net proceeds."""
        held = self.units[j]
        quantity = min(quantity, held)
        if quantity <= 0:
            return ZERO
        gross = money(quantity * price)
        fee = self.fee(gross)
        if fee >= gross:
            return ZERO
        self.cash += gross - fee
        self.fees_paid += fee
        self._cost(j, money(self.cost[j] * (held - quantity) / held))
        self.units[j] = held - quantity
        self.trades.append(
            Trade(day, self.instruments[j], Side.SELL, quantity, price, gross, fee, reason)
        )
        return gross - fee

    def units_to_sell(self, value: Decimal, price: Decimal, *, net: bool) -> Decimal:
        """Units worth ``value`` at ``price``; with ``net``, enough that the proceeds after
        the fee are ``value`` (rounded up, so the proceeds cover it)."""
        if net:
            value = (value + self.fees.fixed) / (1 - self.fees.rate)
        if self.whole:
            return (value / price).quantize(WHOLE, ROUND_CEILING if net else ROUND_FLOOR)
        return (value / price).quantize(UNIT, ROUND_CEILING if net else ROUND_DOWN)

    def split(self, j: int, ratio: Decimal, price: Decimal) -> None:
        """``ratio`` new units per unit; with whole shares the fraction is paid out in cash
        at ``price`` (the day's close, after the split)."""
        held = self.units[j]
        if not held:
            return
        units = held * ratio
        if self.whole:
            fraction = units - units.to_integral_value(ROUND_FLOOR)
            if fraction:
                self.cash += money(fraction * price)
                units -= fraction
                self._cost(j, money(self.cost[j] * units / (held * ratio)))
        self.units[j] = units
