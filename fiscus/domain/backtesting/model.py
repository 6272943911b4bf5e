"""What a backtest simulates and what it produces. Money (cash, trades, fees) is Decimal in
the backtest's currency, rounded half-even to 4 places; quantities to 10 places (or whole
units). See docs/ANALYTICS.md, "Backtest mechanics"."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID

from fiscus.domain.errors import ErrorCode, FieldIssue, ValidationFailed

ZERO = Decimal(0)
WEIGHT_TOLERANCE = Decimal("0.000001")
"""Target weights must sum to 1 within this."""
MAX_STRATEGIES = 10
MAX_ALLOCATIONS = 50


class StrategyKind(enum.StrEnum):
    BUY_AND_HOLD = "BUY_AND_HOLD"
    REBALANCE = "REBALANCE"
    DCA = "DCA"


class Frequency(enum.StrEnum):
    MONTHLY = "MONTHLY"
    QUARTERLY = "QUARTERLY"
    YEARLY = "YEARLY"


class Side(enum.StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class TradeReason(enum.StrEnum):
    INITIAL = "INITIAL"
    CONTRIBUTION = "CONTRIBUTION"
    DCA = "DCA"
    REBALANCE = "REBALANCE"
    DIVIDEND = "DIVIDEND"
    WITHDRAWAL = "WITHDRAWAL"


@dataclass(frozen=True, slots=True)
class FeeModel:
    """Per trade: ``fee = fixed + rate * gross`` (rounded to 4 places)."""

    fixed: Decimal = ZERO
    rate: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Allocation:
    instrument_id: UUID
    weight: Decimal


@dataclass(frozen=True, slots=True)
class Strategy:
    name: str
    kind: StrategyKind
    allocations: tuple[Allocation, ...]
    initial_cash: Decimal
    contribution: Decimal = ZERO
    """Paid in (> 0) or taken out (< 0) on the first trading day of every period."""
    contribution_frequency: Frequency = Frequency.MONTHLY
    rebalance_frequency: Frequency | None = None
    """REBALANCE: on the first trading day of every such period."""
    drift_band: Decimal | None = None
    """REBALANCE: only when some weight strays more than this from its target (0.05: 5
    points); None: always."""
    dca_amount: Decimal = ZERO
    """DCA: invested from cash on the first day and the first trading day of every
    ``dca_frequency`` period, while cash lasts."""
    dca_frequency: Frequency = Frequency.MONTHLY
    fees: FeeModel = field(default_factory=FeeModel)
    whole_shares: bool = False
    reinvest_dividends: bool = True


@dataclass(frozen=True, slots=True)
class InstrumentPrices:
    """Closes in the backtest's currency (ascending), splits (``ratio`` new units per old
    unit) and cash dividends (per unit, in the backtest's currency) on their ex-dates."""

    instrument_id: UUID
    dates: Sequence[date]
    closes: Sequence[Decimal]
    splits: Sequence[tuple[date, Decimal]] = ()
    dividends: Sequence[tuple[date, Decimal]] = ()


@dataclass(frozen=True, slots=True)
class Trade:
    date: date
    instrument_id: UUID
    side: Side
    quantity: Decimal
    price: Decimal
    gross: Decimal
    """``quantity * price`` rounded to 4 places."""
    fee: Decimal
    reason: TradeReason


@dataclass(frozen=True, slots=True)
class FinalHolding:
    instrument_id: UUID
    quantity: Decimal
    price: Decimal
    market_value: Decimal
    weight: Decimal
    """Of the whole value, cash included (10 places)."""


def check_strategy(strategy: Strategy, at: str) -> list[FieldIssue]:
    """Issues naming ``{at}.field`` (e.g. ``strategies[1].allocations[0].weight``)."""
    issues: list[FieldIssue] = []

    def issue(name: str, message: str, code: str = ErrorCode.INVALID) -> None:
        issues.append(FieldIssue(f"{at}.{name}", code, message))

    if not strategy.name.strip():
        issue("name", "A strategy needs a name.", ErrorCode.REQUIRED)
    if not strategy.allocations:
        issue("allocations", "Give at least one instrument and its weight.", ErrorCode.REQUIRED)
    if len(strategy.allocations) > MAX_ALLOCATIONS:
        issue("allocations", f"At most {MAX_ALLOCATIONS} instruments.")
    seen: set[UUID] = set()
    for n, allocation in enumerate(strategy.allocations):
        if allocation.weight <= 0 or allocation.weight > 1:
            issue(f"allocations[{n}].weight", "A weight is more than 0 and at most 1.")
        if allocation.instrument_id in seen:
            issue(f"allocations[{n}].symbol", "This instrument is listed twice.")
        seen.add(allocation.instrument_id)
    total = sum((a.weight for a in strategy.allocations), ZERO)
    if strategy.allocations and abs(total - 1) > WEIGHT_TOLERANCE:
        issue("allocations", f"The weights sum to {total}, not 1.")
    if strategy.initial_cash < 0:
        issue("initialCash", "Initial cash cannot be negative.")
    if strategy.initial_cash == 0 and strategy.contribution <= 0:
        issue("initialCash", "Start with some cash or contribute periodically.")
    fees = strategy.fees
    if fees.fixed < 0:
        issue("fees.fixed", "A fee cannot be negative.")
    if fees.rate < 0 or fees.rate >= 1:
        issue("fees.rate", "A proportional fee is at least 0 and below 1.")
    if strategy.kind is StrategyKind.REBALANCE and strategy.rebalance_frequency is None:
        issue("rebalanceFrequency", "A rebalancing strategy needs a frequency.", "REQUIRED")
    if strategy.drift_band is not None and not ZERO < strategy.drift_band < 1:
        issue("driftBand", "A drift band is more than 0 and below 1 (0.05: 5 points).")
    if strategy.kind is StrategyKind.DCA and strategy.dca_amount <= 0:
        issue("dcaAmount", "Dollar-cost averaging needs an amount above 0.")
    return issues


def check_strategies(strategies: Sequence[Strategy]) -> None:
    if not strategies:
        raise ValidationFailed(
            [FieldIssue("strategies", ErrorCode.REQUIRED, "Give at least one strategy.")]
        )
    if len(strategies) > MAX_STRATEGIES:
        raise ValidationFailed(
            [FieldIssue("strategies", ErrorCode.INVALID, f"At most {MAX_STRATEGIES}.")]
        )
    issues = [i for n, s in enumerate(strategies) for i in check_strategy(s, f"strategies[{n}]")]
    if issues:
        raise ValidationFailed(issues)
