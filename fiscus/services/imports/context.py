"""What bank import use cases need, built once per process (``Runtime.open``)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Self

from fiscus.persistence.reads.scope import ReadScopes
from fiscus.realtime.broker import Broker
from fiscus.services.categorization.context import Acting, Actor, CategorizationContext
from fiscus.services.context import ServiceContext
from fiscus.services.imports.plaid.client import PlaidClient
from fiscus.services.imports.plaid.tokens import TokenCipher, token_cipher
from fiscus.services.imports.plaid.webhooks import VerificationKeys

__all__ = ["Acting", "Actor", "ImportsContext"]


@dataclass(kw_only=True)
class ImportsContext(ServiceContext):
    categorization: CategorizationContext
    broker: Broker | None = None
    """Where an import's progress is published while it runs (not after commit: progress is
    not a change of the books; the import's completion is sent after its commit)."""
    plaid: PlaidClient | None = None
    verification_keys: VerificationKeys | None = None
    _cipher: TokenCipher | None = field(default=None, repr=False)

    def sharing(self, reads: ReadScopes) -> Self:
        """A copy reading through ``reads``, its categorization context too."""
        return replace(self, reads=reads, categorization=self.categorization.sharing(reads))

    def cipher(self) -> TokenCipher:
        """The bank-token key, read (or, outside production, made) on first use."""
        if self._cipher is None:
            self._cipher = token_cipher(self.settings)
        return self._cipher

    def plaid_client(self) -> PlaidClient:
        if self.plaid is None:
            self.plaid = PlaidClient(self.settings.imports)
        return self.plaid
