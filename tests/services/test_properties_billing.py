"""Golden: a lease's first year, worked by hand. Jan 15 - Dec 31, rent 1,500.00 due on the
1st with 5 grace days, a 1,500.00 deposit, a 50.00 late fee once per late month.

- Jan: prorated 17/31 days: 1,500 x 17 / 31 = 822.580645... -> 822.58, due Jan 15. Paid with
  the deposit on Jan 15 (2,322.58).
- Feb: paid late (Feb 10): the job on Feb 7 charges a 50.00 late fee (grace ended Feb 6).
  The Feb 10 payment of 1,500 settles February's rent (oldest due first); the fee stays open.
- Mar: partial payment of 1,000 on Mar 3: 50 to February's fee, 950 to March; March is still
  550 short at the end of Mar 6, so the job on Mar 7 charges another 50.00.
- Apr: overpayment of 3,000 on Apr 1: 550 + 50 + 1,500 (April, billed that morning), 900
  left as credit.
- May: the credit pays 900 of May when it is billed; 600 paid on May 3.
- Jun: a 1,500 check on Jun 2 bounces (voided Jun 8): June is open again and paid Jun 9; a
  200.00 cleaning charge made by mistake on Jun 10 is voided on Jun 12.
- Jul, Aug: the tenant pays on the 1st but the job does not run until Aug 2: the payments
  wait as credit and settle July and August when they are billed, dated the 1st, no fee.
- Sep - Dec: billed and paid on the 1st. The job then runs twice on Dec 31: nothing new.
"""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

from fiscus.domain.properties import LateFeeKind, LateFeeMode, LateFeeRule
from fiscus.domain.receivables import ChargeKind
from fiscus.services.ledger import queries as ledger_queries
from fiscus.services.properties import billing
from fiscus.services.receivables import charges, payments, queries, reports
from tests.services.properties_fixtures import building, lease
from tests.services.receivables_fixtures import assert_sound, books, charge, pay, tenant

D = date
FEE = LateFeeRule(LateFeeKind.FIXED, Decimal(50))


async def bill(runtime, principal, day):
    return await billing.bill_organization(runtime.ledger, principal.org_id, day)


async def aging_total(runtime, principal, day) -> tuple[Decimal, Decimal, Decimal]:
    """(total, current, 1-30)"""
    found = await reports.aging(runtime.ledger, principal, day, "total")
    figures = found.totals.get("USD")
    if figures is None:
        return Decimal(0), Decimal(0), Decimal(0)
    return figures.total, figures.current, figures.days_1_30


async def test_a_lease_first_year_worked_by_hand(runtime):
    b = await books(runtime)
    p, bank = b.principal, b.codes["1000"]
    _, (unit,) = await building(runtime, p)
    t = await tenant(runtime, p)
    made = await lease(
        runtime, p, unit.id, [t.id], ends=D(2026, 12, 31), deposit="1500", late_fee=FEE
    )
    assert [(c.kind, c.amount) for c in made.charges] == [(ChargeKind.DEPOSIT, Decimal(1500))]

    jan = await bill(runtime, p, D(2026, 1, 15))
    assert (jan.rent_charges, jan.late_fees) == (1, 0)
    rent_jan = (await queries.charges_by_ids(runtime.ledger, p, jan.charge_ids))[jan.charge_ids[0]]
    assert (rent_jan.amount, rent_jan.due_on) == (Decimal("822.58"), D(2026, 1, 15))
    await pay(runtime, p, t.id, "2322.58", D(2026, 1, 15), bank)
    assert await aging_total(runtime, p, D(2026, 1, 31)) == (0, 0, 0)

    assert (await bill(runtime, p, D(2026, 2, 1))).rent_charges == 1
    assert (await bill(runtime, p, D(2026, 2, 6))).late_fees == 0  # grace period
    feb = await bill(runtime, p, D(2026, 2, 7))
    assert (feb.rent_charges, feb.late_fees) == (0, 1)
    assert await aging_total(runtime, p, D(2026, 2, 8)) == (Decimal(1550), 0, Decimal(1550))
    await pay(runtime, p, t.id, "1500", D(2026, 2, 10), bank)
    assert await aging_total(runtime, p, D(2026, 2, 10)) == (Decimal(50), 0, Decimal(50))

    assert (await bill(runtime, p, D(2026, 3, 1))).rent_charges == 1
    partial = await pay(runtime, p, t.id, "1000", D(2026, 3, 3), bank)
    assert sorted(a.amount for a in partial.allocations) == [Decimal(50), Decimal(950)]
    assert (await bill(runtime, p, D(2026, 3, 7))).late_fees == 1
    assert await aging_total(runtime, p, D(2026, 3, 10)) == (Decimal(600), 0, Decimal(600))
    assert (await bill(runtime, p, D(2026, 3, 8))).late_fees == 0  # once per rule

    assert (await bill(runtime, p, D(2026, 4, 1))).rent_charges == 1
    over = await pay(runtime, p, t.id, "3000", D(2026, 4, 1), bank)
    assert sum((a.amount for a in over.allocations), Decimal(0)) == Decimal(2100)
    position = (await queries.positions(runtime.ledger, p, [t.id], D(2026, 4, 15)))[t.id]
    assert (position.balance, position.credit) == (0, Decimal(900))

    may = await bill(runtime, p, D(2026, 5, 1))
    assert (may.rent_charges, may.allocations) == (1, 1)
    assert await aging_total(runtime, p, D(2026, 5, 1)) == (Decimal(600), Decimal(600), 0)
    await pay(runtime, p, t.id, "600", D(2026, 5, 3), bank)

    await bill(runtime, p, D(2026, 6, 1))
    check = await pay(runtime, p, t.id, "1500", D(2026, 6, 2), bank, reference="chk 101")
    assert await aging_total(runtime, p, D(2026, 6, 5)) == (0, 0, 0)
    await payments.void_payment(
        runtime.ledger,
        p,
        check.payment.id,
        idempotency_key="bounce",
        day=D(2026, 6, 8),
        reason="bounced",
    )
    # The bounce is dated Jun 8: the books said June was paid at the end of its grace
    # period, so no fee; as of Jun 8 June is 7 days past due.
    assert (await bill(runtime, p, D(2026, 6, 8))).late_fees == 0
    assert await aging_total(runtime, p, D(2026, 6, 8)) == (Decimal(1500), 0, Decimal(1500))
    assert await aging_total(runtime, p, D(2026, 6, 7)) == (0, 0, 0)
    await pay(runtime, p, t.id, "1500", D(2026, 6, 9), bank)
    cleaning = await charge(
        runtime,
        p,
        t.id,
        "200",
        D(2026, 6, 10),
        kind=ChargeKind.INVOICE,
        account_id=b.codes["4100"],
    )
    assert await aging_total(runtime, p, D(2026, 6, 11)) == (Decimal(200), 0, Decimal(200))
    await charges.void_charge(
        runtime.ledger, p, cleaning.charge.id, idempotency_key="oops", day=D(2026, 6, 12)
    )
    assert await aging_total(runtime, p, D(2026, 6, 12)) == (0, 0, 0)

    await pay(runtime, p, t.id, "1500", D(2026, 7, 1), bank)
    await pay(runtime, p, t.id, "1500", D(2026, 8, 1), bank)
    late_run = await bill(runtime, p, D(2026, 8, 2))
    assert (late_run.rent_charges, late_run.allocations, late_run.late_fees) == (2, 2, 0)
    assert await aging_total(runtime, p, D(2026, 7, 31)) == (0, 0, 0)

    for month in range(9, 13):
        await bill(runtime, p, D(2026, month, 1))
        await pay(runtime, p, t.id, "1500", D(2026, month, 1), bank)
    twice = await asyncio.gather(
        bill(runtime, p, D(2026, 12, 31)), bill(runtime, p, D(2026, 12, 31))
    )
    assert [(r.rent_charges, r.late_fees) for r in twice] == [(0, 0), (0, 0)]

    year = await queries.charges_page(
        runtime.ledger, p, queries.ChargeFilters(counterparty_id=t.id), limit=100
    )
    kinds = sorted(c.kind.value for c in year if c.voided_on is None)
    assert kinds == ["deposit", *["late_fee"] * 2, *["rent"] * 12]
    assert await aging_total(runtime, p, D(2026, 12, 31)) == (0, 0, 0)
    final = (await queries.positions(runtime.ledger, p, [t.id], D(2026, 12, 31)))[t.id]
    assert (final.balance, final.credit) == (0, 0)

    chart = {a.code: a.id for a in await ledger_queries.accounts(runtime.ledger, p)}
    books_at_end = await ledger_queries.balances_as_of(
        runtime.ledger,
        p,
        [
            chart["RENT-INCOME-USD"],
            chart["LATE-FEES-USD"],
            chart["DEPOSITS-HELD-USD"],
            chart["AR-USD"],
            bank,
        ],
        D(2026, 12, 31),
    )
    assert books_at_end == {
        chart["RENT-INCOME-USD"]: Decimal("-17322.58"),  # 822.58 + 11 x 1,500
        chart["LATE-FEES-USD"]: Decimal(-100),
        chart["DEPOSITS-HELD-USD"]: Decimal(-1500),
        chart["AR-USD"]: Decimal(0),
        bank: Decimal("18922.58"),  # every payment, less the bounced check
    }
    statement = await reports.statement_of_account(
        runtime.ledger, p, t.id, D(2026, 1, 1), D(2026, 6, 30)
    )
    s = statement.statement
    assert (s.opening, s.closing) == (0, 0)
    assert s.total_charged == Decimal("9922.58") and s.total_paid == Decimal("9922.58")
    assert [(x.kind.value, x.day) for x in s.lines if "void" in x.kind.value] == [
        ("payment_void", D(2026, 6, 8)),
        ("charge_void", D(2026, 6, 12)),
    ]
    await assert_sound(runtime, p)
    assert (await ledger_queries.check_integrity(runtime.ledger, p)).sound


async def test_tenants_share_the_rent_and_the_cents_go_to_the_first(runtime):
    b = await books(runtime)
    p = b.principal
    _, (unit,) = await building(runtime, p)
    first = await tenant(runtime, p, "First")
    second = await tenant(runtime, p, "Second")
    third = await tenant(runtime, p, "Third")
    await lease(
        runtime,
        p,
        unit.id,
        [first.id, second.id, third.id],
        starts=D(2026, 1, 1),
        rent="1000.00",
        shares=["0.3334", "0.3333", "0.3333"],
    )
    report = await bill(runtime, p, D(2026, 1, 1))
    found = await queries.charges_by_ids(runtime.ledger, p, report.charge_ids)
    amounts = {c.counterparty_id: c.amount for c in found.values()}
    assert amounts == {
        first.id: Decimal("333.40"),
        second.id: Decimal("333.30"),
        third.id: Decimal("333.30"),
    }


async def test_daily_late_fees_stop_at_the_cap_and_when_paid(runtime):
    b = await books(runtime)
    p = b.principal
    _, (unit,) = await building(runtime, p)
    t = await tenant(runtime, p)
    rule = LateFeeRule(LateFeeKind.PERCENT, Decimal(2), LateFeeMode.DAILY, Decimal(100))
    await lease(
        runtime, p, unit.id, [t.id], starts=D(2026, 1, 1), rent="1000", grace=3, late_fee=rule
    )
    await bill(runtime, p, D(2026, 1, 1))
    # Due Jan 1, grace through Jan 4: 20.00 a day from Jan 5, 100.00 at most.
    report = await bill(runtime, p, D(2026, 1, 6))
    assert report.late_fees == 2
    later = await bill(runtime, p, D(2026, 1, 31))  # late, but each day counted once
    assert later.late_fees == 3
    fees = await queries.charges_page(
        runtime.ledger, p, queries.ChargeFilters(kind="late_fee"), limit=50
    )
    assert sorted((c.issued_on, c.amount) for c in fees) == [
        (D(2026, 1, day), Decimal("20.00")) for day in range(5, 10)
    ]
    await assert_sound(runtime, p)


async def test_terminating_a_lease_voids_later_rent_and_rebills_the_last_month(runtime):
    from fiscus.services.properties import leases

    b = await books(runtime)
    p = b.principal
    _, (unit,) = await building(runtime, p)
    t = await tenant(runtime, p)
    made = await lease(runtime, p, unit.id, [t.id], starts=D(2026, 1, 1), rent="3100")
    await bill(runtime, p, D(2026, 3, 1))  # Jan, Feb, Mar
    await pay(runtime, p, t.id, "9300", D(2026, 3, 1), b.codes["1000"])
    ended = await leases.terminate_lease(
        runtime.ledger, p, made.lease.id, last_day=D(2026, 2, 10), idempotency_key="end"
    )
    # February re-billed for 10 of 28 days: 3,100 x 10 / 28 = 1,107.142857 -> 1,107.14.
    assert [(c.amount, c.issued_on) for c in ended.charges] == [(Decimal("1107.14"), D(2026, 2, 1))]
    assert sorted(c.issued_on for c in ended.voided) == [D(2026, 2, 1), D(2026, 3, 1)]
    position = (await queries.positions(runtime.ledger, p, [t.id], D(2026, 3, 31)))[t.id]
    assert (position.balance, position.credit) == (0, Decimal("3100") * 2 - Decimal("1107.14"))
    assert (await bill(runtime, p, D(2026, 6, 1))).rent_charges == 0
    await assert_sound(runtime, p)
