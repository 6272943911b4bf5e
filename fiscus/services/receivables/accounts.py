"""The ledger accounts the sub-ledger uses: a counterparty's control and credit accounts
(given, or the organization's standard ones per currency, created on first use) and the
account a charge posts against."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from fiscus.domain.errors import FieldIssue, NotFound, RuleViolation, ValidationFailed
from fiscus.domain.ledger import Account, AccountType
from fiscus.domain.receivables import ChargeKind, CounterpartyKind
from fiscus.persistence.repositories.receivables import StandardAccount
from fiscus.persistence.uow import UnitOfWork

A, L, N = AccountType.ASSET, AccountType.LIABILITY, AccountType.INCOME

RECEIVABLE = StandardAccount("AR", "Accounts receivable", A)
CUSTOMER_CREDITS = StandardAccount("AR-CREDITS", "Customer credits", L)
PAYABLE = StandardAccount("AP", "Accounts payable", L)
VENDOR_ADVANCES = StandardAccount("AP-ADVANCES", "Vendor advances", A)
RENT_INCOME = StandardAccount("RENT-INCOME", "Rental income", N)
LATE_FEES = StandardAccount("LATE-FEES", "Late fees", N)
DEPOSITS_HELD = StandardAccount("DEPOSITS-HELD", "Tenant deposits held", L)

CHARGE_DEFAULTS = {
    ChargeKind.RENT: RENT_INCOME,
    ChargeKind.LATE_FEE: LATE_FEES,
    ChargeKind.DEPOSIT: DEPOSITS_HELD,
}


def control_standard(kind: CounterpartyKind) -> StandardAccount:
    return PAYABLE if kind is CounterpartyKind.VENDOR else RECEIVABLE


def credit_standard(kind: CounterpartyKind) -> StandardAccount:
    return VENDOR_ADVANCES if kind is CounterpartyKind.VENDOR else CUSTOMER_CREDITS


async def standard_account(
    uow: UnitOfWork, standard: StandardAccount, currency: str, at: datetime, field_name: str
) -> Account:
    """``<CODE>-<CURRENCY>`` (e.g. ``AR-USD``), created on first use; an existing account
    of that code must have the standard type and currency."""
    named = StandardAccount(
        f"{standard.code}-{currency}", f"{standard.name} ({currency})", standard.type
    )
    account = await uow.receivables.ensure_account(named, currency, at)
    if account.type is not standard.type or account.currency != currency:
        raise RuleViolation(
            "INVALID",
            f"Account {account.code} exists as a {account.type.value} account in "
            f"{account.currency}; name the account to use instead.",
            field_name,
        )
    return account


def check_account(
    accounts: dict[UUID, Account],
    account_id: UUID,
    *,
    field_name: str,
    currency: str,
    types: Sequence[AccountType] | None = None,
    not_one_of: Sequence[UUID] = (),
) -> Account:
    account = accounts.get(account_id)
    if account is None:
        raise NotFound("No such account.", field=field_name)
    issues: list[FieldIssue] = []
    if account.archived:
        issues.append(
            FieldIssue(field_name, "ACCOUNT_ARCHIVED", f"Account {account.code} is archived.")
        )
    if account.currency != currency:
        issues.append(
            FieldIssue(
                field_name,
                "CURRENCY_MISMATCH",
                f"Account {account.code} is kept in {account.currency}, not {currency}.",
            )
        )
    if types is not None and account.type not in types:
        wanted = " or ".join(t.value for t in types)
        issues.append(FieldIssue(field_name, "INVALID", f"This needs a {wanted} account."))
    if account.id in not_one_of:
        issues.append(
            FieldIssue(
                field_name,
                "INVALID",
                "A counterparty's control or credit account cannot be used here.",
            )
        )
    if issues:
        raise ValidationFailed(issues)
    return account
