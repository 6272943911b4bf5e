"""Identity queries: the caller (`me`), their organization, the audit log, `node`."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry
from strawberry.types import Info

from fiscus.domain import identity as domain
from fiscus.domain.identity import Permission
from fiscus.schema import identity as types
from fiscus.schema.permissions import Authenticated, requires
from fiscus.schema.relay import (
    Connection,
    Node,
    build_connection,
    check_first,
    decode_cursor,
    encode_cursor,
    from_global_id,
    parse_global_id,
    to_global_id,
)
from fiscus.services.identity import queries


@strawberry.type(description="The organization the caller is acting in.")
class Organization(Node):
    id: strawberry.ID
    name: str
    created_at: datetime

    @strawberry.field(
        description="Members, oldest first.",
        permission_classes=[requires(Permission.MEMBERS_READ)],
    )
    async def members(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[types.Member]:
        principal = await info.context.require_principal()
        page, total = await queries.members_page(
            info.context.reads,
            principal,
            first=check_first(first),
            after=decode_cursor(after),
        )
        return build_connection(
            [types.Member.from_domain(m) for m in page.items],
            has_next=page.has_next,
            had_cursor=after is not None,
            total_count=total,
            cursor_of=lambda m: encode_cursor(m.joined_at, m.user_id),
        )

    @strawberry.field(
        description="Invitations not yet accepted, revoked or expired.",
        permission_classes=[requires(Permission.MEMBERS_MANAGE)],
    )
    async def pending_invitations(self, info: Info) -> list[types.Invitation]:
        principal = await info.context.require_principal()
        found = await queries.pending_invitations(info.context.reads, principal)
        return [types.Invitation.from_domain(i) for i in found]

    @classmethod
    def from_domain(cls, org: domain.Organization) -> Organization:
        return cls(
            id=to_global_id("Organization", org.id), name=org.name, created_at=org.created_at
        )


@strawberry.type(description="The caller: who they are and where they act.")
class Viewer:
    role: domain.Role
    permissions: list[str]
    user_id: strawberry.Private[UUID]
    org_id: strawberry.Private[UUID]

    @strawberry.field
    async def user(self, info: Info) -> types.User:
        found = await info.context.loaders.users.load(self.user_id)
        return types.User.from_domain(found)

    @strawberry.field
    async def organization(self, info: Info) -> Organization:
        found = await info.context.loaders.organizations.load(self.org_id)
        return Organization.from_domain(found)

    @strawberry.field(description="Every organization the caller belongs to.")
    async def memberships(self, info: Info) -> list[types.Membership]:
        principal = await info.context.require_principal()
        mine = await queries.my_memberships(info.context.reads, principal)
        orgs = await info.context.loaders.organizations.load_many([m.org_id for m in mine])
        return [
            types.Membership(
                organization=types.OrganizationSummary(
                    id=to_global_id("Organization", org.id), name=org.name
                ),
                role=m.role,
                joined_at=m.created_at,
            )
            for m, org in zip(mine, orgs, strict=True)
            if org is not None
        ]


@strawberry.type
class IdentityQuery:
    @strawberry.field(permission_classes=[Authenticated])
    async def me(self, info: Info) -> Viewer:
        principal = await info.context.require_principal()
        return Viewer(
            role=principal.role,
            permissions=sorted(p.value for p in principal.permissions),
            user_id=principal.user_id,
            org_id=principal.org_id,
        )

    @strawberry.field(permission_classes=[requires(Permission.ORG_READ)])
    async def organization(self, info: Info) -> Organization:
        principal = await info.context.require_principal()
        found = await info.context.loaders.organizations.load(principal.org_id)
        return Organization.from_domain(found)

    @strawberry.field(
        description="What changed in the organization, newest first.",
        permission_classes=[requires(Permission.AUDIT_READ)],
    )
    async def audit_log(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: types.AuditLogFilter | None = None,
    ) -> Connection[types.AuditEvent]:
        principal = await info.context.require_principal()
        actor = None
        if filter and filter.actor_id is not None:
            actor = parse_global_id(filter.actor_id, "User", field="filter.actorId")
        page = await queries.audit_page(
            info.context.reads,
            principal,
            first=check_first(first),
            after=decode_cursor(after),
            actions=filter.actions if filter else None,
            actor_user_id=actor,
            since=filter.since if filter else None,
            until=filter.until if filter else None,
        )
        if filter and filter.actor_id is not None and actor is None:
            page = queries.Page([], False)
        return build_connection(
            [types.AuditEvent.from_domain(e) for e in page.items],
            has_next=page.has_next,
            had_cursor=after is not None,
            cursor_of=lambda e: encode_cursor(e.occurred_at, _uuid_of(e.id)),
        )

    @strawberry.field(
        description="Any object by its global id; null when it does not exist or is not "
        "visible to the caller.",
        permission_classes=[Authenticated],
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        principal = await info.context.require_principal()
        return await _resolve_node(info, principal, id)


async def _resolve_node(info: Info, principal: domain.Principal, global_id: str) -> Node | None:
    type_name, raw = from_global_id(global_id)
    ctx = info.context.reads
    try:
        if type_name == "Member":
            org_raw, _, user_raw = raw.partition(".")
            if UUID(org_raw) != principal.org_id or not principal.can(Permission.MEMBERS_READ):
                return None
            found_member = await queries.membership(ctx, principal, UUID(user_raw))
            return types.Member.from_domain(found_member) if found_member else None
        key = UUID(raw)
    except ValueError:
        return None
    if type_name == "User":
        user = await info.context.loaders.users.load(key)
        return types.User.from_domain(user) if user else None
    if type_name == "Organization":
        if key != principal.org_id or not principal.can(Permission.ORG_READ):
            return None
        org = await info.context.loaders.organizations.load(key)
        return Organization.from_domain(org) if org else None
    if type_name == "Invitation" and principal.can(Permission.MEMBERS_MANAGE):
        invitation = await queries.invitation(ctx, principal, key)
        return types.Invitation.from_domain(invitation) if invitation else None
    if type_name == "Instrument":
        from fiscus.resolvers.marketdata.queries import resolve_instrument_node

        return await resolve_instrument_node(info, principal, key)
    if type_name in ("Account", "JournalEntry"):
        from fiscus.resolvers.ledger.queries import resolve_ledger_node

        return await resolve_ledger_node(info, principal, type_name, key)
    if type_name in ("Portfolio", "PortfolioTransaction"):
        from fiscus.resolvers.portfolios.queries import resolve_portfolio_node

        return await resolve_portfolio_node(info, principal, type_name, key)
    if type_name == "Debt":
        from fiscus.resolvers.debts.queries import resolve_debt_node

        return await resolve_debt_node(info, principal, key)
    if type_name in ("Budget", "Goal"):
        from fiscus.resolvers.budgets.queries import resolve_budget_node

        return await resolve_budget_node(info, principal, type_name, key)
    if type_name == "Attachment":
        from fiscus.resolvers.income_expense import resolve_attachment_node

        return await resolve_attachment_node(info, principal, key)
    if type_name in ("Counterparty", "Charge", "Payment"):
        from fiscus.resolvers.receivables.queries import resolve_receivables_node

        return await resolve_receivables_node(info, principal, type_name, key)
    if type_name in ("Building", "Unit", "Lease"):
        from fiscus.resolvers.properties.queries import resolve_properties_node

        return await resolve_properties_node(info, principal, type_name, key)
    if type_name == "Backtest":
        from fiscus.resolvers.analytics.queries import resolve_backtest_node

        return await resolve_backtest_node(info, principal, key)
    if type_name in (
        "BankImport",
        "BankLine",
        "CsvMapping",
        "BankConnection",
        "CategorizationRule",
    ):
        from fiscus.resolvers.imports.queries import resolve_imports_node

        return await resolve_imports_node(info, principal, type_name, key)
    if type_name == "AuditEvent" and principal.can(Permission.AUDIT_READ):
        event = await queries.audit_event(ctx, principal, key)
        return types.AuditEvent.from_domain(event) if event else None
    return None


def _uuid_of(global_id: str) -> UUID:
    return UUID(from_global_id(global_id)[1])
