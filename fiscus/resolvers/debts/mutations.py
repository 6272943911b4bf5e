"""Debt mutations: one ``input`` each, one service call, typed errors; money moves with an
idempotency key (recordDebtPayment, createDebt with an opening entry)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from fiscus.domain.debts import DebtTermsInput, PaymentRule, RateChange
from fiscus.domain.identity import Permission
from fiscus.resolvers.debts.queries import debt_id
from fiscus.resolvers.ledger import ids
from fiscus.schema import debts as types
from fiscus.schema.errors import attempt
from fiscus.schema.permissions import requires
from fiscus.services.debts import payments, terms

WRITE = [requires(Permission.DEBTS_WRITE)]


@strawberry.type
class DebtsMutation:
    @strawberry.mutation(
        description="A debt on a LIABILITY account, its interest posted to an EXPENSE "
        "account; with openingOffsetAccountId its opening balance is posted too.",
        permission_classes=WRITE,
    )
    async def create_debt(self, info: Info, input: types.CreateDebtInput) -> types.DebtResult:
        principal = await info.context.require_principal()

        async def run() -> types.DebtSuccess:
            rule = input.payment_rule
            stated = DebtTermsInput(
                name=input.name,
                kind=input.kind,
                currency=input.currency,
                opening_balance=input.opening_balance,
                annual_rate_percent=input.annual_rate_percent,
                rule=PaymentRule(
                    rule.kind, rule.term_months, rule.amount, rule.percent, rule.floor
                ),
                payment_day=input.payment_day,
                start_date=input.start_date,
                lender=input.lender,
                accrual=input.accrual,
                rate_policy=input.rate_policy,
                rate_changes=tuple(
                    RateChange(c.from_, c.annual_rate_percent) for c in input.rate_changes or ()
                ),
            )
            opening = None
            if input.opening_offset_account_id is not None:
                opening = terms.Opening(
                    ids.account_id(input.opening_offset_account_id, "openingOffsetAccountId"),
                    input.idempotency_key or "",
                )
            debt = await terms.create_debt(
                info.context.planning,
                principal,
                stated,
                liability_account_id=ids.account_id(input.liability_account_id),
                interest_account_id=ids.account_id(input.interest_account_id),
                opening=opening,
            )
            info.context.loaders.debt_payments.prime(debt.id, [])
            return types.DebtSuccess(debt=types.Debt.from_domain(debt))

        return await attempt(run)

    @strawberry.mutation(
        description="The rate from a date on; the debt's ratePolicy decides whether the "
        "payment or the term moves.",
        permission_classes=WRITE,
    )
    async def set_debt_rate_change(
        self, info: Info, input: types.DebtRateChangeInput
    ) -> types.DebtResult:
        principal = await info.context.require_principal()

        async def run() -> types.DebtSuccess:
            debt = await terms.set_rate_change(
                info.context.planning,
                principal,
                debt_id(input.debt_id),
                RateChange(input.from_, input.annual_rate_percent),
            )
            return types.DebtSuccess(debt=types.Debt.from_domain(debt))

        return await attempt(run)

    @strawberry.mutation(permission_classes=WRITE)
    async def close_debt(self, info: Info, input: types.DebtIdInput) -> types.DebtResult:
        principal = await info.context.require_principal()

        async def run() -> types.DebtSuccess:
            debt = await terms.close_debt(info.context.planning, principal, debt_id(input.debt_id))
            return types.DebtSuccess(debt=types.Debt.from_domain(debt))

        return await attempt(run)

    @strawberry.mutation(
        description="Posts a payment split into interest and principal as of its date; more "
        "than is owed is OVERPAYMENT (nothing posted). Same key and input: the original.",
        permission_classes=WRITE,
    )
    async def record_debt_payment(
        self, info: Info, input: types.RecordDebtPaymentInput
    ) -> types.DebtPaymentResult:
        principal = await info.context.require_principal()

        async def run() -> types.DebtPaymentSuccess:
            done = await payments.record_debt_payment(
                info.context.planning,
                principal,
                debt_id(input.debt_id),
                paid_on=input.date,
                amount=input.amount,
                extra=input.extra,
                from_account_id=ids.account_id(input.from_account_id, "fromAccountId"),
                idempotency_key=input.idempotency_key,
                memo=input.memo,
            )
            # The request's read snapshot may predate this commit: answer from what the
            # use case wrote.
            info.context.loaders.debt_payments.prime(done.debt.id, done.payments)
            return types.DebtPaymentSuccess(
                payment=types.DebtPayment.from_domain(done.payment),
                debt=types.Debt.from_domain(done.debt),
                replayed=done.replayed,
            )

        return await attempt(run)
