"""Properties of the books and the returns on random histories (Hypothesis).

The identity proved (exactly, in Decimal) after any sequence of rows, every money figure
being rounded once where it arises:

    cash + K = net_invested + R + I - F_expensed

with K the open lots' cost, R the realized gains (proceeds - sell fee - cost), I the
income (cash and reinvested dividends, interest) and F_expensed the fees neither
capitalized in a lot (buy and reinvestment fees) nor netted in a gain (sell fees): FEE
rows and the fees of deposits, withdrawals, cash dividends, interest and transfers. With
M the market value at any prices, V = cash + M and U = M - K, this is

    V - net_invested = R + U + I - F_expensed.

CI runs ``max_examples=100``; ``HYPOTHESIS_PROFILE=nightly`` runs 1,000.
"""

from __future__ import annotations

import itertools
import math
import os
import uuid
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fiscus.domain.portfolios.engine import open_lots, replay
from fiscus.domain.portfolios.model import (
    Books,
    CostBasisMethod,
    LotPick,
    Transaction,
    TransactionType,
    TransferredLot,
)
from fiscus.domain.portfolios.returns import time_weighted_return, xirr
from fiscus.domain.portfolios.valuation import FxHistory, PriceHistory, daily_valuation
from tests.domain.portfolio_rows import Rows

EXAMPLES = 1000 if os.environ.get("HYPOTHESIS_PROFILE") == "nightly" else 100
bounded = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
T = TransactionType
AAA, BBB = uuid.UUID(int=1), uuid.UUID(int=2)
INSTRUMENTS = [(AAA, "USD"), (BBB, "EUR")]
START = date(2020, 1, 1)


def cents(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: Decimal(n) / 100)


AMOUNTS = cents(1, 1_000_000)
QUANTITIES = cents(1, 10_000)
PRICES = cents(100, 100_000)
FEES = cents(0, 1_000)
RATES = st.integers(5_000, 20_000).map(lambda n: Decimal(n) / 10_000)


def held_in(books: Books, iid: uuid.UUID) -> Decimal:
    return next((p.quantity for p in books.positions if p.instrument_id == iid), Decimal(0))


class History:
    """Rows drawn one by one, valid by construction (sells within what is held, ...)."""

    def __init__(self, method: CostBasisMethod, margin: bool) -> None:
        self.method = method
        self.margin = margin
        self.rows = Rows()
        self.on = START
        self.model: dict[uuid.UUID, Fraction] = {AAA: Fraction(0), BBB: Fraction(0)}
        self.disposed: dict[uuid.UUID, Fraction] = {AAA: Fraction(0), BBB: Fraction(0)}
        self.splits = 0

    def __repr__(self) -> str:
        rows = "\n".join(
            f"  {tx.date} {tx.type.value} {tx.instrument_id} q={tx.quantity} p={tx.price} "
            f"amount={tx.amount} fee={tx.fee} fx={tx.fx_rate} ratio={tx.ratio} lots={tx.lots}"
            for tx in self.rows.rows
        )
        return f"History({self.method.value}, margin={self.margin}):\n{rows}"

    def books(self) -> Books:
        return replay(self.rows.rows, method=self.method, allow_margin=True)

    def held(self, iid: uuid.UUID) -> Decimal:
        return held_in(self.books(), iid)

    def step(self, draw: st.DrawFn, kinds: list[str]) -> None:
        self.on += timedelta(days=draw(st.integers(0, 20)))
        on = self.on.isoformat()
        kind = draw(st.sampled_from(kinds))
        iid, currency = draw(st.sampled_from(INSTRUMENTS))
        fx = Decimal(1) if currency == "USD" else draw(RATES)
        trade = {"currency": currency, "fx_rate": fx}
        books = self.books()
        cash = books.cash
        held = held_in(books, iid)
        if kind == "BUY":
            q, price, fee = draw(QUANTITIES), draw(PRICES), draw(FEES)
            if self.margin or (q * price + fee) * fx <= cash / 2:
                self.rows.buy(on, iid, str(q), str(price), str(fee), **trade)
                self.model[iid] += Fraction(q)
        elif kind in ("SELL", "TRANSFER_OUT") and held:
            share = Decimal(draw(st.integers(1, 100))) / 100
            q = min(held, (held * share).quantize(Decimal("0.01"))) or held
            picks: tuple[LotPick, ...] = ()
            if self.method is CostBasisMethod.SPECIFIC:
                left, chosen = q, []
                for lot in draw(st.permutations(open_lots(books, iid))):
                    if not left:
                        break
                    take = min(left, lot.quantity)
                    chosen.append(LotPick(lot.id, take))
                    left -= take
                picks = tuple(chosen)
            if kind == "SELL":
                self.rows.add(
                    T.SELL,
                    on,
                    instrument_id=iid,
                    quantity=q,
                    price=draw(PRICES),
                    fee=draw(FEES),
                    lots=picks,
                    **trade,
                )
            else:
                self.rows.add(
                    T.TRANSFER_OUT, on, instrument_id=iid, quantity=q, lots=picks, **trade
                )
            self.model[iid] -= Fraction(q)
            self.disposed[iid] += Fraction(q)
        elif kind == "DIVIDEND" and held:
            self.rows.dividend(
                on, iid, str(draw(AMOUNTS)), fee=str(draw(FEES)) if self.margin else "0", **trade
            )
        elif kind == "REINVEST" and held:
            q = draw(QUANTITIES)
            self.rows.reinvest(on, iid, str(q), str(draw(PRICES)), **trade)
            self.model[iid] += Fraction(q)
        elif kind == "SPLIT" and held and self.splits < 3:
            ratio = draw(st.sampled_from(["2", "3", "1.5", "0.5"]))
            self.rows.split(on, iid, ratio)
            self.model[iid] *= Fraction(ratio)
            self.splits += 1
        elif kind == "FEE":
            amount = draw(AMOUNTS)
            if self.margin or amount <= cash / 2:
                self.rows.fee(on, str(amount))
        elif kind == "INTEREST" and (self.margin or cash > 0):
            self.rows.interest(on, str(draw(AMOUNTS)))
        elif kind == "DEPOSIT":
            fee = draw(FEES) if self.margin else Decimal(0)
            self.rows.deposit(on, str(draw(AMOUNTS)), fee=fee)
        elif kind == "WITHDRAWAL":
            self.rows.withdraw(on, str(draw(AMOUNTS)), fee=draw(FEES))
        elif kind == "TRANSFER_IN":
            acquired = self.on - timedelta(days=draw(st.integers(0, 800)))
            lots = [
                TransferredLot(acquired, draw(QUANTITIES), draw(AMOUNTS), draw(AMOUNTS))
                for _ in range(draw(st.integers(1, 3)))
            ]
            self.rows.transfer_in(on, iid, lots, currency=currency, fx_rate=fx)
            self.model[iid] += sum((Fraction(lot.quantity) for lot in lots), Fraction(0))


EVERYTHING = [
    "BUY",
    "SELL",
    "DIVIDEND",
    "REINVEST",
    "SPLIT",
    "FEE",
    "INTEREST",
    "DEPOSIT",
    "WITHDRAWAL",
    "TRANSFER_IN",
    "TRANSFER_OUT",
]
INTERNAL = ["BUY", "SELL", "DIVIDEND", "REINVEST", "SPLIT", "FEE", "INTEREST"]


@st.composite
def histories(draw: st.DrawFn) -> History:
    history = History(draw(st.sampled_from(list(CostBasisMethod))), margin=True)
    history.rows.deposit(START.isoformat(), str(draw(AMOUNTS)))
    for _ in range(draw(st.integers(0, 25))):
        history.step(draw, EVERYTHING)
    return history


def expensed_fees(rows: list[Transaction]) -> Decimal:
    total = Decimal(0)
    for tx in rows:
        if tx.type is T.FEE:
            total += (tx.amount * tx.fx_rate).quantize(Decimal("0.0001"))  # type: ignore[operator]
        elif tx.type not in (T.BUY, T.SELL) and not (tx.type is T.DIVIDEND and tx.quantity):
            total += (tx.fee * tx.fx_rate).quantize(Decimal("0.0001"))
    return total


@bounded
@given(histories())
def test_quantities_are_conserved_through_any_sequence(history: History) -> None:
    books = history.books()
    for iid in (AAA, BBB):
        held = history.held(iid)
        assert Fraction(held) == history.model[iid]
        assert sum(lot.quantity for lot in open_lots(books, iid)) == held
        sold = sum(g.quantity for g in books.realized if g.instrument_id == iid)
        moved = sum(
            lot.quantity
            for tx in history.rows.rows
            if tx.instrument_id == iid and tx.id in books.closed_lots_for
            for lot in books.closed_lots_for[tx.id]
        )
        assert Fraction(sold + moved) == history.disposed[iid]
        for gain in books.realized:
            assert sum(lot.quantity for lot in gain.lots) == gain.quantity


@bounded
@given(histories(), st.lists(PRICES, min_size=2, max_size=2), RATES)
def test_value_minus_net_invested_is_realized_plus_unrealized_plus_income_minus_fees(
    history: History, closes: list[Decimal], eur: Decimal
) -> None:
    books = history.books()
    realized = sum((g.gain for g in books.realized), Decimal(0))
    income = sum((i.amount for i in books.income), Decimal(0))
    fees = expensed_fees(history.rows.rows)
    cost = sum((p.cost_basis for p in books.positions), Decimal(0))
    assert books.cash + cost == books.net_invested + realized + income - fees
    unit = {AAA: closes[0], BBB: closes[1] * eur}
    market = sum((p.quantity * unit[p.instrument_id] for p in books.positions), Decimal(0))
    value = books.cash + market
    assert value - books.net_invested == realized + (market - cost) + income - fees


@st.composite
def closed_histories(draw: st.DrawFn) -> tuple[History, date]:
    """Deposits before the start; within the window only rows that are not flows."""
    history = History(draw(st.sampled_from(list(CostBasisMethod))), margin=False)
    history.rows.deposit(START.isoformat(), str(draw(AMOUNTS) + 1))
    for _ in range(draw(st.integers(0, 4))):
        history.step(draw, ["BUY", "DEPOSIT"])
    start = history.on
    for _ in range(draw(st.integers(1, 15))):
        history.step(draw, INTERNAL)
    return history, start


@bounded
@given(closed_histories(), st.data())
def test_without_external_flows_twr_is_the_simple_return(
    case: tuple[History, date], data: st.DataObject
) -> None:
    history, start = case
    end = history.on + timedelta(days=data.draw(st.integers(0, 5)))
    days = [START + timedelta(days=n) for n in range((end - START).days + 1)]
    prices = {
        iid: PriceHistory(currency, days, [data.draw(PRICES) for _ in days])
        for iid, currency in INSTRUMENTS
    }
    fx = {"EUR": FxHistory(days, [data.draw(RATES) for _ in days])}
    points = daily_valuation(
        history.rows.rows,
        method=history.method,
        prices=prices,
        fx=fx,
        base_currency="USD",
        start=START,
        end=end,
    )
    by_day = {p.date: p for p in points}
    assert all(not p.inflow and not p.outflow for p in points if p.date > start)
    simple = by_day[end].value / by_day[start].value - 1
    result = time_weighted_return(points, start, end)
    assert math.isclose(float(result.cumulative), float(simple), rel_tol=1e-8, abs_tol=1e-9)


FLOWS = st.lists(
    st.tuples(st.integers(0, 3650), st.integers(-10_000, 10_000).filter(bool)),
    min_size=2,
    max_size=10,
)


@bounded
@given(FLOWS)
def test_xirr_rate_zeroes_the_npv_of_its_flows(raw: list[tuple[int, int]]) -> None:
    flows = [(START + timedelta(days=d), Decimal(c)) for d, c in raw]
    result = xirr(flows)
    dated: dict[int, int] = {}
    for d, c in raw:
        dated[d] = dated.get(d, 0) + c
    ordered = [(d, c) for d, c in sorted(dated.items()) if c]
    signs = [c > 0 for _, c in ordered]
    if result.rate is None:
        assert result.reason
        changes = sum(1 for a, b in itertools.pairwise(signs) if a != b)
        spread = ordered[-1][0] - ordered[0][0] if ordered else 0
        # One sign change over a month or more always has a rate within the solver's range.
        assert changes != 1 or spread < 30
        return
    origin = ordered[0][0]

    def scaled_npv(rate: float) -> tuple[float, float]:
        """(NPV, sum of |terms|), both scaled by the same positive factor."""
        if rate <= -1:  # the limit at -100 %: the latest flow dominates
            return float(ordered[-1][1]), abs(float(ordered[-1][1]))
        x = math.log1p(rate)
        exponents = [-x * (d - origin) / 365 for d, _ in ordered]
        top = max(exponents)
        terms = [c * math.exp(e - top) for (_, c), e in zip(ordered, exponents, strict=True)]
        return sum(terms), sum(abs(t) for t in terms)

    # The rate is rounded to 10 places: a root lies within half a unit of the last place
    # (the NPV changes sign across it), or the NPV at the rate is zero to float precision.
    rate = float(result.rate)
    below, _ = scaled_npv(rate - 5e-11)
    above, _ = scaled_npv(rate + 5e-11)
    at, scale = scaled_npv(rate)
    assert (below < 0) != (above < 0) or below == 0 or above == 0 or abs(at) <= 1e-6 * scale
