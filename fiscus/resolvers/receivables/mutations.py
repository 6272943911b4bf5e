"""Receivables mutations: one ``input`` each, one service call, typed errors; idempotency
keys wherever money moves. ``RECEIVABLES_WRITE`` (members)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry
from strawberry.types import Info

from fiscus.domain.identity import Permission
from fiscus.resolvers.receivables import ids
from fiscus.schema import receivables as types
from fiscus.schema import receivables_inputs as inputs
from fiscus.schema.errors import UserError, attempt
from fiscus.schema.permissions import requires
from fiscus.services.receivables import charges, counterparties, payments

WRITE = [requires(Permission.RECEIVABLES_WRITE)]
R = TypeVar("R")


async def _attempt(info: Info, run: Callable[[], Awaitable[R]]) -> R | UserError:
    """``attempt``, then later reads of the request see what the mutation committed."""
    result = await attempt(run)
    if not isinstance(result, UserError):
        await info.context.after_write()
    return result


def _charge(outcome: charges.ChargeOutcome) -> inputs.ChargeSuccess:
    return inputs.ChargeSuccess(
        charge=types.Charge.from_domain(outcome.charge),
        allocations=[types.Allocation.from_domain(a) for a in outcome.allocations],
        replayed=outcome.replayed,
    )


def _payment(outcome: payments.PaymentOutcome) -> inputs.PaymentSuccess:
    return inputs.PaymentSuccess(
        payment=types.Payment.from_domain(outcome.payment),
        allocations=[types.Allocation.from_domain(a) for a in outcome.allocations],
        replayed=outcome.replayed,
    )


@strawberry.type
class ReceivablesMutation:
    @strawberry.mutation(
        description="A customer, tenant or vendor, with its control and credit accounts.",
        permission_classes=WRITE,
    )
    async def create_counterparty(
        self, info: Info, input: inputs.CreateCounterpartyInput
    ) -> inputs.CounterpartyResult:
        principal = await info.context.require_principal()

        async def run() -> inputs.CounterpartySuccess:
            created = await counterparties.create_counterparty(
                info.context.ledger,
                principal,
                kind=input.kind,
                name=input.name,
                currency=input.currency,
                email=input.email,
                phone=input.phone,
                address=input.address,
                control_account_id=ids.account(input.control_account_id, "controlAccountId"),
                credit_account_id=ids.account(input.credit_account_id, "creditAccountId"),
                default_account_id=ids.account(input.default_account_id, "defaultAccountId"),
            )
            return inputs.CounterpartySuccess(counterparty=types.Counterparty.from_domain(created))

        return await _attempt(info, run)

    @strawberry.mutation(
        description="Contact details, the default account, archiving. The control and credit "
        "accounts never change.",
        permission_classes=WRITE,
    )
    async def update_counterparty(
        self, info: Info, input: inputs.UpdateCounterpartyInput
    ) -> inputs.CounterpartyResult:
        principal = await info.context.require_principal()

        async def run() -> inputs.CounterpartySuccess:
            updated = await counterparties.update_counterparty(
                info.context.ledger,
                principal,
                ids.counterparty(input.counterparty_id),
                counterparties.CounterpartyChanges(
                    name=input.name,
                    email=input.email,
                    phone=input.phone,
                    address=input.address,
                    default_account_id=ids.account(input.default_account_id, "defaultAccountId"),
                    clear_default_account=input.clear_default_account,
                    archived=input.archived,
                ),
            )
            return inputs.CounterpartySuccess(counterparty=types.Counterparty.from_domain(updated))

        return await _attempt(info, run)

    @strawberry.mutation(
        description="Posts a charge (debit the control account, credit its account) and "
        "applies the counterparty's credit.",
        permission_classes=WRITE,
    )
    async def create_charge(
        self, info: Info, input: inputs.CreateChargeInput
    ) -> inputs.ChargeResult:
        principal = await info.context.require_principal()

        async def run() -> inputs.ChargeSuccess:
            outcome = await charges.create_charge(
                info.context.ledger,
                principal,
                charges.ChargeInput(
                    counterparty_id=ids.counterparty(input.counterparty_id),
                    kind=input.kind,
                    amount=input.amount,
                    due_on=input.due_on,
                    issued_on=input.issued_on,
                    currency=input.currency,
                    description=input.description,
                    account_id=ids.account(input.account_id),
                    dimensions=ids.tags(input.dimensions),
                    apply_credit=input.apply_credit,
                    lease_id=ids.maybe(input.lease_id, "Lease", "leaseId"),
                ),
                idempotency_key=input.idempotency_key,
            )
            return _charge(outcome)

        return await _attempt(info, run)

    @strawberry.mutation(
        description="Reverses the charge's entry and its live allocations' entries (their "
        "money goes back to the counterparty's credit). Nothing is deleted.",
        permission_classes=WRITE,
    )
    async def void_charge(self, info: Info, input: inputs.VoidChargeInput) -> inputs.ChargeResult:
        principal = await info.context.require_principal()

        async def run() -> inputs.ChargeSuccess:
            outcome = await charges.void_charge(
                info.context.ledger,
                principal,
                ids.of(input.charge_id, "Charge", "chargeId"),
                idempotency_key=input.idempotency_key,
                day=input.date,
                reason=input.reason,
            )
            return _charge(outcome)

        return await _attempt(info, run)

    @strawberry.mutation(
        description="Posts a payment (debit cash, credit the counterparty's credit account) "
        "and allocates it: AUTO (oldest due first), NONE, or EXPLICIT (`allocations`). Row "
        "problems name `input.allocations[<i>].<field>`.",
        permission_classes=WRITE,
    )
    async def record_payment(
        self, info: Info, input: inputs.RecordPaymentInput
    ) -> inputs.PaymentResult:
        principal = await info.context.require_principal()

        async def run() -> inputs.PaymentSuccess:
            account = ids.account(input.account_id)
            assert account is not None
            outcome = await payments.record_payment(
                info.context.ledger,
                principal,
                payments.PaymentInput(
                    counterparty_id=ids.counterparty(input.counterparty_id),
                    amount=input.amount,
                    received_on=input.date,
                    account_id=account,
                    method=input.method,
                    reference=input.reference,
                    memo=input.memo,
                    currency=input.currency,
                    allocate=input.allocate,
                    allocations=ids.requested(input.allocations),
                ),
                idempotency_key=input.idempotency_key,
            )
            return _payment(outcome)

        return await _attempt(info, run)

    @strawberry.mutation(
        description="Allocates what is left of a payment: AUTO or EXPLICIT.",
        permission_classes=WRITE,
    )
    async def allocate_payment(
        self, info: Info, input: inputs.AllocatePaymentInput
    ) -> inputs.PaymentResult:
        principal = await info.context.require_principal()

        async def run() -> inputs.PaymentSuccess:
            outcome = await payments.allocate_payment(
                info.context.ledger,
                principal,
                ids.of(input.payment_id, "Payment", "paymentId"),
                mode=input.allocate,
                allocations=ids.requested(input.allocations),
                idempotency_key=input.idempotency_key,
            )
            return _payment(outcome)

        return await _attempt(info, run)

    @strawberry.mutation(
        description="Reverses the payment's entry and its live allocations' entries; the "
        "charges they settled are open again. Nothing is deleted.",
        permission_classes=WRITE,
    )
    async def void_payment(
        self, info: Info, input: inputs.VoidPaymentInput
    ) -> inputs.PaymentResult:
        principal = await info.context.require_principal()

        async def run() -> inputs.PaymentSuccess:
            outcome = await payments.void_payment(
                info.context.ledger,
                principal,
                ids.of(input.payment_id, "Payment", "paymentId"),
                idempotency_key=input.idempotency_key,
                day=input.date,
                reason=input.reason,
            )
            return _payment(outcome)

        return await _attempt(info, run)
