"""SQL statements per request stay constant as lists grow (DataLoaders, no N+1)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg

from fiscus.persistence.statements import count_statements
from tests.conftest import _plain
from tests.graphql_client import gql, sign_up

MEMBERS = """{ organization { members(first: 100) { totalCount
  edges { node { id role user { email displayName } } } } } }"""
AUDIT = """{ auditLog(first: 100) { edges { node { action actor { email } } } } }"""


async def add_members(database_url: str, org_id: str, count: int) -> None:
    """Bulk rows straight into the tables as the owner: the API is not under test here."""
    from tests.api.test_tenant_isolation import raw_uuid

    org = raw_uuid(org_id)
    connection = await asyncpg.connect(_plain(database_url))
    try:
        for _ in range(count):
            user = uuid.uuid4()
            await connection.execute(
                "INSERT INTO users (id, email, display_name, password_hash) VALUES ($1,$2,$3,'x')",
                user,
                f"{user.hex[:8]}@example.com",
                "Someone",
            )
            await connection.execute(
                "INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'member')",
                org,
                user,
            )
            await connection.execute(
                "INSERT INTO audit_events (org_id, id, occurred_at, actor_user_id, action,"
                " subject_type, subject_id) VALUES ($1,$2,$3,$4,'member.joined','user',$5)",
                org,
                uuid.uuid4(),
                datetime.now(UTC),
                user,
                str(user),
            )
    finally:
        await connection.close()


async def statements_for(client, query: str, token: str) -> int:
    with count_statements() as log:
        body = await gql(client, query, token=token)
    assert "errors" not in body, body
    return log.count


async def test_members_and_audit_log_use_a_constant_number_of_statements(client, database_url):
    owner = await sign_up(client, "owner@example.com")
    await add_members(database_url, owner.org_id, 3)
    few_members = await statements_for(client, MEMBERS, owner.token)
    few_events = await statements_for(client, AUDIT, owner.token)
    await add_members(database_url, owner.org_id, 40)
    many_members = await statements_for(client, MEMBERS, owner.token)
    many_events = await statements_for(client, AUDIT, owner.token)
    assert few_members == many_members
    assert few_events == many_events
    # Pinned. One read transaction per request, begun with the tenant context (1); the
    # access check, which also reads the caller's user and organization (1); members
    # count + page (2); users loader (1).
    assert many_members == 5
    # begin, access check, audit page, users loader for the actors.
    assert many_events == 4


async def test_me_costs_a_fixed_number_of_statements(client):
    owner = await sign_up(client, "owner@example.com")
    query = """{ me { role user { email } organization { name }
      memberships { role organization { name } } } }"""
    # begin, access check (+ the caller's user and organization), memberships; the
    # organizations loader already holds the only organization.
    assert await statements_for(client, query, owner.token) == 3


async def test_me_reads_the_caller_with_the_access_check(client):
    """The hot path the bench measures: the caller's user and organization come with the
    access check, so `me` costs two statements whatever it selects of them."""
    owner = await sign_up(client, "owner@example.com")
    query = "{ me { role user { email displayName } organization { name } } }"
    assert await statements_for(client, query, owner.token) == 2
