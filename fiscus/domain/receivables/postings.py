"""The ledger entries of the sub-ledger. For a counterparty who owes us (sign +1):

- a charge:      debit control (receivable) / credit the charge's account (income)
- a payment:     debit the payment's cash account / credit the credit account (unallocated)
- an allocation: debit the credit account / credit control

A vendor (sign -1) gets the same entries with every amount negated: a bill credits the
payable and debits an expense, a payment to the vendor credits cash. So the control
account's balance over a counterparty's lines is, times the sign, charges less
allocations, and the credit account's is payments less allocations (the credit). A void
posts the exact reversal of the document's entry. Every line carries the counterparty's
id; charge and allocation lines carry the charge's dimensions.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from uuid import UUID

from fiscus.domain.ledger import JournalLine


def _pair(
    debit: UUID,
    credit: UUID,
    amount: Decimal,
    sign: int,
    currency: str,
    counterparty: str,
    dimensions: Mapping[str, str],
    memo: str | None,
) -> list[JournalLine]:
    signed = amount * sign
    return [
        JournalLine(debit, signed, currency, dict(dimensions), counterparty, memo),
        JournalLine(credit, -signed, currency, dict(dimensions), counterparty, memo),
    ]


def charge_lines(
    *,
    sign: int,
    amount: Decimal,
    currency: str,
    control_account_id: UUID,
    account_id: UUID,
    counterparty: str,
    dimensions: Mapping[str, str],
    memo: str | None,
) -> list[JournalLine]:
    return _pair(
        control_account_id, account_id, amount, sign, currency, counterparty, dimensions, memo
    )


def payment_lines(
    *,
    sign: int,
    amount: Decimal,
    currency: str,
    cash_account_id: UUID,
    credit_account_id: UUID,
    counterparty: str,
    memo: str | None,
) -> list[JournalLine]:
    return _pair(cash_account_id, credit_account_id, amount, sign, currency, counterparty, {}, memo)


def allocation_lines(
    *,
    sign: int,
    amount: Decimal,
    currency: str,
    credit_account_id: UUID,
    control_account_id: UUID,
    counterparty: str,
    dimensions: Mapping[str, str],
    memo: str | None,
) -> list[JournalLine]:
    return _pair(
        credit_account_id,
        control_account_id,
        amount,
        sign,
        currency,
        counterparty,
        dimensions,
        memo,
    )
