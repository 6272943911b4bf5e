"""Row-level security DDL, used by migrations for every tenant table.

A tenant table is readable and writable only while ``app.org_id`` (set per transaction by
the unit of work) equals the row's ``org_id``. With no tenant set, the expression is NULL:
the table reads empty and refuses inserts. ``FORCE`` applies the policy to the owner too.
"""

from __future__ import annotations

CURRENT_ORG = "NULLIF(current_setting('app.org_id', true), '')::uuid"
CURRENT_USER = "NULLIF(current_setting('app.user_id', true), '')::uuid"


def enable_tenant_rls(
    table: str, *, column: str = "org_id", read_also: str | None = None
) -> list[str]:
    """DDL for a tenant table. ``read_also`` widens USING only (never WITH CHECK), for rows a
    user may see outside the current tenant, such as their own memberships."""
    using = f"{column} = {CURRENT_ORG}"
    if read_also:
        using = f"({using}) OR ({read_also})"
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} AS PERMISSIVE FOR ALL "
        f"USING ({using}) WITH CHECK ({column} = {CURRENT_ORG})",
    ]


def disable_tenant_rls(table: str) -> list[str]:
    return [
        f"DROP POLICY IF EXISTS tenant_isolation ON {table}",
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    ]
