"""GraphQL operations and inputs of the backtest tests (API, isolation, counts)."""

from __future__ import annotations

from typing import Any

from tests.graphql_client import gql

RUN = """mutation($input: RunBacktestInput!) { runBacktest(input: $input) { __typename
  ... on BacktestRun { shared backtest { id name status progress from to currency } }
  ... on ValidationError { code field message problems { code field message } }
  ... on UserError { code field message } } }"""
BACKTEST = """query($id: ID!) { backtest(id: $id) {
  id name status progress from to currency error { code field message }
  createdBy { email }
  strategies { name kind initialCash cash tradeCount
    metrics { from to startValue endValue netFlows fees twr xirr
      risk { observations volatility sharpe maxDrawdown { depth peak trough } } } }
} }"""
STRATEGY = """query($id: ID!, $index: Int!) { backtest(id: $id) { strategy(index: $index) {
  name tradeCount cash allocations { symbol weight }
  holdings { symbol quantity price marketValue weight }
  equityCurve(interval: MONTH) { date value cash netFlow }
  trades(first: 3) { totalCount edges { cursor node { date symbol side quantity price
    gross fee reason } } pageInfo { hasNextPage endCursor } } } } }"""
COMPARISON = """query($id: ID!) { backtest(id: $id) {
  portfolioComparison { portfolio { name } metrics { twr netFlows risk { volatility } } } } }"""
PROGRESS = """subscription($id: ID!) { backtestProgress(runId: $id) {
  backtestId status progress error { code } } }"""


def strategy(name: str, kind: str, allocations: dict[str, str], **kw: Any) -> dict[str, Any]:
    return {
        "name": name,
        "kind": kind,
        "allocations": [{"symbol": s, "weight": w} for s, w in allocations.items()],
        "initialCash": kw.pop("initialCash", "10000"),
        **kw,
    }


def backtest_input(**kw: Any) -> dict[str, Any]:
    return {
        "name": kw.pop("name", "Sixty-forty"),
        "start": kw.pop("start", "2023-01-02"),
        "end": kw.pop("end", "2024-12-31"),
        "strategies": kw.pop(
            "strategies",
            [
                strategy("Hold", "BUY_AND_HOLD", {"AAA": "0.6", "BBB": "0.4"}),
                strategy(
                    "Rebalance",
                    "REBALANCE",
                    {"AAA": "0.6", "BBB": "0.4"},
                    rebalanceFrequency="QUARTERLY",
                    fees={"fixed": "1", "rate": "0.001"},
                    wholeShares=True,
                ),
                strategy(
                    "DCA",
                    "DCA",
                    {"AAA": "1"},
                    initialCash="0",
                    contribution="500",
                    dcaAmount="500",
                    reinvestDividends=False,
                ),
            ],
        ),
        **kw,
    }


async def run_backtest(client: Any, token: str, **kw: Any) -> dict[str, Any]:
    body = await gql(client, RUN, {"input": backtest_input(**kw)}, token=token)
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]["runBacktest"]
    return found
