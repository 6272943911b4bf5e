"""Bank connection mutations (Plaid): connect, remap accounts, delete, sync now."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import strawberry
from strawberry.types import Info

from fiscus.domain.identity import Permission
from fiscus.resolvers.imports import ids
from fiscus.schema import imports_inputs as types
from fiscus.schema.bank_connections import BankConnection
from fiscus.schema.errors import attempt
from fiscus.schema.imports import BankImport
from fiscus.schema.permissions import requires
from fiscus.schema.relay import to_global_id
from fiscus.services.imports import queries
from fiscus.services.imports.plaid import connections, sync

WRITE = [requires(Permission.LEDGER_WRITE)]


def _accounts(raw: Sequence[types.PlaidAccountInput]) -> dict[str, UUID]:
    return {
        a.plaid_account_id: ids.account(a.account_id, f"accounts[{i}].accountId")
        for i, a in enumerate(raw)
    }


@strawberry.type
class BankConnectionsMutation:
    @strawberry.mutation(
        description="Connects a Plaid item from Link's public token (exchanged server-side; "
        "the access token is stored encrypted) and maps its accounts to ledger accounts.",
        permission_classes=WRITE,
    )
    async def connect_plaid_item(
        self, info: Info, input: types.ConnectPlaidItemInput
    ) -> types.BankConnectionResult:
        principal = await info.context.require_principal()

        async def run() -> types.BankConnectionSuccess:
            found = await connections.connect_plaid_item(
                info.context.imports,
                principal,
                public_token=input.public_token,
                institution_name=input.institution_name,
                accounts=_accounts(input.accounts),
            )
            return types.BankConnectionSuccess(connection=BankConnection.from_record(found))

        return await attempt(run)

    @strawberry.mutation(permission_classes=WRITE)
    async def update_bank_connection(
        self, info: Info, input: types.UpdateBankConnectionInput
    ) -> types.BankConnectionResult:
        principal = await info.context.require_principal()

        async def run() -> types.BankConnectionSuccess:
            found = await connections.update_connection(
                info.context.imports,
                principal,
                ids.of(input.connection_id, "BankConnection", "connectionId"),
                _accounts(input.accounts),
            )
            return types.BankConnectionSuccess(connection=BankConnection.from_record(found))

        return await attempt(run)

    @strawberry.mutation(permission_classes=WRITE)
    async def delete_bank_connection(
        self, info: Info, input: types.BankConnectionIdInput
    ) -> types.DeleteBankConnectionResult:
        principal = await info.context.require_principal()

        async def run() -> types.DeleteBankConnectionSuccess:
            gone = await connections.delete_connection(
                info.context.imports,
                principal,
                ids.of(input.connection_id, "BankConnection", "connectionId"),
            )
            return types.DeleteBankConnectionSuccess(
                deleted_connection_id=to_global_id("BankConnection", gone)
            )

        return await attempt(run)

    @strawberry.mutation(
        description="Pulls the item's new, changed and removed transactions now "
        "(/transactions/sync from the stored cursor) into the books.",
        permission_classes=WRITE,
    )
    async def sync_bank_connection(
        self, info: Info, input: types.BankConnectionIdInput
    ) -> types.SyncBankConnectionResult:
        principal = await info.context.require_principal()

        async def run() -> types.SyncBankConnectionSuccess:
            connection_id = ids.of(input.connection_id, "BankConnection", "connectionId")
            # Writes, then reads what it wrote: not through the request's read snapshot.
            fresh = info.context.imports_context
            done = await sync.sync_connection(fresh, principal, connection_id)
            found = next(
                c for c in await queries.connections(fresh, principal) if c.id == connection_id
            )
            return types.SyncBankConnectionSuccess(
                connection=BankConnection.from_record(found),
                added=done.added,
                modified=done.modified,
                removed=done.removed,
                imports=[BankImport.from_domain(i) for i in done.imports],
            )

        return await attempt(run)
