"""Ledger mutations: one ``input`` each, one service call, typed errors. Members write
(``LEDGER_WRITE``); closing and reopening periods is an admin action (``ORG_UPDATE``)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from fiscus.domain.identity import Permission
from fiscus.resolvers.ledger import ids
from fiscus.schema import ledger as types
from fiscus.schema.errors import attempt
from fiscus.schema.permissions import confirmed, refused, requires, requires_at_write
from fiscus.schema.relay import to_global_id
from fiscus.services.ledger import accounts, actuals, periods, posting

WRITE = [requires(Permission.LEDGER_WRITE)]
ADMIN = [requires(Permission.ORG_UPDATE)]


def _posted(result: posting.Posted) -> types.JournalEntrySuccess:
    return types.JournalEntrySuccess(
        entry=types.JournalEntry.from_domain(result.entry), replayed=result.replayed
    )


@strawberry.type
class LedgerMutation:
    @strawberry.mutation(permission_classes=WRITE)
    async def create_account(
        self, info: Info, input: types.CreateAccountInput
    ) -> types.AccountResult:
        principal = await info.context.require_principal()

        async def run() -> types.AccountSuccess:
            created = await accounts.create_account(
                info.context.ledger,
                principal,
                code=input.code,
                name=input.name,
                type=input.type.value,
                currency=input.currency,
                parent_id=ids.account_id(input.parent_id, "parentId") if input.parent_id else None,
                tags=ids.tags(input.tags),
            )
            return types.AccountSuccess(account=types.Account.from_domain(created))

        return await attempt(run)

    @strawberry.mutation(permission_classes=WRITE)
    async def update_account(
        self, info: Info, input: types.UpdateAccountInput
    ) -> types.AccountResult:
        principal = await info.context.require_principal()

        async def run() -> types.AccountSuccess:
            changes = accounts.AccountChanges(
                code=input.code,
                name=input.name,
                parent_id=ids.account_id(input.parent_id, "parentId") if input.parent_id else None,
                clear_parent=input.clear_parent,
                tags=ids.tags(input.tags) if input.tags is not None else None,
            )
            updated = await accounts.update_account(
                info.context.ledger, principal, ids.account_id(input.account_id), changes
            )
            return types.AccountSuccess(account=types.Account.from_domain(updated))

        return await attempt(run)

    @strawberry.mutation(
        description="Archived accounts keep their history but take no postings.",
        permission_classes=WRITE,
    )
    async def archive_account(self, info: Info, input: types.AccountIdInput) -> types.AccountResult:
        principal = await info.context.require_principal()

        async def run() -> types.AccountSuccess:
            done = await accounts.set_archived(
                info.context.ledger, principal, ids.account_id(input.account_id), archived=True
            )
            return types.AccountSuccess(account=types.Account.from_domain(done))

        return await attempt(run)

    @strawberry.mutation(permission_classes=WRITE)
    async def unarchive_account(
        self, info: Info, input: types.AccountIdInput
    ) -> types.AccountResult:
        principal = await info.context.require_principal()

        async def run() -> types.AccountSuccess:
            done = await accounts.set_archived(
                info.context.ledger, principal, ids.account_id(input.account_id), archived=False
            )
            return types.AccountSuccess(account=types.Account.from_domain(done))

        return await attempt(run)

    @strawberry.mutation(
        description="Only an account with no lines and no sub-accounts; otherwise archive it.",
        permission_classes=WRITE,
    )
    async def delete_account(
        self, info: Info, input: types.AccountIdInput
    ) -> types.DeleteAccountResult:
        principal = await info.context.require_principal()

        async def run() -> types.DeleteAccountSuccess:
            gone = await accounts.delete_account(
                info.context.ledger, principal, ids.account_id(input.account_id)
            )
            return types.DeleteAccountSuccess(deleted_account_id=to_global_id("Account", gone))

        return await attempt(run)

    @strawberry.mutation(
        description="Adds the template's accounts the chart lacks (idempotent).",
        permission_classes=WRITE,
    )
    async def apply_account_template(
        self, info: Info, input: types.ApplyAccountTemplateInput
    ) -> types.ChartResult:
        principal = await info.context.require_principal()

        async def run() -> types.ChartSuccess:
            chart = await accounts.apply_account_template(
                info.context.ledger, principal, template=input.template, currency=input.currency
            )
            return types.ChartSuccess(accounts=[types.Account.from_domain(a) for a in chart])

        return await attempt(run)

    @strawberry.mutation(
        description="Posts a balanced entry (or stores a draft). Unbalanced: an error on "
        "`input.lines`; row problems: `input.lines[<i>].<field>`. Same idempotency key and "
        "input: the original result; another input: IDEMPOTENCY_KEY_REUSED.",
        permission_classes=[requires_at_write(Permission.LEDGER_WRITE)],
    )
    async def post_journal_entry(
        self, info: Info, input: types.PostJournalEntryInput
    ) -> types.JournalEntryResult:
        # Posting confirms the caller in its own transaction; a draft is confirmed first.
        confirm = not input.draft and not info.context.confirmed
        if confirm:
            principal = info.context.claimed_principal()
        else:
            principal = await confirmed(info, Permission.LEDGER_WRITE)

        async def run() -> types.JournalEntrySuccess:
            return _posted(
                await posting.post_journal_entry(
                    info.context.ledger,
                    principal,
                    entry_date=input.date,
                    memo=input.memo,
                    lines=ids.lines(input.lines),
                    idempotency_key=input.idempotency_key,
                    draft=input.draft,
                    confirm_session=confirm,
                )
            )

        try:
            return await attempt(run)
        except posting.AccessRefused as refusal:
            raise refused(refusal.session_ended, Permission.LEDGER_WRITE) from None

    @strawberry.mutation(permission_classes=WRITE)
    async def update_draft_entry(
        self, info: Info, input: types.UpdateDraftEntryInput
    ) -> types.JournalEntryResult:
        principal = await info.context.require_principal()

        async def run() -> types.JournalEntrySuccess:
            entry = await posting.update_draft_entry(
                info.context.ledger,
                principal,
                ids.entry_id(input.entry_id),
                entry_date=input.date,
                memo=input.memo,
                lines=ids.lines(input.lines) if input.lines is not None else None,
            )
            return types.JournalEntrySuccess(
                entry=types.JournalEntry.from_domain(entry), replayed=False
            )

        return await attempt(run)

    @strawberry.mutation(permission_classes=WRITE)
    async def post_draft_entry(
        self, info: Info, input: types.PostDraftEntryInput
    ) -> types.JournalEntryResult:
        principal = await info.context.require_principal()

        async def run() -> types.JournalEntrySuccess:
            return _posted(
                await posting.post_draft_entry(
                    info.context.ledger,
                    principal,
                    ids.entry_id(input.entry_id),
                    idempotency_key=input.idempotency_key,
                )
            )

        return await attempt(run)

    @strawberry.mutation(
        description="Posts the mirror entry, linked to the original; an entry is reversed "
        "at most once.",
        permission_classes=WRITE,
    )
    async def reverse_entry(
        self, info: Info, input: types.ReverseEntryInput
    ) -> types.JournalEntryResult:
        principal = await info.context.require_principal()

        async def run() -> types.JournalEntrySuccess:
            return _posted(
                await posting.reverse_entry(
                    info.context.ledger,
                    principal,
                    ids.entry_id(input.entry_id),
                    idempotency_key=input.idempotency_key,
                    entry_date=input.date,
                    memo=input.memo,
                )
            )

        return await attempt(run)

    @strawberry.mutation(
        description="Closes the books through a day (admins).", permission_classes=ADMIN
    )
    async def close_period(self, info: Info, input: types.ClosePeriodInput) -> types.PeriodResult:
        principal = await info.context.require_principal()

        async def run() -> types.PeriodSuccess:
            through = await periods.close_period(
                info.context.ledger, principal, through=input.through
            )
            return types.PeriodSuccess(closed_through=through)

        return await attempt(run)

    @strawberry.mutation(
        description="Reopens every day from `from` on (admins; audit-logged).",
        permission_classes=ADMIN,
    )
    async def reopen_period(self, info: Info, input: types.ReopenPeriodInput) -> types.PeriodResult:
        principal = await info.context.require_principal()

        async def run() -> types.PeriodSuccess:
            through = await periods.reopen_period(
                info.context.ledger, principal, from_day=input.from_
            )
            return types.PeriodSuccess(closed_through=through)

        return await attempt(run)

    @strawberry.mutation(permission_classes=WRITE)
    async def assert_balance(
        self, info: Info, input: types.AssertBalanceInput
    ) -> types.AssertBalanceResult:
        principal = await info.context.require_principal()

        async def run() -> types.AssertBalanceSuccess:
            stored = await periods.assert_balance(
                info.context.ledger,
                principal,
                account_id=ids.account_id(input.account_id),
                day=input.date,
                amount=input.amount,
                currency=input.currency,
            )
            return types.AssertBalanceSuccess(assertion=types.BalanceAssertion.from_domain(stored))

        return await attempt(run)

    @strawberry.mutation(
        description="Imports a CSV of period balances or movements per account code: one "
        "balanced entry per period against the offset account, dated at the period's end, all "
        "or nothing. Row problems name `input.csv[<line>].<field>`. The same file again posts "
        "nothing new; with the same idempotencyKey a changed period is IDEMPOTENCY_KEY_REUSED.",
        permission_classes=WRITE,
    )
    async def import_actuals_csv(
        self, info: Info, input: types.ImportActualsCsvInput
    ) -> types.ImportActualsResult:
        principal = await info.context.require_principal()

        async def run() -> types.ImportActualsSuccess:
            imported = await actuals.import_actuals_csv(
                info.context.ledger,
                principal,
                csv_text=input.csv,
                offset_account_id=ids.account_id(input.offset_account_id, "offsetAccountId"),
                kind=input.kind,
                idempotency_key=input.idempotency_key,
            )
            return types.ImportActualsSuccess(
                entries=[types.JournalEntry.from_domain(p.entry) for p in imported.entries],
                periods=imported.periods,
                posted=sum(not p.replayed for p in imported.entries),
                replayed=sum(p.replayed for p in imported.entries),
            )

        return await attempt(run)
