"""Debts, budgets and goals as use cases on the real database: the daily due-payment scan
across organizations (once per debt and due date), concurrent payments of one debt
(serialized by the debt's row lock), and budget alerts claimed once when concurrent
postings cross a threshold together."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal

import asyncpg

from fiscus.domain.debts import (
    DebtKind,
    DebtTermsInput,
    PaymentRule,
    PaymentRuleKind,
    replay,
)
from fiscus.domain.debts.arithmetic import due_date, month_index
from fiscus.domain.errors import DomainError
from fiscus.services.budgets import manage as budgets
from fiscus.services.debts import payments, terms
from fiscus.workers.jobs.debts import notify_due_debt_payments
from tests.conftest import _plain
from tests.services.ledger_fixtures import books, pair, post

TODAY = date.today()


def terms_due_in(days: int) -> DebtTermsInput:
    """A loan whose next payment day is ``days`` from today (it started the month before
    that payment day's month, so that day is its first payment day)."""
    due = TODAY + timedelta(days=days)
    return DebtTermsInput(
        name=f"Due in {days}",
        kind=DebtKind.PERSONAL_LOAN,
        currency="EUR",
        opening_balance=Decimal("5000.00"),
        annual_rate_percent=Decimal("7.5"),
        rule=PaymentRule(PaymentRuleKind.ANNUITY, term_months=24),
        payment_day=due.day,
        start_date=due_date(month_index(due) - 1, 1),
    )


async def audit_actions(database_url: str, org_id) -> list[str]:
    owner = await asyncpg.connect(_plain(database_url))
    try:
        rows = await owner.fetch("SELECT action FROM audit_events WHERE org_id = $1", org_id)
    finally:
        await owner.close()
    return [r["action"] for r in rows]


async def test_due_payments_are_announced_once_per_debt_and_due_date(runtime, database_url):
    b = await books(runtime)
    ctx = runtime.planning
    for principal, codes in ((b.principal, b.codes), (b.other, b.other_codes)):
        for stated in (terms_due_in(2), terms_due_in(20)):
            await terms.create_debt(
                ctx,
                principal,
                stated,
                liability_account_id=codes["2100"],
                interest_account_id=codes["5900"],
            )
    job = {"runtime": runtime}
    first = await notify_due_debt_payments(job)  # type: ignore[arg-type]
    again = await notify_due_debt_payments(job)  # type: ignore[arg-type]
    assert (first, again) == (2, 0)  # one per organization's due-soon debt, never twice
    for principal in (b.principal, b.other):
        actions = await audit_actions(database_url, principal.org_id)
        assert actions.count("debt.payment_due") == 1


async def test_concurrent_payments_of_one_debt_split_in_turn(runtime):
    b = await books(runtime)
    ctx = runtime.planning
    debt = await terms.create_debt(
        ctx,
        b.principal,
        DebtTermsInput(
            "Loan",
            DebtKind.PERSONAL_LOAN,
            "EUR",
            Decimal("1000.00"),
            Decimal("12"),
            PaymentRule(PaymentRuleKind.FIXED, amount=Decimal("100.00")),
            1,
            TODAY - timedelta(days=70),
        ),
        liability_account_id=b.codes["2100"],
        interest_account_id=b.codes["5900"],
    )
    day = TODAY

    async def pay(n: int):
        return await payments.record_debt_payment(
            ctx,
            b.principal,
            debt.id,
            paid_on=day,
            amount=Decimal("100.00"),
            from_account_id=b.codes["1010"],
            idempotency_key=f"p{n}",
        )

    done = await asyncio.gather(*(pay(n) for n in range(5)))
    interest = sorted((d.payment.interest for d in done), reverse=True)
    # Interest charged on the payment days passed is paid once, by the first payment.
    assert interest[1:] == [Decimal("0.00")] * 4 and interest[0] > 0
    state = replay(debt, max((d.payments for d in done), key=len), TODAY)
    assert state.total_paid == Decimal("500.00")
    assert state.balance == Decimal("1000.00") - (Decimal("500.00") - interest[0])


async def test_an_alert_is_claimed_once_when_postings_cross_together(runtime, database_url):
    b = await books(runtime)
    ctx = runtime.planning
    await budgets.create_budget(
        ctx,
        b.principal,
        name="Food",
        account_id=b.codes["5100"],
        include_subtree=True,
        amount=Decimal("100"),
        rollover=budgets.Rollover.NONE,
        alert_threshold_percent=Decimal(50),
        start_month=TODAY.replace(day=1),
    )
    await asyncio.gather(
        *(
            post(
                runtime,
                b.principal,
                pair(b.codes["5100"], b.codes["1010"], "60"),
                key=f"k{n}",
                day=TODAY,
            )
            for n in range(6)
        )
    )
    actions = await audit_actions(database_url, b.principal.org_id)
    assert actions.count("budget.threshold") == 1


async def test_a_debt_refuses_accounts_of_other_types(runtime):
    b = await books(runtime)
    try:
        await terms.create_debt(
            runtime.planning,
            b.principal,
            terms_due_in(3),
            liability_account_id=b.codes["1010"],
            interest_account_id=b.codes["5900"],
        )
    except DomainError as refused:
        assert (refused.code, refused.field) == ("WRONG_ACCOUNT_TYPE", "liabilityAccountId")
    else:
        raise AssertionError("an asset was accepted as the liability")
