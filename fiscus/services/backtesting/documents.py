"""The JSON documents a backtest run stores: the canonical request (its SHA-256 makes
identical requests share a run), the summary lists show, and the series (equity curves,
trades) read only when asked. Decimals travel as strings, dates as ISO strings."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from fiscus.domain.analytics import DatedReturn, Drawdown, RiskFigures, SeriesMetrics
from fiscus.domain.backtesting import (
    Allocation,
    FeeModel,
    Frequency,
    Side,
    Strategy,
    StrategyKind,
    StrategyResult,
    TradeReason,
)
from fiscus.domain.portfolios.returns import Performance

Document = dict[str, Any]


def number(value: Decimal) -> str:
    """Canonical: ``1``, ``0.5``, never ``1.0`` or ``5E-1``."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _optional(value: Decimal | None) -> str | None:
    return number(value) if value is not None else None


def _decimal(value: Any) -> Decimal | None:
    return Decimal(value) if value is not None else None


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class BacktestRequest:
    name: str
    start: date
    end: date
    currency: str
    strategies: tuple[Strategy, ...]
    symbols: dict[UUID, str]
    risk_free_rate: Decimal | None = None
    compare_portfolio_id: UUID | None = None


def strategy_document(s: Strategy, symbols: dict[UUID, str]) -> Document:
    return {
        "name": s.name,
        "kind": s.kind.value,
        "allocations": [
            {
                "instrumentId": str(a.instrument_id),
                "symbol": symbols[a.instrument_id],
                "weight": number(a.weight),
            }
            for a in s.allocations
        ],
        "initialCash": number(s.initial_cash),
        "contribution": number(s.contribution),
        "contributionFrequency": s.contribution_frequency.value,
        "rebalanceFrequency": s.rebalance_frequency.value if s.rebalance_frequency else None,
        "driftBand": _optional(s.drift_band),
        "dcaAmount": number(s.dca_amount),
        "dcaFrequency": s.dca_frequency.value,
        "fees": {"fixed": number(s.fees.fixed), "rate": number(s.fees.rate)},
        "wholeShares": s.whole_shares,
        "reinvestDividends": s.reinvest_dividends,
    }


def request_document(request: BacktestRequest) -> Document:
    return {
        "name": request.name,
        "start": request.start.isoformat(),
        "end": request.end.isoformat(),
        "currency": request.currency,
        "riskFreeRate": _optional(request.risk_free_rate),
        "comparePortfolioId": str(request.compare_portfolio_id)
        if request.compare_portfolio_id
        else None,
        "strategies": [strategy_document(s, request.symbols) for s in request.strategies],
    }


def request_hash(document: Document) -> str:
    """Of everything but the name (a label): identical simulations share a run."""
    canonical = {k: v for k, v in document.items() if k != "name"}
    raw = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def request_of(document: Document) -> BacktestRequest:
    strategies = []
    symbols: dict[UUID, str] = {}
    for raw in document["strategies"]:
        allocations = []
        for a in raw["allocations"]:
            instrument = UUID(a["instrumentId"])
            symbols[instrument] = a["symbol"]
            allocations.append(Allocation(instrument, Decimal(a["weight"])))
        strategies.append(
            Strategy(
                name=raw["name"],
                kind=StrategyKind(raw["kind"]),
                allocations=tuple(allocations),
                initial_cash=Decimal(raw["initialCash"]),
                contribution=Decimal(raw["contribution"]),
                contribution_frequency=Frequency(raw["contributionFrequency"]),
                rebalance_frequency=Frequency(raw["rebalanceFrequency"])
                if raw["rebalanceFrequency"]
                else None,
                drift_band=_decimal(raw["driftBand"]),
                dca_amount=Decimal(raw["dcaAmount"]),
                dca_frequency=Frequency(raw["dcaFrequency"]),
                fees=FeeModel(Decimal(raw["fees"]["fixed"]), Decimal(raw["fees"]["rate"])),
                whole_shares=bool(raw["wholeShares"]),
                reinvest_dividends=bool(raw["reinvestDividends"]),
            )
        )
    compare = document.get("comparePortfolioId")
    return BacktestRequest(
        name=document["name"],
        start=date.fromisoformat(document["start"]),
        end=date.fromisoformat(document["end"]),
        currency=document["currency"],
        strategies=tuple(strategies),
        symbols=symbols,
        risk_free_rate=_decimal(document.get("riskFreeRate")),
        compare_portfolio_id=UUID(compare) if compare else None,
    )


# -- metrics ---------------------------------------------------------------------------


def _drawdown_document(d: Drawdown | None) -> Document | None:
    if d is None:
        return None
    return {
        "depth": number(d.depth),
        "peak": d.peak.isoformat(),
        "trough": d.trough.isoformat(),
        "recovery": d.recovery.isoformat() if d.recovery else None,
        "days": d.days,
    }


def _dated_document(d: DatedReturn | None) -> Document | None:
    return {"date": d.date.isoformat(), "value": number(d.value)} if d is not None else None


def metrics_document(m: SeriesMetrics) -> Document:
    p, r = m.performance, m.risk
    return {
        "start": p.start.isoformat(),
        "end": p.end.isoformat(),
        "startValue": number(p.start_value),
        "endValue": number(p.end_value),
        "netFlows": number(p.net_flows),
        "absoluteGain": number(p.absolute_gain),
        "income": number(p.income),
        "fees": number(p.fees),
        "twr": number(p.twr),
        "twrAnnualized": _optional(p.twr_annualized),
        "xirr": _optional(p.xirr),
        "xirrReason": p.xirr_reason,
        "observations": r.observations,
        "riskFreeRate": number(r.risk_free_rate),
        "volatility": _optional(r.volatility),
        "downsideDeviation": _optional(r.downside_deviation),
        "sharpe": _optional(r.sharpe),
        "sortino": _optional(r.sortino),
        "maxDrawdown": _drawdown_document(r.max_drawdown),
        "longestDrawdown": _drawdown_document(r.longest_drawdown),
        "currentDrawdown": number(r.current_drawdown),
        "bestDay": _dated_document(r.best_day),
        "worstDay": _dated_document(r.worst_day),
        "bestMonth": _dated_document(r.best_month),
        "worstMonth": _dated_document(r.worst_month),
    }


def _drawdown_of(raw: Document | None) -> Drawdown | None:
    if raw is None:
        return None
    return Drawdown(
        Decimal(raw["depth"]),
        date.fromisoformat(raw["peak"]),
        date.fromisoformat(raw["trough"]),
        _day(raw["recovery"]),
        int(raw["days"]),
    )


def _dated_of(raw: Document | None) -> DatedReturn | None:
    return DatedReturn(date.fromisoformat(raw["date"]), Decimal(raw["value"])) if raw else None


def metrics_of(raw: Document) -> tuple[Performance, RiskFigures]:
    start, end = date.fromisoformat(raw["start"]), date.fromisoformat(raw["end"])
    zero = Decimal(0)
    performance = Performance(
        start=start,
        end=end,
        start_value=Decimal(raw["startValue"]),
        end_value=Decimal(raw["endValue"]),
        net_flows=Decimal(raw["netFlows"]),
        absolute_gain=Decimal(raw["absoluteGain"]),
        price_effect=zero,
        income=Decimal(raw["income"]),
        currency_effect=zero,
        fees=Decimal(raw["fees"]),
        twr=Decimal(raw["twr"]),
        twr_annualized=_decimal(raw["twrAnnualized"]),
        xirr=_decimal(raw["xirr"]),
        xirr_reason=raw["xirrReason"],
        carried_forward=False,
    )
    risk = RiskFigures(
        start=start,
        end=end,
        observations=int(raw["observations"]),
        cumulative_return=performance.twr,
        annualized_return=performance.twr_annualized,
        risk_free_rate=Decimal(raw["riskFreeRate"]),
        volatility=_decimal(raw["volatility"]),
        downside_deviation=_decimal(raw["downsideDeviation"]),
        sharpe=_decimal(raw["sharpe"]),
        sortino=_decimal(raw["sortino"]),
        max_drawdown=_drawdown_of(raw["maxDrawdown"]),
        longest_drawdown=_drawdown_of(raw["longestDrawdown"]),
        current_drawdown=Decimal(raw["currentDrawdown"]),
        best_day=_dated_of(raw["bestDay"]),
        worst_day=_dated_of(raw["worstDay"]),
        best_month=_dated_of(raw["bestMonth"]),
        worst_month=_dated_of(raw["worstMonth"]),
    )
    return performance, risk


# -- results ---------------------------------------------------------------------------


def result_documents(
    results: Sequence[StrategyResult],
    symbols: dict[UUID, str],
    comparison: tuple[UUID, SeriesMetrics] | None,
) -> tuple[Document, Document]:
    """(summary, series)."""
    summaries = []
    curves = []
    for result in results:
        run = result.run
        summaries.append(
            {
                "name": run.strategy.name,
                "kind": run.strategy.kind.value,
                "metrics": metrics_document(result.metrics),
                "cash": number(run.cash),
                "trades": len(run.trades),
                "holdings": [
                    {
                        "instrumentId": str(h.instrument_id),
                        "symbol": symbols.get(h.instrument_id, ""),
                        "quantity": number(h.quantity),
                        "price": number(h.price),
                        "marketValue": number(h.market_value),
                        "weight": number(h.weight),
                    }
                    for h in run.holdings
                ],
            }
        )
        # The series as the engine rounded them (money to 4 places): plain str is exact.
        points = run.points
        curves.append(
            {
                "dates": [p.date.isoformat() for p in points],
                "value": [str(p.value) for p in points],
                "cash": [str(p.cash) for p in points],
                "netFlow": [str(p.inflow - p.outflow) for p in points],
                "trades": [
                    [
                        t.date.isoformat(),
                        symbols.get(t.instrument_id, str(t.instrument_id)),
                        t.side.value,
                        str(t.quantity),
                        str(t.price),
                        str(t.gross),
                        str(t.fee),
                        t.reason.value,
                    ]
                    for t in run.trades
                ],
            }
        )
    summary: Document = {"strategies": summaries, "comparison": None}
    if comparison is not None:
        portfolio_id, metrics = comparison
        summary["comparison"] = {
            "portfolioId": str(portfolio_id),
            "metrics": metrics_document(metrics),
        }
    return summary, {"strategies": curves}


@dataclass(frozen=True, slots=True)
class CurvePoint:
    date: date
    value: Decimal
    cash: Decimal
    net_flow: Decimal


@dataclass(frozen=True, slots=True)
class TradeRow:
    date: date
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    gross: Decimal
    fee: Decimal
    reason: TradeReason


def curve_of(raw: Document) -> list[CurvePoint]:
    return [
        CurvePoint(date.fromisoformat(d), Decimal(v), Decimal(c), Decimal(f))
        for d, v, c, f in zip(raw["dates"], raw["value"], raw["cash"], raw["netFlow"], strict=True)
    ]


def trades_of(raw: Document) -> list[TradeRow]:
    return [
        TradeRow(
            date.fromisoformat(t[0]),
            t[1],
            Side(t[2]),
            Decimal(t[3]),
            Decimal(t[4]),
            Decimal(t[5]),
            Decimal(t[6]),
            TradeReason(t[7]),
        )
        for t in raw["trades"]
    ]
