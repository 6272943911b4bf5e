"""The receivables and properties use cases run on the ledger's context: they post to the
ledger in their own transactions and read through the same read scopes, and need nothing
the ledger's context lacks."""

from __future__ import annotations

from fiscus.services.ledger.context import LedgerContext

ReceivablesContext = LedgerContext
