"""Row-level security as the app role sees it, over real pooled connections."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from fiscus.config import Settings
from fiscus.persistence.database import Database
from fiscus.persistence.models.identity import AuditEventRow
from fiscus.persistence.uow import UnitOfWork
from fiscus.services.identity import auth
from tests.graphql_client import PASSWORD


async def _two_orgs(runtime):
    a = await auth.sign_up(
        runtime.identity,
        email="a@example.com",
        password=PASSWORD,
        display_name="A",
        organization_name="Org A",
    )
    b = await auth.sign_up(
        runtime.identity,
        email="b@example.com",
        password=PASSWORD,
        display_name="B",
        organization_name="Org B",
    )
    return a, b


async def test_without_a_tenant_tenant_tables_read_empty_and_refuse_inserts(runtime):
    a, _ = await _two_orgs(runtime)
    async with UnitOfWork(runtime.db) as uow:
        for table in ("organizations", "memberships", "invitations", "audit_events"):
            count = await uow.session.scalar(text(f"SELECT count(*) FROM {table}"))
            assert count == 0, table
    with pytest.raises(DBAPIError, match="row-level security"):
        async with UnitOfWork(runtime.db) as uow:
            uow.session.add(
                AuditEventRow(
                    org_id=a.organization.id,
                    id=uuid.uuid4(),
                    action="x",
                    subject_type="x",
                    subject_id="x",
                    details={},
                )
            )
            await uow.session.flush()


async def test_a_tenant_cannot_write_rows_of_another(runtime):
    a, b = await _two_orgs(runtime)
    with pytest.raises(DBAPIError, match="row-level security"):
        async with UnitOfWork(runtime.db, org_id=a.organization.id) as uow:
            uow.session.add(
                AuditEventRow(
                    org_id=b.organization.id,
                    id=uuid.uuid4(),
                    action="x",
                    subject_type="x",
                    subject_id="x",
                    details={},
                )
            )
            await uow.session.flush()


async def test_alternating_tenants_on_one_connection_never_leak(runtime, settings: Settings):
    a, b = await _two_orgs(runtime)
    single = Database.connect(
        settings.database.model_copy(update={"pool_size": 1, "max_overflow": 0})
    )
    try:
        expected = {a.organization.id: "Org A", b.organization.id: "Org B"}
        backends = set()
        for i in range(1000):
            org_id = a.organization.id if i % 2 == 0 else b.organization.id
            async with UnitOfWork(single, org_id=org_id) as uow:
                rows = (
                    await uow.session.execute(
                        text(
                            "SELECT o.id, o.name,"
                            " (SELECT array_agg(DISTINCT org_id) FROM audit_events),"
                            " pg_backend_pid() FROM organizations o"
                        )
                    )
                ).all()
            assert len(rows) == 1
            found_id, name, audit_orgs, pid = rows[0]
            backends.add(pid)
            assert (found_id, name) == (org_id, expected[org_id])
            assert audit_orgs == [org_id]
        assert len(backends) == 1  # truly one connection, reused 1000 times
        async with UnitOfWork(single) as uow:
            assert await uow.session.scalar(text("SELECT count(*) FROM audit_events")) == 0
    finally:
        await single.dispose()
