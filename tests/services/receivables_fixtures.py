"""Shared set-up for receivables tests: an organization (and a second one) with the
property-management chart, and short helpers over the services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from fiscus.domain.identity import Principal
from fiscus.domain.receivables import AllocationMode, ChargeKind, CounterpartyKind, Requested
from fiscus.services.ledger import accounts
from fiscus.services.receivables import charges, counterparties, payments, queries
from tests.persistence.test_marketdata_reads import principal_of
from tests.persistence.test_row_level_security import _two_orgs


@dataclass
class Books:
    principal: Principal
    other: Principal
    codes: dict[str, UUID]
    other_codes: dict[str, UUID]


async def books(runtime, currency: str = "USD") -> Books:
    a, b = await _two_orgs(runtime)
    pa, pb = principal_of(a), principal_of(b)
    chart = await accounts.apply_account_template(
        runtime.ledger, pa, template="property_management", currency=currency
    )
    other = await accounts.apply_account_template(
        runtime.ledger, pb, template="property_management", currency=currency
    )
    return Books(pa, pb, {x.code: x.id for x in chart}, {x.code: x.id for x in other})


async def tenant(runtime, principal, name="Tina Tenant", kind=CounterpartyKind.TENANT, **kw):
    return await counterparties.create_counterparty(
        runtime.ledger, principal, kind=kind, name=name, currency=kw.pop("currency", "USD"), **kw
    )


async def charge(
    runtime,
    principal,
    counterparty_id,
    amount,
    due,
    *,
    kind=ChargeKind.RENT,
    key=None,
    **kw,
):
    return await charges.create_charge(
        runtime.ledger,
        principal,
        charges.ChargeInput(counterparty_id, kind, Decimal(amount), due, **kw),
        idempotency_key=key or uuid.uuid4().hex,
    )


async def pay(
    runtime,
    principal,
    counterparty_id,
    amount,
    day,
    account_id,
    *,
    mode=AllocationMode.AUTO,
    rows=(),
    key=None,
    **kw,
):
    return await payments.record_payment(
        runtime.ledger,
        principal,
        payments.PaymentInput(
            counterparty_id,
            Decimal(amount),
            day,
            account_id,
            allocate=mode,
            allocations=[Requested(c, Decimal(a)) for c, a in rows],
            **kw,
        ),
        idempotency_key=key or uuid.uuid4().hex,
    )


async def position(runtime, principal, counterparty_id, day=date(2099, 1, 1)):
    found = await queries.positions(runtime.ledger, principal, [counterparty_id], day)
    return found[counterparty_id]


async def assert_sound(runtime, principal):
    report = await queries.check_integrity(runtime.ledger, principal)
    assert report.sound, report
    return report
