"""The receivables sub-ledger through its services, against the real database: charges,
payments, allocations (automatic, explicit, partial, over), voids, and the ledger agreeing
with the documents after each."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import pytest

from fiscus.domain.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from fiscus.domain.receivables import AllocationMode, ChargeKind, ChargeStatus, CounterpartyKind
from fiscus.services.ledger import accounts as ledger_accounts
from fiscus.services.ledger import queries as ledger_queries
from fiscus.services.receivables import charges, payments, queries, reports
from tests.services.receivables_fixtures import (
    assert_sound,
    books,
    charge,
    pay,
    position,
    tenant,
)

JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


async def test_a_charge_posts_to_the_receivable_and_income_with_the_counterparty(runtime):
    b = await books(runtime)
    t = await tenant(runtime, b.principal)
    made = await charge(runtime, b.principal, t.id, "1200.00", JAN, dimensions={"building": "elm"})
    assert made.charge.status is ChargeStatus.OPEN and made.allocations == []
    assert (await position(runtime, b.principal, t.id)).balance == Decimal("1200")
    chart = {a.code: a for a in await ledger_queries.accounts(runtime.ledger, b.principal)}
    assert t.control_account_id == chart["AR-USD"].id
    assert t.credit_account_id == chart["AR-CREDITS-USD"].id
    balances = await ledger_queries.balances_as_of(
        runtime.ledger,
        b.principal,
        [chart["AR-USD"].id, chart["RENT-INCOME-USD"].id],
        JAN,
    )
    assert balances == {chart["AR-USD"].id: Decimal("1200"), chart["RENT-INCOME-USD"].id: -1200}
    lines = await ledger_queries.lines_of_entries(
        runtime.ledger, b.principal, [made.charge.entry_id]
    )
    assert {
        (line.counterparty, line.dimensions["building"]) for line in lines[made.charge.entry_id]
    } == {(str(t.id), "elm")}
    await assert_sound(runtime, b.principal)
    assert (await ledger_queries.check_integrity(runtime.ledger, b.principal)).sound


async def test_payments_allocate_oldest_due_first_partially_and_carry_credit(runtime):
    b = await books(runtime)
    bank = b.codes["1000"]
    t = await tenant(runtime, b.principal)
    feb = await charge(runtime, b.principal, t.id, "1000", FEB)
    jan = await charge(runtime, b.principal, t.id, "1000", JAN)
    partial = await pay(runtime, b.principal, t.id, "1500", date(2026, 2, 3), bank)
    assert [(a.charge_id, a.amount) for a in partial.allocations] == [
        (jan.charge.id, Decimal("1000")),
        (feb.charge.id, Decimal("500")),
    ]
    # Allocations are dated the later of the payment and the charge.
    assert {a.allocated_on for a in partial.allocations} == {date(2026, 2, 3)}
    assert await position(runtime, b.principal, t.id) == queries.Position(Decimal(500), 0)
    over = await pay(runtime, b.principal, t.id, "800", date(2026, 2, 10), bank)
    assert [(a.charge_id, a.amount) for a in over.allocations] == [(feb.charge.id, 500)]
    assert await position(runtime, b.principal, t.id) == queries.Position(0, Decimal(300))
    # The credit goes to the next charge, in the same transaction.
    mar = await charge(runtime, b.principal, t.id, "1000", MAR)
    assert [(a.amount, a.allocated_on) for a in mar.allocations] == [(Decimal(300), MAR)]
    assert await position(runtime, b.principal, t.id) == queries.Position(Decimal(700), 0)
    statuses = await queries.charges_by_ids(
        runtime.ledger, b.principal, [jan.charge.id, feb.charge.id, mar.charge.id]
    )
    assert [statuses[c.charge.id].status for c in (jan, feb, mar)] == [
        ChargeStatus.PAID,
        ChargeStatus.PAID,
        ChargeStatus.OPEN,
    ]
    assert statuses[jan.charge.id].settled_from == date(2026, 2, 3)
    assert statuses[feb.charge.id].settled_from == date(2026, 2, 10)
    await assert_sound(runtime, b.principal)


async def test_explicit_allocations_never_exceed_the_charge_or_the_payment(runtime):
    b = await books(runtime)
    bank = b.codes["1000"]
    t = await tenant(runtime, b.principal)
    jan = await charge(runtime, b.principal, t.id, "100", JAN)
    feb = await charge(runtime, b.principal, t.id, "100", FEB)
    with pytest.raises(ValidationFailed) as failure:
        await pay(
            runtime,
            b.principal,
            t.id,
            "150",
            FEB,
            bank,
            mode=AllocationMode.EXPLICIT,
            rows=[(jan.charge.id, "120"), (feb.charge.id, "100")],
        )
    assert [(i.field, i.code) for i in failure.value.issues] == [
        ("allocations[0].amount", "OVER_ALLOCATED")
    ]
    with pytest.raises(ValidationFailed) as failure:
        await pay(
            runtime,
            b.principal,
            t.id,
            "150",
            FEB,
            bank,
            mode=AllocationMode.EXPLICIT,
            rows=[(jan.charge.id, "100"), (feb.charge.id, "100")],
        )
    assert [(i.field, i.code) for i in failure.value.issues] == [
        ("allocations[1].amount", "OVER_ALLOCATED")
    ]
    assert await position(runtime, b.principal, t.id) == queries.Position(Decimal(200), 0)
    made = await pay(
        runtime,
        b.principal,
        t.id,
        "150",
        FEB,
        bank,
        mode=AllocationMode.EXPLICIT,
        rows=[(feb.charge.id, "60")],
    )
    assert [(a.charge_id, a.amount) for a in made.allocations] == [(feb.charge.id, 60)]
    assert await position(runtime, b.principal, t.id) == queries.Position(Decimal(140), 90)
    # What is left of the payment is allocated later, automatically.
    later = await payments.allocate_payment(
        runtime.ledger,
        b.principal,
        made.payment.id,
        mode=AllocationMode.AUTO,
        allocations=[],
        idempotency_key="alloc-1",
    )
    assert [(a.charge_id, a.amount) for a in later.allocations] == [(jan.charge.id, 90)]
    with pytest.raises(RuleViolation) as refused:
        await payments.allocate_payment(
            runtime.ledger,
            b.principal,
            made.payment.id,
            mode=AllocationMode.AUTO,
            allocations=[],
            idempotency_key="alloc-2",
        )
    assert refused.value.code == "OVER_ALLOCATED"
    await assert_sound(runtime, b.principal)


async def test_voiding_a_payment_reverses_it_and_reopens_its_charges(runtime):
    b = await books(runtime)
    bank = b.codes["1000"]
    t = await tenant(runtime, b.principal)
    jan = await charge(runtime, b.principal, t.id, "100", JAN)
    paid = await pay(runtime, b.principal, t.id, "100", date(2026, 1, 5), bank)
    assert await position(runtime, b.principal, t.id) == queries.Position(0, 0)
    with pytest.raises(ValidationFailed) as early:
        await payments.void_payment(
            runtime.ledger,
            b.principal,
            paid.payment.id,
            idempotency_key="v0",
            day=date(2026, 1, 4),
        )
    assert early.value.field == "date"
    voided = await payments.void_payment(
        runtime.ledger,
        b.principal,
        paid.payment.id,
        idempotency_key="v1",
        day=date(2026, 1, 20),
        reason="bounced",
    )
    assert voided.payment.voided_on == date(2026, 1, 20)
    assert await position(runtime, b.principal, t.id) == queries.Position(Decimal(100), 0)
    # As of a day before the void, the charge was settled.
    assert await position(runtime, b.principal, t.id, date(2026, 1, 10)) == queries.Position(0, 0)
    found = await queries.charges_by_ids(runtime.ledger, b.principal, [jan.charge.id])
    assert found[jan.charge.id].status is ChargeStatus.OPEN
    again = await payments.void_payment(
        runtime.ledger,
        b.principal,
        paid.payment.id,
        idempotency_key="v1",
        day=date(2026, 1, 20),
        reason="bounced",
    )
    assert again.replayed
    with pytest.raises(RuleViolation) as twice:
        await payments.void_payment(
            runtime.ledger, b.principal, paid.payment.id, idempotency_key="v2"
        )
    assert twice.value.code == "ALREADY_VOIDED"
    await assert_sound(runtime, b.principal)


async def test_voiding_a_charge_frees_its_allocations_as_credit(runtime):
    b = await books(runtime)
    bank = b.codes["1000"]
    t = await tenant(runtime, b.principal)
    jan = await charge(runtime, b.principal, t.id, "100", JAN)
    await pay(runtime, b.principal, t.id, "60", date(2026, 1, 5), bank)
    await charges.void_charge(
        runtime.ledger, b.principal, jan.charge.id, idempotency_key="vc", day=date(2026, 1, 6)
    )
    assert await position(runtime, b.principal, t.id) == queries.Position(0, Decimal(60))
    stored = (await queries.charges_by_ids(runtime.ledger, b.principal, [jan.charge.id]))[
        jan.charge.id
    ]
    assert stored.status is ChargeStatus.VOID and stored.settled_from == date(2026, 1, 6)
    # The charge is still there, with its history.
    allocations = await queries.allocations_of_charges(runtime.ledger, b.principal, [stored.id])
    assert [(a.amount, a.voided_on) for a in allocations[stored.id]] == [
        (Decimal(60), date(2026, 1, 6))
    ]
    aging = await reports.aging(runtime.ledger, b.principal, date(2026, 1, 5), "counterparty")
    assert aging.totals["USD"].total == Decimal(40)
    await assert_sound(runtime, b.principal)


async def test_idempotency_keys_replay_and_refuse_another_request(runtime):
    b = await books(runtime)
    t = await tenant(runtime, b.principal)
    first = await charge(runtime, b.principal, t.id, "100", JAN, key="c1")
    again = await charge(runtime, b.principal, t.id, "100", JAN, key="c1")
    assert again.replayed and again.charge.id == first.charge.id
    with pytest.raises(Conflict) as reused:
        await charge(runtime, b.principal, t.id, "101", JAN, key="c1")
    assert reused.value.code == "IDEMPOTENCY_KEY_REUSED"
    assert (await position(runtime, b.principal, t.id)).balance == Decimal(100)


async def test_inputs_are_checked_and_nothing_is_written_on_error(runtime):
    b = await books(runtime)
    t = await tenant(runtime, b.principal)
    with pytest.raises(NotFound) as missing:
        await charge(runtime, b.principal, b.other_codes["1000"], "1", JAN)
    assert missing.value.field == "counterpartyId"
    with pytest.raises(ValidationFailed) as scale:
        await charge(runtime, b.principal, t.id, "1.001", JAN)
    assert scale.value.field == "amount"
    with pytest.raises(ValidationFailed) as needs_account:
        await charge(runtime, b.principal, t.id, "1", JAN, kind=ChargeKind.INVOICE)
    assert needs_account.value.field == "accountId"
    with pytest.raises(NotFound) as foreign:
        await charge(
            runtime,
            b.principal,
            t.id,
            "1",
            JAN,
            kind=ChargeKind.INVOICE,
            account_id=b.other_codes["4000"],
        )
    assert foreign.value.field == "accountId"
    await ledger_accounts.set_archived(runtime.ledger, b.principal, b.codes["4100"], archived=True)
    with pytest.raises(ValidationFailed) as archived:
        await charge(
            runtime,
            b.principal,
            t.id,
            "1",
            JAN,
            kind=ChargeKind.INVOICE,
            account_id=b.codes["4100"],
        )
    assert archived.value.issues[0].code == "ACCOUNT_ARCHIVED"
    with pytest.raises(ValidationFailed) as other_currency:
        await charge(runtime, b.principal, t.id, "1", JAN, currency="EUR")
    assert other_currency.value.code == "CURRENCY_MISMATCH"
    with pytest.raises(ValidationFailed) as control:
        await pay(runtime, b.principal, t.id, "1", JAN, t.control_account_id)
    assert control.value.field == "accountId"
    assert (await position(runtime, b.principal, t.id)) == queries.Position(0, 0)
    await assert_sound(runtime, b.principal)


async def test_a_closed_period_refuses_postings_naming_the_date(runtime):
    from fiscus.services.ledger import periods

    b = await books(runtime)
    t = await tenant(runtime, b.principal)
    await periods.close_period(runtime.ledger, b.principal, through=date(2026, 1, 31))
    with pytest.raises(RuleViolation) as closed:
        await charge(runtime, b.principal, t.id, "1", JAN)
    assert closed.value.code == "PERIOD_CLOSED" and closed.value.field == "issuedOn"
    assert (await position(runtime, b.principal, t.id)).balance == 0


async def test_vendor_bills_and_payments_post_the_mirror_entries(runtime):
    b = await books(runtime)
    v = await tenant(
        runtime,
        b.principal,
        "Fix-It Plumbing",
        CounterpartyKind.VENDOR,
        default_account_id=b.codes["5000"],
    )
    bill = await charge(runtime, b.principal, v.id, "250", JAN, kind=ChargeKind.BILL)
    await pay(runtime, b.principal, v.id, "250", date(2026, 1, 20), b.codes["1000"])
    assert await position(runtime, b.principal, v.id) == queries.Position(0, 0)
    balances = await ledger_queries.balances_as_of(
        runtime.ledger,
        b.principal,
        [b.codes["5000"], b.codes["1000"], v.control_account_id],
        date(2026, 1, 31),
    )
    assert balances == {
        b.codes["5000"]: Decimal(250),
        b.codes["1000"]: Decimal(-250),
        v.control_account_id: Decimal(0),
    }
    assert bill.charge.account_id == b.codes["5000"]
    await assert_sound(runtime, b.principal)


async def test_concurrent_payments_never_over_allocate_one_charge(runtime):
    b = await books(runtime)
    t = await tenant(runtime, b.principal)
    jan = await charge(runtime, b.principal, t.id, "100", JAN)
    results = await asyncio.gather(
        *(
            pay(runtime, b.principal, t.id, "70", date(2026, 1, 2), b.codes["1000"])
            for _ in range(4)
        )
    )
    allocated = sum(
        (a.amount for r in results for a in r.allocations if a.charge_id == jan.charge.id),
        Decimal(0),
    )
    assert allocated == Decimal(100)
    assert await position(runtime, b.principal, t.id) == queries.Position(0, Decimal(180))
    await assert_sound(runtime, b.principal)
