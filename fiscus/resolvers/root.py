"""The root schema: every area's Query, Mutation and Subscription merged into one.

It lives in ``resolvers`` (not ``schema``) because it imports every resolver; ``schema``
holds the types, which import no resolver.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from fiscus.resolvers.analytics import AnalyticsMutation, AnalyticsQuery, AnalyticsSubscription
from fiscus.resolvers.budgets import BudgetsMutation, BudgetsQuery
from fiscus.resolvers.debts import DebtsMutation, DebtsQuery
from fiscus.resolvers.identity import (
    IdentityMutation,
    IdentityQuery,
    IdentitySubscription,
    Organization,
)
from fiscus.resolvers.imports import (
    BankConnectionsMutation,
    CategorizationMutation,
    CategorizationQuery,
    ImportsMutation,
    ImportsQuery,
    ImportsSubscription,
)
from fiscus.resolvers.income_expense import IncomeExpenseMutation, IncomeExpenseQuery
from fiscus.resolvers.ledger import LedgerMutation, LedgerQuery, LedgerSubscription
from fiscus.resolvers.ledger.statements import ExportsMutation, StatementsQuery
from fiscus.resolvers.marketdata import MarketDataMutation, MarketDataQuery
from fiscus.resolvers.marketdata.subscriptions import MarketDataSubscription
from fiscus.resolvers.portfolio_valuation import PortfolioValuationSubscription
from fiscus.resolvers.portfolios import PortfolioMutation, PortfolioQuery
from fiscus.resolvers.properties import PropertiesMutation, PropertiesQuery
from fiscus.resolvers.receivables import ReceivablesMutation, ReceivablesQuery
from fiscus.schema import bank_connections as connection_types
from fiscus.schema import bank_lines as line_types
from fiscus.schema import budgets as budget_types
from fiscus.schema import categorization as categorization_types
from fiscus.schema import debts as debt_types
from fiscus.schema import identity as identity_types
from fiscus.schema import imports as import_types
from fiscus.schema import income_expense as income_expense_types
from fiscus.schema import ledger as ledger_types
from fiscus.schema import marketdata as marketdata_types
from fiscus.schema import properties as properties_types
from fiscus.schema import receivables as receivables_types
from fiscus.schema.analytics import backtests as backtest_types
from fiscus.schema.execution import LeanExecutionContext
from fiscus.schema.portfolios import records as portfolio_records
from fiscus.schema.portfolios import types as portfolio_types
from fiscus.schema.scalars import Money

Query = merge_types(
    "Query",
    (
        IdentityQuery,
        MarketDataQuery,
        LedgerQuery,
        StatementsQuery,
        PortfolioQuery,
        DebtsQuery,
        BudgetsQuery,
        IncomeExpenseQuery,
        ReceivablesQuery,
        PropertiesQuery,
        AnalyticsQuery,
        ImportsQuery,
        CategorizationQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        IdentityMutation,
        MarketDataMutation,
        LedgerMutation,
        ExportsMutation,
        PortfolioMutation,
        DebtsMutation,
        BudgetsMutation,
        IncomeExpenseMutation,
        ReceivablesMutation,
        PropertiesMutation,
        AnalyticsMutation,
        ImportsMutation,
        CategorizationMutation,
        BankConnectionsMutation,
    ),
)
Subscription = merge_types(
    "Subscription",
    (
        IdentitySubscription,
        MarketDataSubscription,
        LedgerSubscription,
        PortfolioValuationSubscription,
        AnalyticsSubscription,
        ImportsSubscription,
    ),
)

NODE_TYPES = [
    identity_types.User,
    identity_types.Member,
    identity_types.Invitation,
    identity_types.AuditEvent,
    Organization,
    marketdata_types.Instrument,
    ledger_types.Account,
    ledger_types.JournalEntry,
    portfolio_types.Portfolio,
    portfolio_records.PortfolioTransaction,
    debt_types.Debt,
    budget_types.Budget,
    budget_types.Goal,
    income_expense_types.Attachment,
    receivables_types.Counterparty,
    receivables_types.Charge,
    receivables_types.Payment,
    properties_types.Building,
    properties_types.Unit,
    properties_types.Lease,
    backtest_types.Backtest,
    import_types.BankImport,
    line_types.BankLine,
    connection_types.CsvMapping,
    connection_types.BankConnection,
    categorization_types.CategorizationRule,
]


class FiscusSchema(strawberry.Schema):
    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        """The transports log unexpected errors once, with the request id; Strawberry's own
        logging would print them a second time."""


def build_schema() -> strawberry.Schema:
    return FiscusSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[*NODE_TYPES, Money],
        config=StrawberryConfig(
            scalar_map={marketdata_types.BigInt: marketdata_types.BIG_INT_SCALAR}
        ),
        execution_context_class=LeanExecutionContext,
    )
