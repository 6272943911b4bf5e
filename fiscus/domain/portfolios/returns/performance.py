"""A period's performance from a valuation series (portfolio, holding or organization:
the same formulas on whichever series is given).

Over ``(start, end]``, with ``V_s`` the value at the close of ``start``:
- ``net_flows = sum IN_t - sum OUT_t``;
- ``absolute_gain = V_end - V_s - net_flows``;
- attribution: ``absolute_gain = price_effect + currency_effect + income - fees`` where
  ``income`` and ``fees`` are the period's sums, ``currency_effect`` the sum of the
  points' (see ``valuation.series``) and ``price_effect`` the rest (the price moves,
  measured at the previous day's rate);
- ``twr``: ``time_weighted_return``; ``xirr`` on the flows ``-V_s`` at ``start``,
  ``OUT_t - IN_t`` on each day ``t`` and ``+V_end`` at ``end`` (investor's signs);
- ``carried_forward``: some point of ``[start, end]`` used a carried or stand-in close.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fiscus.domain.portfolios.returns.twr import time_weighted_return, value_at
from fiscus.domain.portfolios.returns.xirr import xirr
from fiscus.domain.portfolios.valuation import ValuationPoint

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Performance:
    start: date
    end: date
    start_value: Decimal
    end_value: Decimal
    net_flows: Decimal
    absolute_gain: Decimal
    price_effect: Decimal
    income: Decimal
    currency_effect: Decimal
    fees: Decimal
    twr: Decimal
    twr_annualized: Decimal | None
    xirr: Decimal | None
    xirr_reason: str | None
    carried_forward: bool
    inflow: Decimal = _ZERO
    outflow: Decimal = _ZERO


def performance(points: Sequence[ValuationPoint], *, start: date, end: date) -> Performance:
    start_value = value_at(points, start)
    end_value = value_at(points, end)
    inflow = outflow = income = fees = currency = _ZERO
    carried = False
    flows: list[tuple[date, Decimal]] = [(start, -start_value)]
    for point in points:
        if point.date == start and point.carried:
            carried = True
        if point.date <= start:
            continue
        if point.date > end:
            break
        inflow += point.inflow
        outflow += point.outflow
        income += point.income
        fees += point.fees
        currency += point.currency_effect
        carried = carried or bool(point.carried)
        if point.inflow or point.outflow:
            flows.append((point.date, point.outflow - point.inflow))
    flows.append((end, end_value))
    net_flows = inflow - outflow
    # absolute_gain = V_end - V_start - (IN - OUT)
    absolute_gain = end_value - start_value - net_flows
    # absolute_gain = price_effect + currency_effect + income - fees
    price_effect = absolute_gain - currency - income + fees
    twr = time_weighted_return(points, start, end)
    money_weighted = xirr(flows)
    return Performance(
        start=start,
        end=end,
        start_value=start_value,
        end_value=end_value,
        net_flows=net_flows,
        absolute_gain=absolute_gain,
        price_effect=price_effect,
        income=income,
        currency_effect=currency,
        fees=fees,
        twr=twr.cumulative,
        twr_annualized=twr.annualized,
        xirr=money_weighted.rate,
        xirr_reason=money_weighted.reason,
        carried_forward=carried,
        inflow=inflow,
        outflow=outflow,
    )
