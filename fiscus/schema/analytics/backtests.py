"""GraphQL types of backtests: the ``runBacktest`` input, the ``Backtest`` node (status,
progress, and once it succeeded each strategy's metrics, holdings, equity curve and
trades), progress events. A result's metrics are computed by the same functions as a live
portfolio's (``performance`` and ``RiskFigures``)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from fiscus.domain.analytics import RiskFigures as DomainRiskFigures
from fiscus.domain.analytics import thin
from fiscus.domain.backtesting.records import BacktestRecord
from fiscus.domain.identity import Permission
from fiscus.domain.portfolios.returns import Performance
from fiscus.schema.analytics.enums import (
    BacktestStatus,
    SeriesInterval,
    Side,
    StrategyKind,
    TradeReason,
)
from fiscus.schema.analytics.figures import RiskFigures
from fiscus.schema.errors import (
    ConflictError,
    NotFoundError,
    RuleViolationError,
    ValidationError,
)
from fiscus.schema.identity import User
from fiscus.schema.permissions import requires
from fiscus.schema.portfolios.types import Portfolio
from fiscus.schema.relay import Connection, Edge, Node, PageInfo, check_first, to_global_id
from fiscus.services.backtesting import documents


@strawberry.type
class BacktestError:
    code: str
    field: str | None
    message: str


@strawberry.type(description="Over (from, to]; fractions, 0.05 = 5 %.")
class BacktestMetrics:
    from_: date = strawberry.field(name="from")
    to: date
    start_value: Decimal
    end_value: Decimal
    net_flows: Decimal
    absolute_gain: Decimal
    income: Decimal
    fees: Decimal
    twr: Decimal
    twr_annualized: Decimal | None
    xirr: Decimal | None
    xirr_unavailable_reason: str | None
    risk: RiskFigures

    @classmethod
    def of(cls, raw: dict[str, Any], currency: str) -> BacktestMetrics:
        p, r = documents.metrics_of(raw)
        return cls.from_domain(p, r, currency)

    @classmethod
    def from_domain(cls, p: Performance, r: DomainRiskFigures, currency: str) -> BacktestMetrics:
        return cls(
            from_=p.start,
            to=p.end,
            start_value=p.start_value,
            end_value=p.end_value,
            net_flows=p.net_flows,
            absolute_gain=p.absolute_gain,
            income=p.income,
            fees=p.fees,
            twr=p.twr,
            twr_annualized=p.twr_annualized,
            xirr=p.xirr,
            xirr_unavailable_reason=p.xirr_reason,
            risk=RiskFigures.from_domain(r, currency),
        )


@strawberry.type
class BacktestHolding:
    symbol: str
    quantity: Decimal
    price: Decimal
    market_value: Decimal
    weight: Decimal = strawberry.field(description="Of the whole value, cash included.")


@strawberry.type
class BacktestAllocation:
    symbol: str
    weight: Decimal


@strawberry.type
class EquityPoint:
    date: date
    value: Decimal
    cash: Decimal
    net_flow: Decimal = strawberry.field(description="Paid in (+) or out (-) that day.")


@strawberry.type
class BacktestTrade:
    date: date
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    gross: Decimal
    fee: Decimal
    reason: TradeReason


@strawberry.type
class BacktestStrategyResult:
    index: strawberry.Private[int]
    backtest_id: strawberry.Private[UUID]
    name: str
    kind: StrategyKind
    allocations: list[BacktestAllocation]
    initial_cash: Decimal
    contribution: Decimal
    cash: Decimal = strawberry.field(description="At the end.")
    trade_count: int
    metrics: BacktestMetrics
    holdings: list[BacktestHolding] = strawberry.field(description="At the end.")

    async def _series(self, info: Info) -> dict[str, Any]:
        found = await info.context.loaders.analytics.series.load(self.backtest_id)
        strategies: list[dict[str, Any]] = (found or {}).get("strategies", [])
        return strategies[self.index] if self.index < len(strategies) else {}

    @strawberry.field(description="One point per trading day (or the last of each week/month).")
    async def equity_curve(
        self, info: Info, interval: SeriesInterval = SeriesInterval.DAY
    ) -> list[EquityPoint]:
        raw = await self._series(info)
        points = documents.curve_of(raw) if raw else []
        return [
            EquityPoint(date=p.date, value=p.value, cash=p.cash, net_flow=p.net_flow)
            for p in thin(points, lambda p: p.date, interval)
        ]

    @strawberry.field(description="Oldest first; the cursor is the trade's position.")
    async def trades(
        self, info: Info, first: int = 100, after: str | None = None
    ) -> Connection[BacktestTrade]:
        size = check_first(first)
        raw = await self._series(info)
        rows = documents.trades_of(raw) if raw else []
        start = int(after) + 1 if after and after.isdigit() else 0
        edges = [
            Edge(
                cursor=str(start + n),
                node=BacktestTrade(
                    date=t.date,
                    symbol=t.symbol,
                    side=t.side,
                    quantity=t.quantity,
                    price=t.price,
                    gross=t.gross,
                    fee=t.fee,
                    reason=t.reason,
                ),
            )
            for n, t in enumerate(rows[start : start + size])
        ]
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=start + size < len(rows),
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=len(rows),
        )


@strawberry.type(description="The real portfolio over the backtest's period.")
class BacktestPortfolioComparison:
    portfolio_id: strawberry.Private[UUID]
    metrics: BacktestMetrics

    @strawberry.field
    async def portfolio(self, info: Info) -> Portfolio | None:
        found = await info.context.loaders.portfolios.portfolio.load(self.portfolio_id)
        return Portfolio.from_domain(found) if found else None


@strawberry.type
class Backtest(Node):
    id: strawberry.ID
    name: str
    status: BacktestStatus
    progress: Decimal = strawberry.field(description="0..1 (stored at every tenth).")
    from_: date = strawberry.field(name="from")
    to: date
    currency: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: BacktestError | None
    record: strawberry.Private[BacktestRecord]

    @classmethod
    def from_domain(cls, b: BacktestRecord) -> Backtest:
        error = b.error
        return cls(
            id=to_global_id("Backtest", b.id),
            name=b.name,
            status=b.status,
            progress=b.progress,
            from_=date.fromisoformat(b.request["start"]),
            to=date.fromisoformat(b.request["end"]),
            currency=b.request["currency"],
            created_at=b.created_at,
            started_at=b.started_at,
            finished_at=b.finished_at,
            error=BacktestError(code=error["code"], field=error["field"], message=error["message"])
            if error
            else None,
            record=b,
        )

    @strawberry.field
    async def created_by(self, info: Info) -> User | None:
        if self.record.created_by is None:
            return None
        user = await info.context.loaders.users.load(self.record.created_by)
        return User.from_domain(user) if user else None

    def _results(self) -> list[BacktestStrategyResult]:
        summary = self.record.summary or {}
        requested = self.record.request["strategies"]
        pairs = zip(summary.get("strategies", []), requested, strict=False)
        return [
            _strategy_result(self.record, n, raw, asked, self.currency)
            for n, (raw, asked) in enumerate(pairs)
        ]

    @strawberry.field(
        description="Every strategy's summary, in the request's order (empty until the run "
        "succeeded). For one strategy's curve, holdings and trades ask `strategy(index:)`: "
        "lists inside this list cost 100 each."
    )
    def strategies(self) -> list[BacktestStrategyResult]:
        return self._results()

    @strawberry.field(description="One strategy by its position in the request (from 0).")
    def strategy(self, index: int) -> BacktestStrategyResult | None:
        found = self._results()
        return found[index] if 0 <= index < len(found) else None

    @strawberry.field(
        description="The compared portfolio by the same functions (needs portfolio:read).",
        permission_classes=[requires(Permission.PORTFOLIO_READ)],
    )
    def portfolio_comparison(self) -> BacktestPortfolioComparison | None:
        found = (self.record.summary or {}).get("comparison")
        if not found:
            return None
        return BacktestPortfolioComparison(
            portfolio_id=UUID(found["portfolioId"]),
            metrics=BacktestMetrics.of(found["metrics"], self.currency),
        )


def _strategy_result(
    record: BacktestRecord, n: int, raw: dict[str, Any], asked: dict[str, Any], currency: str
) -> BacktestStrategyResult:
    return BacktestStrategyResult(
        index=n,
        backtest_id=record.id,
        name=raw["name"],
        kind=StrategyKind(raw["kind"]),
        allocations=[
            BacktestAllocation(symbol=a["symbol"], weight=Decimal(a["weight"]))
            for a in asked["allocations"]
        ],
        initial_cash=Decimal(asked["initialCash"]),
        contribution=Decimal(asked["contribution"]),
        cash=Decimal(raw["cash"]),
        trade_count=int(raw["trades"]),
        metrics=BacktestMetrics.of(raw["metrics"], currency),
        holdings=[
            BacktestHolding(
                symbol=h["symbol"],
                quantity=Decimal(h["quantity"]),
                price=Decimal(h["price"]),
                market_value=Decimal(h["marketValue"]),
                weight=Decimal(h["weight"]),
            )
            for h in raw["holdings"]
        ],
    )


@strawberry.type
class BacktestRun:
    backtest: Backtest
    shared: bool = strawberry.field(
        description="An identical request was queued or running: this is that run."
    )


def _union(name: str, success: Any) -> Any:
    return Annotated[
        success | ValidationError | NotFoundError | RuleViolationError | ConflictError,
        strawberry.union(name),
    ]


RunBacktestResult = _union("RunBacktestResult", BacktestRun)


@strawberry.type
class BacktestProgress:
    backtest_id: strawberry.ID
    status: BacktestStatus
    progress: Decimal
    error: BacktestError | None


@strawberry.type
class AnalyticsSettings:
    risk_free_rate: Decimal | None = strawberry.field(description="Annual, 0.03 = 3 %.")
    risk_free_symbol: str | None = strawberry.field(
        description="An instrument whose closes are annual rates in percent (like ^IRX)."
    )


@strawberry.type
class AnalyticsSettingsSuccess:
    settings: AnalyticsSettings


UpdateAnalyticsSettingsResult = _union("UpdateAnalyticsSettingsResult", AnalyticsSettingsSuccess)
