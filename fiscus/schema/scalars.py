"""Shared value types. ``Decimal`` (strawberry's scalar) is serialized as a string, so no
client ever sees a float amount; ``DateTime`` is ISO 8601 in UTC."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from fiscus.domain import money


@strawberry.type(description="An exact amount in an ISO 4217 currency.")
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def from_domain(cls, value: money.Money) -> Money:
        return cls(amount=value.amount, currency=value.currency)
