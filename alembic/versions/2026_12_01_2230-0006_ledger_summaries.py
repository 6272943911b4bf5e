"""ledger summaries: per-account per-month sums (``ledger_account_months``) kept by a
statement-level trigger on ``journal_lines`` INSERT, so statements and balances as of a
date read at most one row per account and month plus the days of the edge months

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:30:00.000000+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from fiscus.persistence.migration_roles import app_role
from fiscus.persistence.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The summary follows the lines whatever writes them (the posting service, an import, a
# COPY): one upsert per INSERT statement, grouped per (account, currency, month) and in key
# order, so two writers touching the same months lock the rows in one order. Posting holds
# the accounts' advisory locks already; this trigger adds no lock of its own.
MAINTAIN = "fiscus_ledger_months_maintained()"
MAINTAIN_SQL = """
    CREATE FUNCTION fiscus_ledger_months_maintained() RETURNS trigger
    LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
    BEGIN
      INSERT INTO ledger_account_months AS m (org_id, account_id, currency, month,
                                              amount_sum, line_count)
      SELECT l.org_id, l.account_id, l.currency, date_trunc('month', l.entry_date)::date,
             sum(l.amount), count(*)
      FROM new_lines l
      GROUP BY 1, 2, 3, 4
      ORDER BY 1, 2, 3, 4
      ON CONFLICT (org_id, account_id, currency, month) DO UPDATE SET
        amount_sum = m.amount_sum + EXCLUDED.amount_sum,
        line_count = m.line_count + EXCLUDED.line_count;
      RETURN NULL;
    END $$"""
TRIGGER = "journal_lines_months_maintained"
TRIGGER_SQL = """
    CREATE TRIGGER journal_lines_months_maintained
    AFTER INSERT ON journal_lines
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION fiscus_ledger_months_maintained()"""


def upgrade() -> None:
    op.create_table(
        "ledger_account_months",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("amount_sum", sa.Numeric(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "extract(day FROM month) = 1", name=op.f("ck_ledger_account_months_first_day")
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "account_id"],
            ["ledger_accounts.org_id", "ledger_accounts.id"],
            name=op.f("fk_ledger_account_months_org_id_account_id_ledger_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "org_id", "account_id", "currency", "month", name=op.f("pk_ledger_account_months")
        ),
    )
    # Written only by the trigger, as the role that inserts the lines (RLS applies to it).
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON ledger_account_months TO {app_role()}")
    for statement in enable_tenant_rls("ledger_account_months"):
        op.execute(statement)
    op.execute(MAINTAIN_SQL)
    op.execute(TRIGGER_SQL)
    # Books posted before this migration: roll their lines up, across every organization.
    # The owner is subject to the forced policies unless it is a superuser, so lift FORCE
    # for this one statement (inside the migration's transaction).
    for table in ("journal_lines", "ledger_account_months"):
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute("""
        INSERT INTO ledger_account_months (org_id, account_id, currency, month, amount_sum,
                                           line_count)
        SELECT org_id, account_id, currency, date_trunc('month', entry_date)::date,
               sum(amount), count(*)
        FROM journal_lines GROUP BY 1, 2, 3, 4""")
    for table in ("journal_lines", "ledger_account_months"):
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def downgrade() -> None:
    op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON journal_lines")
    op.execute(f"DROP FUNCTION IF EXISTS {MAINTAIN}")
    for statement in disable_tenant_rls("ledger_account_months"):
        op.execute(statement)
    op.drop_table("ledger_account_months")
