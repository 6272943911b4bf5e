"""The capital-gains report of a tax year: one row per realized gain (a sale mixing short
and long lots gives a row per term), in sale order, as on a broker's 1099-B / Form 8949.

``acquired`` is the consumed lots' acquisition date when they share one, else
``"VARIOUS"``. ``gain = proceeds - fee - cost_basis`` (base currency); the totals sum the
gains per term. Transfers realize nothing and are absent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal
from uuid import UUID

from fiscus.domain.portfolios.kinds import LONG
from fiscus.domain.portfolios.model import Books, Term

VARIOUS: Literal["VARIOUS"] = "VARIOUS"
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class CapitalGainsRow:
    sale_date: date
    transaction_id: UUID
    instrument_id: UUID
    quantity: Decimal
    acquired: date | Literal["VARIOUS"]
    proceeds: Decimal
    cost_basis: Decimal
    fee: Decimal
    gain: Decimal
    term: Term


@dataclass(frozen=True, slots=True)
class CapitalGainsReport:
    tax_year: int
    rows: Sequence[CapitalGainsRow]
    short_total: Decimal
    long_total: Decimal
    total: Decimal
    proceeds_total: Decimal = _ZERO
    cost_total: Decimal = _ZERO


def capital_gains_report(books: Books, tax_year: int) -> CapitalGainsReport:
    rows: list[CapitalGainsRow] = []
    short_total = long_total = _ZERO
    proceeds = cost = _ZERO
    for sale in books.realized:
        if sale.date.year != tax_year:
            continue
        acquired_dates = {lot.acquired_on for lot in sale.lots}
        rows.append(
            CapitalGainsRow(
                sale_date=sale.date,
                transaction_id=sale.transaction_id,
                instrument_id=sale.instrument_id,
                quantity=sale.quantity,
                acquired=acquired_dates.pop() if len(acquired_dates) == 1 else VARIOUS,
                proceeds=sale.proceeds,
                cost_basis=sale.cost_basis,
                fee=sale.fee,
                gain=sale.gain,
                term=sale.term,
            )
        )
        if sale.term is LONG:
            long_total += sale.gain
        else:
            short_total += sale.gain
        proceeds += sale.proceeds
        cost += sale.cost_basis
    return CapitalGainsReport(
        tax_year=tax_year,
        rows=tuple(rows),
        short_total=short_total,
        long_total=long_total,
        total=short_total + long_total,
        proceeds_total=proceeds,
        cost_total=cost,
    )
