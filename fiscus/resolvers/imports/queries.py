"""Bank import queries: imports (connection), one import, bank lines (connection), saved
mappings, bank connections, and ``node(id:)`` for the area's types."""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Annotated
from uuid import UUID

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from fiscus.domain.identity import Permission, Principal
from fiscus.resolvers.imports import ids
from fiscus.schema.bank_connections import BankConnection, CsvMapping
from fiscus.schema.bank_lines import BankLine
from fiscus.schema.imports import BankImport
from fiscus.schema.permissions import requires
from fiscus.schema.relay import (
    Connection,
    Node,
    build_connection,
    check_first,
    decode_cursor,
    encode_cursor,
)
from fiscus.services.imports import mappings, queries
from fiscus.services.imports.queries import LineFilters

READ = [requires(Permission.LEDGER_READ)]
NODE_TYPES = ("BankImport", "BankLine", "CsvMapping", "BankConnection", "CategorizationRule")


def _line_cursor(line: BankLine) -> str:
    raw = f"{line.source.date.isoformat()}|{line.source.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_line_cursor(cursor: str | None) -> tuple[date, UUID] | None:
    if cursor is None:
        return None
    try:
        day, _, raw = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return date.fromisoformat(day), UUID(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise GraphQLError(
            "Invalid cursor.", extensions={"code": "BAD_USER_INPUT", "argument": "after"}
        ) from None


async def resolve_imports_node(
    info: Info, principal: Principal, type_name: str, key: UUID
) -> Node | None:
    """``node(id:)`` for the area's types (``LEDGER_READ``)."""
    if not principal.can(Permission.LEDGER_READ):
        return None
    if type_name == "BankImport":
        found = await info.context.loaders.bank_imports.load(key)
        return BankImport.from_domain(found) if found else None
    if type_name == "BankLine":
        line = await info.context.loaders.bank_lines.load(key)
        return BankLine.from_domain(line) if line else None
    if type_name == "CsvMapping":
        saved = await mappings.mappings(info.context.imports, principal)
        record = next((m for m in saved if m.id == key), None)
        return CsvMapping.from_record(record) if record else None
    if type_name == "BankConnection":
        connections = await queries.connections(info.context.imports, principal)
        connection = next((c for c in connections if c.id == key), None)
        return BankConnection.from_record(connection) if connection else None
    if type_name == "CategorizationRule":
        from fiscus.schema.categorization import CategorizationRule
        from fiscus.services.categorization import rules

        found_rule = next(
            (r for r in await rules.rules(info.context.categorization, principal) if r.id == key),
            None,
        )
        return CategorizationRule.from_domain(found_rule) if found_rule else None
    return None


@strawberry.type
class ImportsQuery:
    @strawberry.field(description="Statement imports, newest first.", permission_classes=READ)
    async def imports(
        self,
        info: Info,
        account_id: strawberry.ID | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[BankImport]:
        principal = await info.context.require_principal()
        size = check_first(first)
        found = await queries.imports_page(
            info.context.imports,
            principal,
            account_id=ids.account(account_id) if account_id else None,
            after=decode_cursor(after),
            limit=size + 1,
        )
        for item in found:
            info.context.loaders.bank_imports.prime(item.id, item)
        return build_connection(
            [BankImport.from_domain(i) for i in found[:size]],
            has_next=len(found) > size,
            had_cursor=after is not None,
            cursor_of=lambda i: encode_cursor(i.source.created_at, i.source.id),
        )

    @strawberry.field(name="import", permission_classes=READ)
    async def bank_import(self, info: Info, id: strawberry.ID) -> BankImport | None:
        await info.context.require_principal()
        found = await info.context.loaders.bank_imports.load(ids.of(id, "BankImport", "id"))
        return BankImport.from_domain(found) if found else None

    @strawberry.field(
        description="Imported bank lines, newest first; filters combine (`uncategorized`: "
        "Uncategorized or only suggested; `unposted`: entries still in draft).",
        permission_classes=READ,
    )
    async def bank_lines(
        self,
        info: Info,
        account_id: strawberry.ID | None = None,
        import_id: strawberry.ID | None = None,
        uncategorized: bool = False,
        unposted: bool = False,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
        search: str | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[BankLine]:
        principal = await info.context.require_principal()
        size = check_first(first)
        filters = LineFilters(
            account_id=ids.account(account_id) if account_id else None,
            import_id=ids.of(import_id, "BankImport", "importId") if import_id else None,
            uncategorized=uncategorized,
            unposted=unposted,
            from_day=from_,
            to_day=to,
            search=search.strip()[:100] if search and search.strip() else None,
            after=_decode_line_cursor(after),
        )
        found = await queries.lines_page(info.context.imports, principal, filters, limit=size + 1)
        for line in found:
            info.context.loaders.bank_lines.prime(line.id, line)
        return build_connection(
            [BankLine.from_domain(line) for line in found[:size]],
            has_next=len(found) > size,
            had_cursor=after is not None,
            cursor_of=_line_cursor,
        )

    @strawberry.field(
        description="Saved column mappings for generic CSV files.", permission_classes=READ
    )
    async def csv_mappings(self, info: Info) -> list[CsvMapping]:
        principal = await info.context.require_principal()
        found = await mappings.mappings(info.context.imports, principal)
        return [CsvMapping.from_record(m) for m in found]

    @strawberry.field(description="Plaid items feeding the books.", permission_classes=READ)
    async def bank_connections(self, info: Info) -> list[BankConnection]:
        principal = await info.context.require_principal()
        found = await queries.connections(info.context.imports, principal)
        return [BankConnection.from_record(c) for c in found]
