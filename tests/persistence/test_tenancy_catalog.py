"""The database itself enforces tenancy: read from the catalog, for every table."""

from __future__ import annotations

import asyncpg
import pytest

from fiscus.config import Settings
from tests.conftest import _plain

TENANT_ROOTS = {"organizations": "id"}  # the tenant table keyed by the tenant id itself
DEBTS_BUDGETS_GOALS = (
    "debts",
    "debt_rate_changes",
    "debt_payments",
    "debt_due_notices",
    "budgets",
    "budget_alerts",
    "goals",
    "goal_accounts",
    "goal_contributions",
    "goal_milestones",
    "attachments",
)
RECEIVABLES_TABLES = (
    "counterparties",
    "charges",
    "payments",
    "allocations",
    "delinquency_snapshots",
)
PROPERTIES_TABLES = (
    "buildings",
    "units",
    "leases",
    "lease_parties",
    "lease_documents",
    "property_expenses",
)


@pytest.fixture
async def owner(database_url: str):
    connection = await asyncpg.connect(_plain(database_url))
    yield connection
    await connection.close()


async def tenant_tables(owner) -> dict[str, str]:
    rows = await owner.fetch(
        "SELECT table_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name = 'org_id'"
    )
    tables = {r["table_name"]: "org_id" for r in rows}
    tables.update(TENANT_ROOTS)
    return tables


async def test_every_tenant_table_has_forced_rls_with_using_and_with_check(owner):
    tables = await tenant_tables(owner)
    assert {
        "memberships",
        "invitations",
        "audit_events",
        "organizations",
        "manual_instruments",
        "manual_prices",
        "instrument_watches",
        "portfolios",
        "portfolio_transactions",
        "portfolio_holdings",
        "portfolio_csv_mappings",
        *DEBTS_BUDGETS_GOALS,
        *RECEIVABLES_TABLES,
        *PROPERTIES_TABLES,
        "backtests",
        "analytics_settings",
        "bank_imports",
        "bank_lines",
        "bank_import_rows",
        "import_csv_mappings",
        "bank_connections",
        "categorization_rules",
        "categorization_models",
    } <= set(tables)
    for table, column in tables.items():
        flags = await owner.fetchrow(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relname = $1 AND relnamespace = 'public'::regnamespace",
            table,
        )
        assert flags["relrowsecurity"] and flags["relforcerowsecurity"], table
        policies = await owner.fetch(
            "SELECT qual, with_check, roles FROM pg_policies "
            "WHERE schemaname = 'public' AND tablename = $1 AND policyname = 'tenant_isolation'",
            table,
        )
        assert len(policies) == 1, table
        policy = policies[0]
        assert "current_setting('app.org_id'" in (policy["qual"] or ""), table
        assert "current_setting('app.org_id'" in (policy["with_check"] or ""), table
        assert f"{column} = " in policy["with_check"], table


async def test_keys_are_shaped_for_distribution_by_org_id(owner):
    tables = await tenant_tables(owner)
    global_tables = (
        {
            r["tablename"]
            for r in await owner.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        }
        - set(tables)
        - {"alembic_version"}
    )
    for table in global_tables:
        columns = await owner.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = $1", table
        )
        assert "org_id" not in {c["column_name"] for c in columns}
    for table, column in tables.items():
        unique_indexes = await owner.fetch(
            """
            SELECT i.relname AS name,
                   (SELECT a.attname FROM pg_attribute a
                     WHERE a.attrelid = x.indrelid AND a.attnum = x.indkey[0]) AS first_column
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = $1::regclass AND (x.indisunique OR x.indisprimary)
            """,
            table,
        )
        assert unique_indexes, table
        for index in unique_indexes:
            assert index["first_column"] == column, (table, index["name"])
        foreign_keys = await owner.fetch(
            """
            SELECT c.conname, c.confrelid::regclass::text AS target,
                   ARRAY(SELECT a.attname FROM unnest(c.conkey) k
                         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k)
                     AS columns
            FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = $1::regclass
            """,
            table,
        )
        for fk in foreign_keys:
            if fk["target"] in tables:
                assert column in fk["columns"], (table, fk["conname"])


async def test_app_role_is_not_privileged_and_owns_nothing(owner, settings: Settings):
    role = await owner.fetchrow(
        "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles "
        "WHERE rolname = $1",
        settings.database.app_user,
    )
    assert role is not None
    assert not any(role.values())
    owned = await owner.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner = $1",
        settings.database.app_user,
    )
    assert owned == []


async def test_audit_log_is_append_only_for_the_app_role(owner, settings: Settings):
    privileges = await owner.fetch(
        "SELECT privilege_type FROM information_schema.role_table_grants "
        "WHERE table_name = 'audit_events' AND grantee = $1",
        settings.database.app_user,
    )
    assert {p["privilege_type"] for p in privileges} == {"SELECT", "INSERT"}


READ_ONLY_GLOBAL_TABLES = ("instruments", "daily_prices", "corporate_actions")


async def test_market_data_global_tables_are_read_only_for_the_app_role(owner, settings: Settings):
    for table in READ_ONLY_GLOBAL_TABLES:
        privileges = await owner.fetch(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE table_name = $1 AND grantee = $2",
            table,
            settings.database.app_user,
        )
        assert {p["privilege_type"] for p in privileges} == {"SELECT"}, table
        columns = await owner.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = $1", table
        )
        assert "org_id" not in {c["column_name"] for c in columns}, table


async def test_market_data_writers_are_security_definer_functions_of_a_nologin_role(owner):
    functions = await owner.fetch(
        "SELECT p.proname, p.prosecdef, r.rolname AS owner, r.rolcanlogin, p.proconfig "
        "FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner "
        "WHERE p.proname LIKE 'fiscus\\_%' AND p.pronamespace = 'public'::regnamespace"
    )
    by_name = {f["proname"]: f for f in functions}
    for name in (
        "fiscus_upsert_instrument",
        "fiscus_upsert_daily_prices",
        "fiscus_upsert_corporate_actions",
        "fiscus_watched_instruments",
    ):
        function = by_name[name]
        assert function["prosecdef"] and function["owner"] == "fiscus_marketdata", name
        assert not function["rolcanlogin"], name
        assert any(c.startswith("search_path=") for c in function["proconfig"] or []), name


PORTFOLIO_TABLES = (
    "portfolios",
    "portfolio_transactions",
    "portfolio_holdings",
    "portfolio_csv_mappings",
)


async def test_portfolio_tables_are_granted_to_the_app_role_and_lead_with_org_id(
    owner, settings: Settings
):
    for table in PORTFOLIO_TABLES:
        privileges = await owner.fetch(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE table_name = $1 AND grantee = $2",
            table,
            settings.database.app_user,
        )
        assert {p["privilege_type"] for p in privileges} == {
            "SELECT",
            "INSERT",
            "UPDATE",
            "DELETE",
        }, table
        indexes = await owner.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1", table
        )
        assert indexes, table
        for index in indexes:
            columns = index["indexdef"].split("(", 1)[1]
            assert columns.startswith("org_id"), (table, index["indexname"])


APPEND_ONLY = (
    "debt_payments",
    "debt_due_notices",
    "budget_alerts",
    "goal_contributions",
    "goal_milestones",
)


async def test_payments_notices_alerts_and_milestones_are_append_only(owner, settings: Settings):
    for table in APPEND_ONLY:
        privileges = await owner.fetch(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE table_name = $1 AND grantee = $2",
            table,
            settings.database.app_user,
        )
        assert {p["privilege_type"] for p in privileges} == {"SELECT", "INSERT"}, table


async def test_the_active_debts_scan_is_a_security_definer_function_of_a_nologin_role(owner):
    function = await owner.fetchrow(
        "SELECT p.prosecdef, r.rolname AS owner, r.rolcanlogin, p.proconfig "
        "FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner "
        "WHERE p.proname = 'fiscus_orgs_with_active_debts'"
    )
    assert function["prosecdef"] and function["owner"] == "fiscus_maintenance"
    assert not function["rolcanlogin"]
    assert any(c.startswith("search_path=") for c in function["proconfig"] or [])
    policies = await owner.fetch(
        "SELECT policyname, cmd, roles FROM pg_policies WHERE tablename = 'debts'"
    )
    scan = {p["policyname"]: p for p in policies}["active_debts_scan"]
    assert scan["cmd"] == "SELECT" and list(scan["roles"]) == ["fiscus_maintenance"]


async def test_money_documents_are_never_deleted_by_the_app_role(owner, settings: Settings):
    """A void is an update plus a reversal in the ledger; rows stay."""
    for table in ("charges", "payments", "allocations", "property_expenses", "counterparties"):
        privileges = await owner.fetch(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE table_name = $1 AND grantee = $2",
            table,
            settings.database.app_user,
        )
        granted = {p["privilege_type"] for p in privileges}
        assert "SELECT" in granted and "INSERT" in granted, table
        assert not granted & {"DELETE", "TRUNCATE"}, (table, granted)


async def test_the_jobs_organization_lists_are_security_definer_functions_of_a_nologin_role(
    owner,
):
    functions = await owner.fetch(
        "SELECT p.proname, p.prosecdef, r.rolname AS owner, r.rolcanlogin, p.proconfig "
        "FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner "
        "WHERE p.proname IN ('fiscus_billing_organizations', 'fiscus_receivables_organizations')"
    )
    assert len(functions) == 2
    for function in functions:
        assert function["prosecdef"] and function["owner"] == "fiscus_receivables"
        assert not function["rolcanlogin"]
        assert any(c.startswith("search_path=") for c in function["proconfig"] or [])
    # The role reads nothing but the organization ids of the two tables it scans.
    columns = await owner.fetch(
        "SELECT table_name, column_name FROM information_schema.column_privileges "
        "WHERE grantee = 'fiscus_receivables'"
    )
    assert {(c["table_name"], c["column_name"]) for c in columns} == {
        ("leases", "org_id"),
        ("counterparties", "org_id"),
    }


async def test_the_plaid_webhooks_item_lookup_is_the_only_cross_tenant_read_of_connections(
    owner, settings: Settings
):
    function = await owner.fetchrow(
        "SELECT p.prosecdef, r.rolname AS owner, r.rolcanlogin, p.proconfig "
        "FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner "
        "WHERE p.proname = 'fiscus_bank_connection_for_item'"
    )
    assert function["prosecdef"] and function["owner"] == "fiscus_maintenance"
    assert not function["rolcanlogin"]
    assert any(c.startswith("search_path=") for c in function["proconfig"] or [])
    columns = await owner.fetch(
        "SELECT column_name FROM information_schema.column_privileges "
        "WHERE table_name = 'bank_connections' AND grantee = 'fiscus_maintenance'"
    )
    assert {c["column_name"] for c in columns} == {"org_id", "id", "item_id"}  # never the token
    privileges = await owner.fetch(
        "SELECT privilege_type FROM information_schema.role_table_grants "
        "WHERE table_name = 'bank_import_rows' AND grantee = $1",
        settings.database.app_user,
    )
    assert {p["privilege_type"] for p in privileges} == {"SELECT", "INSERT"}
