"""GraphQL operations of the portfolio tests (shared by the API, isolation and count tests)."""

from __future__ import annotations

from typing import Any

from tests.graphql_client import gql

CREATE = """mutation($input: CreatePortfolioInput!) { createPortfolio(input: $input) {
  __typename ... on PortfolioSuccess { portfolio { id name baseCurrency costBasisMethod
  allowMargin cash } } ... on UserError { code field message } } }"""
RECORD = """mutation($input: RecordPortfolioTransactionsInput!) {
  recordPortfolioTransactions(input: $input) {
    __typename
    ... on RecordPortfolioTransactionsSuccess { recorded replayed portfolio { cash }
      transactions { id type date reference fxRate currency } }
    ... on ValidationError { code field message problems { code field message } }
    ... on UserError { code field message } } }"""
UPDATE_TX = """mutation($input: UpdatePortfolioTransactionInput!) {
  updatePortfolioTransaction(input: $input) { __typename
    ... on PortfolioTransactionSuccess { portfolio { cash } transaction { id price } }
    ... on UserError { code field message } } }"""
DELETE_TX = """mutation($input: DeletePortfolioTransactionInput!) {
  deletePortfolioTransaction(input: $input) { __typename
    ... on DeletePortfolioTransactionSuccess { portfolio { cash } deletedTransactionId }
    ... on UserError { code field message } } }"""
TRANSFER = """mutation($input: TransferBetweenPortfoliosInput!) {
  transferBetweenPortfolios(input: $input) { __typename
    ... on TransferSuccess { replayed source { cash } target { cash }
      transferOut { id type quantity } transferIn { id type quantity
        transferredLots { acquiredOn quantity costBasis } } }
    ... on UserError { code field message } } }"""
IMPORT = """mutation($input: ImportPortfolioTransactionsCsvInput!) {
  importPortfolioTransactionsCsv(input: $input) { __typename
    ... on ImportPortfolioCsvSuccess { imported replayed duplicates { line reference }
      mapping { id name } transactions { reference } }
    ... on ValidationError { code field problems { code field message } }
    ... on UserError { code field message } } }"""
EXPORT = """mutation($input: ExportCapitalGainsInput!) { exportCapitalGains(input: $input) {
  __typename ... on ExportLink { url expiresAt } ... on UserError { code field message } } }"""
PORTFOLIO = """query($id: ID!) { portfolio(id: $id) {
  id name cash baseCurrency costBasisMethod
  holdings { instrument { symbol name currency } quantity costBasis averageCost marketValue
             unrealizedGain weight dayChange price }
  lots(open: true) { id instrument { symbol } acquiredOn quantity costPerUnit costBasis }
  transactions(first: 50) { edges { node { id type date reference quantity price } } }
  income(first: 10) { type date amount instrument { symbol } }
} }"""
GAINS = """query($id: ID!) { portfolio(id: $id) {
  realizedGains(first: 20) { transaction { reference date } instrument { symbol } quantity
    proceeds fee costBasis gain term lots { acquiredOn quantity costBasis } }
} }"""


async def create(client: Any, token: str, name: str = "Main", **kw: Any) -> str:
    body = await gql(
        client,
        CREATE,
        {"input": {"name": name, "baseCurrency": kw.pop("base", "USD"), **kw}},
        token=token,
    )
    created = body["data"]["createPortfolio"]
    assert created["__typename"] == "PortfolioSuccess", body
    portfolio_id: str = created["portfolio"]["id"]
    return portfolio_id


async def record(
    client: Any, token: str, portfolio_id: str, rows: list[dict[str, Any]], key: str = "k1"
) -> dict[str, Any]:
    body = await gql(
        client,
        RECORD,
        {"input": {"portfolioId": portfolio_id, "idempotencyKey": key, "transactions": rows}},
        token=token,
    )
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]["recordPortfolioTransactions"]
    return found


BASICS: list[dict[str, Any]] = [
    {"type": "DEPOSIT", "date": "2024-01-02", "amount": "10000"},
    {
        "type": "BUY",
        "date": "2024-01-03",
        "symbol": "AAPL",
        "quantity": "10",
        "price": "100",
        "fee": "1",
        "reference": "b1",
    },
    {
        "type": "BUY",
        "date": "2024-02-01",
        "symbol": "AAPL",
        "quantity": "10",
        "price": "110",
        "fee": "1",
        "reference": "b2",
    },
    {
        "type": "SELL",
        "date": "2024-03-01",
        "symbol": "AAPL",
        "quantity": "5",
        "price": "120",
        "fee": "1",
        "reference": "s1",
    },
    {"type": "DIVIDEND", "date": "2024-03-15", "symbol": "AAPL", "amount": "7.50"},
    {"type": "SPLIT", "date": "2024-04-01", "symbol": "AAPL", "ratio": "2"},
]
