"""Counterparties: create (with their control and credit accounts), change contact details
and the default account, archive. The control and credit accounts never change once set:
the counterparty's history is posted to them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from uuid import UUID

from fiscus.domain.errors import FieldIssue, NotFound, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.ledger import AccountType
from fiscus.domain.receivables import (
    Counterparty,
    CounterpartyKind,
    contact_details,
    normalize_currency,
)
from fiscus.services.receivables import accounts
from fiscus.services.receivables.context import ReceivablesContext
from fiscus.services.receivables.ledger import event, record_events

A, L = AccountType.ASSET, AccountType.LIABILITY


@dataclass(frozen=True, slots=True)
class CounterpartyChanges:
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    default_account_id: UUID | None = None
    clear_default_account: bool = False
    archived: bool | None = None


async def create_counterparty(
    ctx: ReceivablesContext,
    principal: Principal,
    *,
    kind: CounterpartyKind,
    name: str,
    currency: str,
    email: str | None = None,
    phone: str | None = None,
    address: str | None = None,
    control_account_id: UUID | None = None,
    credit_account_id: UUID | None = None,
    default_account_id: UUID | None = None,
) -> Counterparty:
    issues: list[FieldIssue] = []
    try:
        details = contact_details(name, email, phone, address)
    except ValidationFailed as failure:
        issues.extend(failure.issues)
    try:
        currency = normalize_currency(currency)
    except ValidationFailed as failure:
        issues.extend(failure.issues)
    if issues:
        raise ValidationFailed(issues)
    payable = kind is CounterpartyKind.VENDOR
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        given = [i for i in (control_account_id, credit_account_id, default_account_id) if i]
        found = await uow.receivables.accounts(given) if given else {}
        if control_account_id is None:
            control = await accounts.standard_account(
                uow, accounts.control_standard(kind), currency, now, "controlAccountId"
            )
        else:
            control = accounts.check_account(
                found,
                control_account_id,
                field_name="controlAccountId",
                currency=currency,
                types=[L if payable else A],
            )
        if credit_account_id is None:
            credit = await accounts.standard_account(
                uow, accounts.credit_standard(kind), currency, now, "creditAccountId"
            )
        else:
            credit = accounts.check_account(
                found,
                credit_account_id,
                field_name="creditAccountId",
                currency=currency,
                types=[A if payable else L],
                not_one_of=[control.id],
            )
        if default_account_id is not None:
            accounts.check_account(
                found,
                default_account_id,
                field_name="defaultAccountId",
                currency=currency,
                not_one_of=[control.id, credit.id],
            )
        counterparty = Counterparty(
            uuid.uuid4(),
            principal.org_id,
            kind,
            details.name,
            currency,
            control.id,
            credit.id,
            default_account_id,
            details.email,
            details.phone,
            details.address,
            False,
            now,
        )
        await uow.receivables.add_counterparty(counterparty)
        await record_events(
            uow,
            [
                event(
                    principal.org_id,
                    principal.user_id,
                    action="receivables.counterparty_created",
                    subject_type="counterparty",
                    subject_id=counterparty.id,
                    at=now,
                    details={"kind": kind.value, "name": details.name, "currency": currency},
                )
            ],
        )
        await uow.commit()
    return counterparty


async def update_counterparty(
    ctx: ReceivablesContext,
    principal: Principal,
    counterparty_id: UUID,
    changes: CounterpartyChanges,
) -> Counterparty:
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        found = (await uow.receivables.lock([counterparty_id])).get(counterparty_id)
        if found is None:
            raise NotFound("No such counterparty.", field="counterpartyId")
        details = contact_details(
            changes.name if changes.name is not None else found.name,
            changes.email if changes.email is not None else found.email,
            changes.phone if changes.phone is not None else found.phone,
            changes.address if changes.address is not None else found.address,
        )
        default = found.default_account_id
        if changes.clear_default_account:
            default = None
        elif changes.default_account_id is not None:
            accounts.check_account(
                await uow.receivables.accounts([changes.default_account_id]),
                changes.default_account_id,
                field_name="defaultAccountId",
                currency=found.currency,
                not_one_of=[found.control_account_id, found.credit_account_id],
            )
            default = changes.default_account_id
        updated = replace(
            found,
            name=details.name,
            email=details.email,
            phone=details.phone,
            address=details.address,
            default_account_id=default,
            archived=found.archived if changes.archived is None else changes.archived,
        )
        await uow.receivables.update_counterparty(updated)
        await record_events(
            uow,
            [
                event(
                    principal.org_id,
                    principal.user_id,
                    action="receivables.counterparty_updated",
                    subject_type="counterparty",
                    subject_id=counterparty_id,
                    at=now,
                    details={"name": updated.name, "archived": updated.archived},
                )
            ],
        )
        await uow.commit()
    return updated
