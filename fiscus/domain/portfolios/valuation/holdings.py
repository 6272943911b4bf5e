"""Holdings priced today: market value, unrealized gain, weight and day change.

- ``market_value = round(q * price * fx, 4)``; ``unrealized_gain = market_value - cost_basis``.
- ``weight = market_value / sum of every holding's market_value`` (of the INVESTED value,
  cash excluded; 10 places; 0 when nothing is invested).
- ``day_change = round(q * (price - previous) * fx, 4)``: the price move at today's rate
  (None without a previous close); ``day_change_percent = price / previous - 1``.
- A holding without a price today is valued at cost (``priced`` is False).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from uuid import UUID

from fiscus.domain.portfolios.engine import EXACT
from fiscus.domain.portfolios.lots import ZERO, money
from fiscus.domain.portfolios.model import PRICE_SCALE, Books

RATIO = Decimal(1).scaleb(-10)


def ratio(value: Decimal) -> Decimal:
    return value.quantize(RATIO, ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class HoldingValue:
    instrument_id: UUID
    quantity: Decimal
    cost_basis: Decimal
    average_cost: Decimal
    """Base currency per unit, ``PRICE_SCALE`` places."""
    market_value: Decimal
    unrealized_gain: Decimal
    weight: Decimal
    day_change: Decimal | None
    day_change_percent: Decimal | None = None
    price: Decimal | None = None
    """Today's close in the instrument's currency (None: not priced, valued at cost)."""
    priced: bool = True


def holdings(
    books: Books,
    *,
    prices_today: Mapping[UUID, Decimal],
    prices_previous: Mapping[UUID, Decimal],
    fx_today: Mapping[UUID, Decimal],
) -> list[HoldingValue]:
    """One row per open position, in ``books.positions`` order. ``fx_today`` is keyed by
    instrument (base units per unit of its currency; 1 when absent)."""
    with localcontext(EXACT):
        rows: list[
            tuple[UUID, Decimal, Decimal, Decimal, Decimal | None, Decimal | None, Decimal | None]
        ] = []
        for position in books.positions:
            iid, q = position.instrument_id, position.quantity
            price = prices_today.get(iid)
            rate = fx_today.get(iid, Decimal(1))
            previous = prices_previous.get(iid)
            if price is None:
                rows.append((iid, q, position.cost_basis, position.cost_basis, None, None, None))
                continue
            value = money(q * price * rate)
            change = money(q * (price - previous) * rate) if previous is not None else None
            percent = ratio(price / previous - 1) if previous else None
            rows.append((iid, q, position.cost_basis, value, change, percent, price))
        invested = sum((row[3] for row in rows), ZERO)
        quantum = Decimal(1).scaleb(-PRICE_SCALE)
        return [
            HoldingValue(
                instrument_id=iid,
                quantity=q,
                cost_basis=cost,
                average_cost=(cost / q).quantize(quantum, ROUND_HALF_EVEN),
                market_value=value,
                unrealized_gain=value - cost,
                weight=ratio(value / invested) if invested else ZERO,
                day_change=change,
                day_change_percent=percent,
                price=price,
                priced=price is not None,
            )
            for iid, q, cost, value, change, percent, price in rows
        ]
