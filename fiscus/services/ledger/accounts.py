"""The chart of accounts: create, change, archive (never delete an account with lines),
templates. Every change is audit-logged in its own transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from fiscus.domain.errors import FieldIssue, NotFound, RuleViolation, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.ledger import (
    Account,
    AccountType,
    check_parent,
    normalize_code,
    normalize_name,
    normalize_tags,
)
from fiscus.domain.marketdata import normalize_currency
from fiscus.persistence.models.ledger import LedgerAccountRow
from fiscus.persistence.uow import UnitOfWork
from fiscus.services.identity import audit
from fiscus.services.ledger.context import LedgerContext
from fiscus.services.ledger.templates import TEMPLATES


@dataclass(frozen=True, slots=True)
class AccountChanges:
    code: str | None = None
    name: str | None = None
    parent_id: UUID | None = None
    clear_parent: bool = False
    tags: Mapping[str, str] | None = None


def _type_of(value: str) -> AccountType:
    try:
        return AccountType(value.lower())
    except ValueError:
        raise ValidationFailed(
            [FieldIssue("type", "INVALID", "Type is asset, liability, equity, income or expense.")]
        ) from None


async def create_account(
    ctx: LedgerContext,
    principal: Principal,
    *,
    code: str,
    name: str,
    type: str,
    currency: str,
    parent_id: UUID | None = None,
    tags: Mapping[str, str] | None = None,
) -> Account:
    issues: list[FieldIssue] = []
    checked: dict[str, object] = {}
    for key, check in (
        ("code", lambda: normalize_code(code)),
        ("name", lambda: normalize_name(name)),
        ("type", lambda: _type_of(type)),
        ("currency", lambda: normalize_currency(currency)),
        ("tags", lambda: normalize_tags(tags or {})),
    ):
        try:
            checked[key] = check()
        except ValidationFailed as failure:
            issues.extend(failure.issues)
    if issues:
        raise ValidationFailed(issues)
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        row = LedgerAccountRow(
            org_id=principal.org_id,
            id=uuid.uuid4(),
            code=checked["code"],
            name=checked["name"],
            type=checked["type"].value,  # type: ignore[attr-defined]
            currency=checked["currency"],
            parent_id=None,
            archived=False,
            tags=checked["tags"],
            created_at=now,
        )
        await _ensure_code_free(uow, row.code)
        if parent_id is not None:
            await _check_parent(uow, row.to_domain(), parent_id)
            row.parent_id = parent_id
        await uow.ledger.add_account(row)
        await audit.record_by(
            uow,
            principal,
            action="ledger.account_created",
            subject_type="ledger_account",
            subject_id=row.id,
            at=now,
            details={"code": row.code, "type": row.type, "currency": row.currency},
        )
        await uow.commit()
    return row.to_domain()


async def update_account(
    ctx: LedgerContext, principal: Principal, account_id: UUID, changes: AccountChanges
) -> Account:
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        row = await _account_row(uow, account_id, for_update=True)
        changed: dict[str, object] = {}
        if changes.code is not None:
            code = normalize_code(changes.code)
            if code != row.code:
                await _ensure_code_free(uow, code)
                row.code = changed["code"] = code
        if changes.name is not None:
            row.name = changed["name"] = normalize_name(changes.name)
        if changes.tags is not None:
            row.tags = normalize_tags(changes.tags)
            changed["tags"] = row.tags
        if changes.clear_parent:
            row.parent_id = None
            changed["parent_id"] = None
        elif changes.parent_id is not None:
            await _check_parent(uow, row.to_domain(), changes.parent_id)
            row.parent_id = changes.parent_id
            changed["parent_id"] = str(changes.parent_id)
        await uow.flush()
        await audit.record_by(
            uow,
            principal,
            action="ledger.account_updated",
            subject_type="ledger_account",
            subject_id=row.id,
            at=now,
            details=changed,
        )
        await uow.commit()
    return row.to_domain()


async def set_archived(
    ctx: LedgerContext, principal: Principal, account_id: UUID, *, archived: bool
) -> Account:
    """Archived accounts keep their lines and balances but take no new postings."""
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        row = await _account_row(uow, account_id, for_update=True)
        row.archived = archived
        await uow.flush()
        await audit.record_by(
            uow,
            principal,
            action="ledger.account_archived" if archived else "ledger.account_unarchived",
            subject_type="ledger_account",
            subject_id=row.id,
            at=now,
            details={"code": row.code},
        )
        await uow.commit()
    return row.to_domain()


async def delete_account(ctx: LedgerContext, principal: Principal, account_id: UUID) -> UUID:
    """Only an account nothing was ever posted to (and with no children); otherwise archive."""
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        row = await _account_row(uow, account_id, for_update=True)
        if await uow.ledger.account_has_lines(account_id):
            raise RuleViolation(
                "INVALID",
                "This account has lines or sub-accounts: archive it instead of deleting it.",
                "accountId",
            )
        await uow.ledger.delete_account(account_id)
        await audit.record_by(
            uow,
            principal,
            action="ledger.account_deleted",
            subject_type="ledger_account",
            subject_id=account_id,
            at=now,
            details={"code": row.code},
        )
        await uow.commit()
    return account_id


async def apply_account_template(
    ctx: LedgerContext, principal: Principal, *, template: str, currency: str
) -> list[Account]:
    """Adds the template's accounts whose codes the chart does not have yet (idempotent:
    applying it again adds nothing). Answers the whole chart."""
    spec = TEMPLATES.get(template.lower())
    if spec is None:
        raise ValidationFailed(
            [
                FieldIssue(
                    "template",
                    "INVALID",
                    "Unknown template; choose one of " + ", ".join(sorted(TEMPLATES)) + ".",
                )
            ]
        )
    checked_currency = normalize_currency(currency)
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        existing = {row.code: row for row in await uow.ledger.accounts()}
        added: list[str] = []
        for code, name, kind, parent_code in spec:
            if code in existing:
                continue
            parent = existing.get(parent_code) if parent_code else None
            row = LedgerAccountRow(
                org_id=principal.org_id,
                id=uuid.uuid4(),
                code=code,
                name=name,
                type=kind.value,
                currency=checked_currency,
                parent_id=parent.id if parent is not None and parent.type == kind.value else None,
                archived=False,
                tags={},
                created_at=now,
            )
            await uow.ledger.add_account(row)
            existing[code] = row
            added.append(code)
        if added:
            await audit.record_by(
                uow,
                principal,
                action="ledger.template_applied",
                subject_type="organization",
                subject_id=principal.org_id,
                at=now,
                details={"template": template.lower(), "added": added},
            )
        await uow.commit()
        return sorted((r.to_domain() for r in existing.values()), key=lambda a: a.code)


async def _account_row(
    uow: UnitOfWork, account_id: UUID, *, for_update: bool = False
) -> LedgerAccountRow:
    row = await uow.ledger.account(account_id, for_update=for_update)
    if row is None:
        raise NotFound("No such account.", field="accountId")
    return row


async def _ensure_code_free(uow: UnitOfWork, code: str) -> None:
    if await uow.ledger.account_by_code(code) is not None:
        raise ValidationFailed(
            [FieldIssue("code", "CODE_TAKEN", f"The code {code} is already used in this chart.")]
        )


async def _check_parent(uow: UnitOfWork, child: Account, parent_id: UUID) -> None:
    chart = {row.id: row for row in await uow.ledger.accounts()}
    parent = chart.get(parent_id)
    if parent is None:
        raise ValidationFailed([FieldIssue("parentId", "NOT_FOUND", "No such account.")])
    ancestors: set[UUID] = set()
    cursor = parent.parent_id
    while cursor is not None and cursor not in ancestors:
        ancestors.add(cursor)
        cursor = chart[cursor].parent_id if cursor in chart else None
    check_parent(child, parent.to_domain(), ancestors)
