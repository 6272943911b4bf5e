"""Instruments: what has a price. Provider-backed ones are global; manual ones belong to
one organization."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from uuid import UUID

from fiscus.domain.errors import FieldIssue, ValidationFailed


class InstrumentKind(enum.StrEnum):
    EQUITY = "equity"
    ETF = "etf"
    FUND = "fund"
    BOND = "bond"
    CRYPTO = "crypto"
    CURRENCY = "currency"
    CASH = "cash"
    OTHER = "other"


# Symbols as providers and people write them: AAPL, BRK-B, VWCE.DE, BTC-USD, EURUSD=X, ^GSPC.
_SYMBOL = re.compile(r"^[A-Z0-9^][A-Z0-9.\-=^/_:]{0,31}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_PRICE_PRECISION = 10


@dataclass(frozen=True, slots=True)
class Instrument:
    id: UUID
    symbol: str
    name: str
    kind: InstrumentKind
    currency: str
    exchange: str | None
    provider: str | None
    provider_symbol: str | None
    price_precision: int
    org_id: UUID | None = None
    """None for a global, provider-backed instrument; the owning organization for a manual
    one."""

    @property
    def is_manual(self) -> bool:
        return self.org_id is not None


def normalize_symbol(symbol: str, *, field_name: str = "symbol") -> str:
    candidate = symbol.strip().upper()
    if not _SYMBOL.match(candidate):
        raise ValidationFailed(
            [
                FieldIssue(
                    field_name,
                    "INVALID",
                    "A symbol is 1-32 characters: letters, digits and . - = ^ / _ :",
                )
            ]
        )
    return candidate


def normalize_currency(code: str, *, field_name: str = "currency") -> str:
    candidate = code.strip().upper()
    if not _CURRENCY.match(candidate):
        raise ValidationFailed(
            [FieldIssue(field_name, "INVALID", "A currency is an ISO 4217 code such as USD.")]
        )
    return candidate


def currency_pair_symbol(base: str, quote: str) -> str:
    """The symbol of the CURRENCY instrument pricing one ``base`` in ``quote``: EURUSD=X."""
    return f"{base}{quote}=X"
