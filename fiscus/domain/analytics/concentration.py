"""Concentration of the invested value (cash excluded, as ``Holding.weight``):

- ``w_i = value_i / sum_j value_j`` over positive values;
- Herfindahl-Hirschman index ``HHI = sum_i w_i^2`` (1: one holding; 1/n: n equal ones);
- effective number of holdings ``= 1 / HHI``;
- the ``top`` largest weights, largest first (ties by key).
Decimals, 10 places, half-even.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from fiscus.domain.portfolios.engine import EXACT

_PLACES = Decimal(1).scaleb(-10)


@dataclass(frozen=True, slots=True)
class Weight:
    key: str
    value: Decimal
    weight: Decimal


@dataclass(frozen=True, slots=True)
class Concentration:
    holdings: int
    herfindahl: Decimal
    effective_holdings: Decimal | None
    top: tuple[Weight, ...]


def concentration(values: Sequence[tuple[str, Decimal]], top: int = 10) -> Concentration:
    positive = [(key, value) for key, value in values if value > 0]
    total = sum((value for _, value in positive), Decimal(0))
    if not total:
        return Concentration(0, Decimal(0), None, ())
    with localcontext(EXACT):
        exact = [(key, value, value / total) for key, value in positive]
        hhi = sum((w * w for _, _, w in exact), Decimal(0))
        ordered = sorted(exact, key=lambda row: (-row[2], row[0]))
        return Concentration(
            holdings=len(positive),
            herfindahl=hhi.quantize(_PLACES, ROUND_HALF_EVEN),
            effective_holdings=(1 / hhi).quantize(_PLACES, ROUND_HALF_EVEN),
            top=tuple(
                Weight(key, value, w.quantize(_PLACES, ROUND_HALF_EVEN))
                for key, value, w in ordered[:top]
            ),
        )
