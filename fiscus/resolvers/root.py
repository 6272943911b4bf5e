"""The root schema: every area's Query, Mutation and Subscription merged into one.

It lives in ``resolvers`` (not ``schema``) because it imports every resolver; ``schema``
holds the types, which import no resolver.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

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
from fiscus.resolvers.ledger import LedgerMutation, LedgerQuery, LedgerSubscription
from fiscus.resolvers.ledger.statements import ExportsMutation, StatementsQuery
from fiscus.resolvers.marketdata import MarketDataMutation, MarketDataQuery
from fiscus.resolvers.marketdata.subscriptions import MarketDataSubscription
from fiscus.schema import bank_connections as connection_types
from fiscus.schema import bank_lines as line_types
from fiscus.schema import categorization as categorization_types
from fiscus.schema import identity as identity_types
from fiscus.schema import imports as import_types
from fiscus.schema import ledger as ledger_types
from fiscus.schema import marketdata as marketdata_types
from fiscus.schema.scalars import Money

Query = merge_types(
    "Query",
    (
        IdentityQuery,
        MarketDataQuery,
        LedgerQuery,
        StatementsQuery,
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
        ImportsMutation,
        CategorizationMutation,
        BankConnectionsMutation,
    ),
)
Subscription = merge_types(
    "Subscription",
    (IdentitySubscription, MarketDataSubscription, LedgerSubscription, ImportsSubscription),
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
    )
