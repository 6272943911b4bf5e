"""The daily valuation series: one point per CALENDAR day (weekends carry Friday's
closes; calendar days keep the return formulas free of a trading calendar and are neutral
for the time-weighted return, a weekend day with no flow has ``r = 0``).

Point k (base currency, each figure rounded half-even to 4 places):
- ``cash``: the books' cash after the day's rows (0 for a holding series);
- ``market_value = sum over held instruments of q_i * P_i(k) * X_i(k)`` with the close
  ``P`` and rate ``X`` carried forward (see ``history``); ``value = cash + market_value``;
- ``inflow`` / ``outflow``: external flows of the day. Portfolio: DEPOSIT / WITHDRAWAL at
  their amount, TRANSFER_IN / TRANSFER_OUT at the market value of what moved
  (``q * P(k) * X(k)``). Holding (``instrument_id`` given): money going into the holding
  (a buy's cost with its fee, a fee) is inflow, money coming out (a sale's net proceeds, a
  cash dividend) is outflow, transfers at market value;
- ``income``: dividends and interest booked that day; ``fees``: every fee paid that day;
- ``currency_effect``: the part of the day's gain due to exchange rates,
  ``sum_i q_i(start of day) * P_i(k) * (X_i(k) - X_i(k-1))`` plus for each trade of a
  foreign instrument that day ``±q * P(k) * (X(k) - x_trade)`` (+ acquisition, - disposal;
  transfers move at ``X(k)`` and add nothing). The first point's is 0 (no day before).
- ``carried``: held instruments whose close that weekday was not observed (carried
  forward or stood in for by a trade price).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext
from operator import add, mul
from uuid import UUID

from fiscus.domain.portfolios.engine import EXACT, BookKeeper, in_order
from fiscus.domain.portfolios.kinds import ACQUIRING, LOT_TYPES, SPLIT, TRANSFER_IN, TRANSFER_OUT
from fiscus.domain.portfolios.lots import ZERO, money
from fiscus.domain.portfolios.model import Books, CostBasisMethod, Transaction
from fiscus.domain.portfolios.valuation.history import FxHistory, PriceHistory
from fiscus.domain.portfolios.valuation.market import add_held_value, build_markets


@dataclass(frozen=True, slots=True)
class ValuationPoint:
    date: date
    cash: Decimal
    market_value: Decimal
    value: Decimal
    inflow: Decimal
    outflow: Decimal
    income: Decimal
    fees: Decimal
    carried: tuple[UUID, ...] = ()
    """Held instruments whose close was carried forward (or stood in for) that day."""
    cost_basis: Decimal = ZERO
    """Cost of the open lots after the day's rows."""
    currency_effect: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Recomputation:
    """The books after every row up to ``end`` and the daily series, from ONE replay."""

    books: Books
    points: list[ValuationPoint]


def daily_valuation(
    transactions: Sequence[Transaction],
    *,
    method: CostBasisMethod,
    prices: Mapping[UUID, PriceHistory],
    fx: Mapping[str, FxHistory],
    base_currency: str,
    start: date,
    end: date,
    allow_margin: bool = True,
    instrument_id: UUID | None = None,
) -> list[ValuationPoint]:
    """Points for every day of ``[start, end]``; rows before ``start`` set the opening
    state, rows after ``end`` are ignored. With ``instrument_id``: that holding alone."""
    return recompute(
        transactions,
        method=method,
        prices=prices,
        fx=fx,
        base_currency=base_currency,
        start=start,
        end=end,
        allow_margin=allow_margin,
        instrument_id=instrument_id,
    ).points


def recompute(
    transactions: Sequence[Transaction],
    *,
    method: CostBasisMethod,
    prices: Mapping[UUID, PriceHistory],
    fx: Mapping[str, FxHistory],
    base_currency: str,
    start: date,
    end: date,
    allow_margin: bool = True,
    instrument_id: UUID | None = None,
) -> Recomputation:
    """``daily_valuation`` and the books (as ``replay(..., until=end)``) in one pass."""
    if end < start:
        raise ValueError("end is before start")
    days = (end - start).days + 1
    origin = start.toordinal()
    rows = [
        row
        for row in in_order(transactions)
        if row[1].date <= end and (instrument_id is None or row[1].instrument_id == instrument_id)
    ]
    with localcontext(EXACT):
        markets, currencies = build_markets(
            [tx for _, tx in rows], prices, fx, base_currency, start, days
        )
        keeper = BookKeeper(method, allow_margin=allow_margin)
        at = 0
        while at < len(rows) and rows[at][1].date < start:
            keeper.apply(rows[at][1], rows[at][0])
            at += 1
        # Quantities as step functions: (first day, units held from that day on).
        steps = {key: [(0, book.quantity)] for key, book in keeper.instruments.items()}
        cash: list[Decimal | None] = [None] * days
        cost: list[Decimal | None] = [None] * days
        cash[0] = ZERO if instrument_id is not None else keeper.cash
        cost_total = sum((book.cost_basis for book in keeper.instruments.values()), ZERO)
        cost[0] = cost_total
        inflow = [ZERO] * days
        outflow = [ZERO] * days
        income = [ZERO] * days
        fees = [ZERO] * days
        currency = [ZERO] * days
        holding = instrument_id is not None
        while at < len(rows):
            day = rows[at][1].date
            k = day.toordinal() - origin
            income_before, fees_before = keeper.income_total, keeper.fees
            touched: dict[int, Decimal] = {}  # net units acquired today, split-adjusted
            cost_before: dict[int, Decimal] = {}
            while at < len(rows) and rows[at][1].date == day:
                index, tx = rows[at]
                at += 1
                cash_before = keeper.cash
                key = tx.instrument_id.int if tx.instrument_id is not None else 0
                if key and key not in cost_before:
                    book = keeper.instruments.get(key)
                    cost_before[key] = book.cost_basis if book is not None else ZERO
                deposits, withdrawals = keeper.deposits, keeper.withdrawals
                keeper.apply(tx, index)
                if holding:
                    moved = keeper.cash - cash_before
                    if moved < ZERO:
                        inflow[k] -= moved
                    else:
                        outflow[k] += moved
                else:
                    inflow[k] += keeper.deposits - deposits
                    outflow[k] += keeper.withdrawals - withdrawals
                if not key or tx.type not in LOT_TYPES:
                    continue
                market = markets[key]
                net = touched.get(key, ZERO)
                if tx.type is SPLIT:
                    touched[key] = net * tx.ratio  # type: ignore[operator]
                    continue
                if tx.type is TRANSFER_IN:
                    q = sum((lot.quantity for lot in tx.transferred_lots), ZERO)
                    inflow[k] += money(q * market.unit(k))
                elif tx.type is TRANSFER_OUT:
                    q = -sum((lot.quantity for lot in keeper.closed_lots_for[tx.id]), ZERO)
                    outflow[k] -= money(q * market.unit(k))
                elif tx.quantity is None:  # a cash dividend
                    continue
                else:
                    q = tx.quantity if tx.type in ACQUIRING else -tx.quantity
                    if market.foreign is not None:
                        # Units traded at rate x, valued tonight at X(k): q * P(k) * (X(k) - x).
                        tonight = market.unit(k)
                        currency[k] += q * (tonight - market.close[k] * tx.fx_rate)  # type: ignore[operator]
                touched[key] = net + q
            income[k] = keeper.income_total - income_before
            fees[k] = keeper.fees - fees_before
            cash[k] = ZERO if holding else keeper.cash
            for key, net in touched.items():
                book = keeper.instruments[key]
                steps.setdefault(key, []).append((k, book.quantity))
                cost_total += book.cost_basis - cost_before[key]
                market = markets[key]
                if market.foreign is not None and net:
                    # Overnight units only: q(start of day) = q(end of day) - net acquired;
                    # the currency sums below take q(end of day) * P(k) * (X(k) - X(k-1)).
                    currency[k] -= net * market.close[k] * market.foreign.delta[k]  # type: ignore[operator]
            cost[k] = cost_total
        for k in range(1, days):
            if cash[k] is None:
                cash[k] = cash[k - 1]
                cost[k] = cost[k - 1]
        value = [ZERO] * days
        # Sum q * P per currency in local units: sum_i q_i P_i X = X * sum_i q_i P_i.
        local = {code: [ZERO] * days for code in currencies}
        carried: dict[int, list[UUID]] = {}
        for key, changes in steps.items():
            market = markets[key]
            into = value if market.foreign is None else local[market.currency]
            add_held_value(into, changes, market.close, days)
            for n, (first, quantity) in enumerate(changes):
                stop = changes[n + 1][0] if n + 1 < len(changes) else days
                if quantity and stop > first:
                    for k in market.carried_within(first, stop):
                        carried.setdefault(k, []).append(market.instrument_id)
        for code, foreign in currencies.items():
            held, first = local[code], foreign.first
            if any(held[:first]):
                raise ValueError(f"No {code} rate for a day an instrument in {code} is held.")
            rates = foreign.rates[first:]
            # value += X(k) * sum_i q_i P_i(k);  currency += (X(k) - X(k-1)) * sum_i q_i P_i(k)
            value[first:] = map(add, value[first:], map(mul, held[first:], rates))
            currency[first:] = map(
                add, currency[first:], map(mul, held[first:], foreign.delta[first:])
            )
        points = []
        one_day = timedelta(days=1)
        on = start
        for k in range(days):
            market_value = money(value[k])
            held_cash: Decimal = cash[k]  # type: ignore[assignment]
            points.append(
                ValuationPoint(
                    date=on,
                    cash=held_cash,
                    market_value=market_value,
                    value=held_cash + market_value,
                    inflow=inflow[k],
                    outflow=outflow[k],
                    income=income[k],
                    fees=fees[k],
                    carried=tuple(sorted(carried[k])) if k in carried else (),
                    cost_basis=cost[k],  # type: ignore[arg-type]
                    currency_effect=money(currency[k]) if k else ZERO,
                )
            )
            on += one_day
        return Recomputation(keeper.books(), points)


def combine(series: Sequence[Sequence[ValuationPoint]]) -> list[ValuationPoint]:
    """Several series in one base currency summed day by day (an organization). A series
    contributes nothing before its first point and its last value (no flows) after its
    last one."""
    days = sorted({point.date for points in series for point in points})
    total: dict[date, list[Decimal]] = {day: [ZERO] * 9 for day in days}
    carried: dict[date, set[UUID]] = {day: set() for day in days}
    for points in series:
        if not points:
            continue
        by_day = {point.date: point for point in points}
        last: ValuationPoint | None = None
        for day in days:
            point = by_day.get(day)
            sums = total[day]
            if point is not None:
                last = point
                figures = (
                    point.cash,
                    point.market_value,
                    point.value,
                    point.inflow,
                    point.outflow,
                    point.income,
                    point.fees,
                    point.cost_basis,
                    point.currency_effect,
                )
                for n, figure in enumerate(figures):
                    sums[n] += figure
                carried[day].update(point.carried)
            elif last is not None:
                for n, figure in (
                    (0, last.cash),
                    (1, last.market_value),
                    (2, last.value),
                    (7, last.cost_basis),
                ):
                    sums[n] += figure
    return [
        ValuationPoint(
            day, s[0], s[1], s[2], s[3], s[4], s[5], s[6], tuple(sorted(carried[day])), s[7], s[8]
        )
        for day, s in ((day, total[day]) for day in days)
    ]
