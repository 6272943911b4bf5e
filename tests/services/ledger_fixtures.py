"""Shared set-up for ledger tests: two organizations with a household chart each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from fiscus.domain.identity import Principal
from fiscus.services.ledger import accounts, posting
from fiscus.services.ledger.posting import LineInput
from tests.persistence.test_marketdata_reads import principal_of
from tests.persistence.test_row_level_security import _two_orgs


@dataclass
class Books:
    principal: Principal
    other: Principal
    codes: dict[str, UUID]
    other_codes: dict[str, UUID]


async def books(runtime) -> Books:
    a, b = await _two_orgs(runtime)
    pa, pb = principal_of(a), principal_of(b)
    chart = await accounts.apply_account_template(
        runtime.ledger, pa, template="household", currency="EUR"
    )
    other = await accounts.apply_account_template(
        runtime.ledger, pb, template="household", currency="EUR"
    )
    return Books(pa, pb, {x.code: x.id for x in chart}, {x.code: x.id for x in other})


def pair(debit: UUID, credit: UUID, amount: str) -> list[LineInput]:
    return [LineInput(debit, Decimal(amount)), LineInput(credit, -Decimal(amount))]


async def post(runtime, principal, lines, *, key: str, day: date = date(2026, 1, 15), memo=None):
    return await posting.post_journal_entry(
        runtime.ledger, principal, entry_date=day, memo=memo, lines=lines, idempotency_key=key
    )
