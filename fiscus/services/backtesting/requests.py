"""A backtest request as the API gives it, checked completely before anything is stored:
dates, every strategy (weights summing to 1, amounts, fees, frequencies), every symbol
(unknown: NOT_FOUND), every instrument's closes (none in the range, or none by the first
day: NO_PRICES), the portfolio to compare with (another organization's: NOT_FOUND). Each
issue names its field, e.g. ``strategies[1].allocations[0].symbol``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID

from fiscus.domain.backtesting import (
    Allocation,
    FeeModel,
    Frequency,
    Strategy,
    StrategyKind,
    check_dates,
    check_strategies,
)
from fiscus.domain.errors import ErrorCode, FieldIssue, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.marketdata import Instrument, normalize_currency, normalize_symbol
from fiscus.persistence.reads.analytics import PriceRange
from fiscus.services.analytics.risk_free import check_rate
from fiscus.services.backtesting.documents import BacktestRequest
from fiscus.services.portfolios import pricing
from fiscus.services.portfolios.context import PortfolioContext

DEFAULT_CURRENCY = "USD"
MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class AllocationInput:
    symbol: str
    weight: Decimal


@dataclass(frozen=True, slots=True)
class StrategyInput:
    name: str
    kind: StrategyKind
    allocations: list[AllocationInput]
    initial_cash: Decimal
    contribution: Decimal = Decimal(0)
    contribution_frequency: Frequency = Frequency.MONTHLY
    rebalance_frequency: Frequency | None = None
    drift_band: Decimal | None = None
    dca_amount: Decimal = Decimal(0)
    dca_frequency: Frequency = Frequency.MONTHLY
    fee_fixed: Decimal = Decimal(0)
    fee_rate: Decimal = Decimal(0)
    whole_shares: bool = False
    reinvest_dividends: bool = True


@dataclass(frozen=True, slots=True)
class BacktestInput:
    start: date
    end: date
    strategies: list[StrategyInput]
    name: str | None = None
    currency: str | None = None
    risk_free_rate: Decimal | None = None
    compare_portfolio_id: UUID | None = None
    issues: list[FieldIssue] = field(default_factory=list)
    """Problems found while parsing the input (e.g. a malformed id), reported with the rest."""


def _symbols(raw: BacktestInput) -> tuple[dict[str, list[str]], list[FieldIssue]]:
    wanted: dict[str, list[str]] = {}
    issues: list[FieldIssue] = []
    for n, s in enumerate(raw.strategies):
        for m, a in enumerate(s.allocations):
            at = f"strategies[{n}].allocations[{m}].symbol"
            try:
                symbol = normalize_symbol(a.symbol, field_name=at)
            except ValidationFailed as failure:
                issues += failure.issues
                continue
            wanted.setdefault(symbol, []).append(at)
    return wanted, issues


def _strategy(s: StrategyInput, ids: dict[str, UUID]) -> Strategy:
    allocations = tuple(
        Allocation(ids.get(a.symbol.strip().upper(), UUID(int=0)), a.weight) for a in s.allocations
    )
    return Strategy(
        name=" ".join(s.name.split()),
        kind=s.kind,
        allocations=allocations,
        initial_cash=s.initial_cash,
        contribution=s.contribution,
        contribution_frequency=s.contribution_frequency,
        rebalance_frequency=s.rebalance_frequency,
        drift_band=s.drift_band,
        dca_amount=s.dca_amount,
        dca_frequency=s.dca_frequency,
        fees=FeeModel(s.fee_fixed, s.fee_rate),
        whole_shares=s.whole_shares,
        reinvest_dividends=s.reinvest_dividends,
    )


async def prepare(
    ctx: PortfolioContext, principal: Principal, raw: BacktestInput
) -> BacktestRequest:
    today = ctx.clock().date()
    issues = list(raw.issues)
    check_dates(raw.start, raw.end, today)
    name = " ".join((raw.name or "").split()) or f"Backtest {raw.start} to {raw.end}"
    if len(name) > MAX_NAME:
        issues.append(FieldIssue("name", ErrorCode.TOO_LONG, f"At most {MAX_NAME} characters."))
    currency = normalize_currency(raw.currency) if raw.currency else None
    if raw.risk_free_rate is not None:
        check_rate(raw.risk_free_rate, "riskFreeRate")
    wanted, symbol_issues = _symbols(raw)
    issues += symbol_issues
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        found: dict[str, Instrument] = await pricing.instruments_by_symbols(reads, wanted)
        compared = None
        if raw.compare_portfolio_id is not None:
            matches = await reads.portfolios.portfolios_by_ids([raw.compare_portfolio_id])
            compared = matches[0] if matches else None
            if compared is None:
                issues.append(
                    FieldIssue("comparePortfolioId", ErrorCode.NOT_FOUND, "No such portfolio.")
                )
        ranges = await reads.analytics.price_ranges(
            [i.id for i in found.values() if not i.is_manual],
            [i.id for i in found.values() if i.is_manual],
            raw.start,
            raw.end,
        )
    for symbol, fields in wanted.items():
        if symbol not in found:
            issues += [
                FieldIssue(f, ErrorCode.NOT_FOUND, f"No instrument {symbol}.") for f in fields
            ]
    ids = {symbol: instrument.id for symbol, instrument in found.items()}
    strategies = [_strategy(s, ids) for s in raw.strategies]
    try:
        check_strategies(strategies)
    except ValidationFailed as failure:
        issues += failure.issues
    issues += _price_issues(wanted, found, ranges, raw.end)
    if issues:
        raise ValidationFailed(issues)
    return BacktestRequest(
        name=name,
        start=raw.start,
        end=raw.end,
        currency=currency or (compared.base_currency if compared else DEFAULT_CURRENCY),
        strategies=tuple(strategies),
        symbols={i.id: symbol for symbol, i in found.items()},
        risk_free_rate=raw.risk_free_rate,
        compare_portfolio_id=compared.id if compared else None,
    )


def _price_issues(
    wanted: dict[str, list[str]],
    found: dict[str, Instrument],
    ranges: dict[UUID, PriceRange],
    end: date,
) -> list[FieldIssue]:
    """Every instrument needs a close in the range, and one on or before the backtest's
    first day (the first day any of them has a close in the range)."""
    known = {s: ranges.get(i.id, PriceRange(None, None, None)) for s, i in found.items()}
    in_range = {
        s: r.first_from_start is not None and r.first_from_start <= end for s, r in known.items()
    }
    first_day = min(
        (r.first_from_start for s, r in known.items() if in_range[s] and r.first_from_start),
        default=None,
    )
    issues: list[FieldIssue] = []
    for symbol, r in known.items():
        at = wanted[symbol]
        if not in_range[symbol] or first_day is None or r.first is None:
            message = f"{symbol} has no close in the range."
        elif r.first > first_day:
            message = (
                f"{symbol}'s closes start on {r.first.isoformat()}, after the backtest's first "
                f"day ({first_day.isoformat()}): start on {r.first.isoformat()} or later."
            )
        else:
            continue
        issues += [FieldIssue(f, ErrorCode.NO_PRICES, message) for f in at]
    return issues
