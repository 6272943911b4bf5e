"""ledger posting, faster: fiscus_ledger_post takes typed arrays (no JSON to pick apart), checks
the lines in one statement and writes the idempotency claims, entries, audit events, lines and
both summaries (day and month) in another; the month summary's trigger goes (the posting
writes it), and the insert check on journal_lines asks one question instead of two

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-02 03:00:00+00:00
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op
from fiscus.persistence.migration_roles import app_role

revision: str = "0010"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SECURITY INVOKER: it runs as the app role, under row-level security, in the tenant context
# it sets first (transaction-local). Called as a statement of its own it is its own
# transaction: one round trip per call, whatever the number of entries.
#
# Entries are the p_ids..p_details arrays (one element per entry, distinct (scope, key));
# lines are the p_line_* arrays plus p_accounts, p_amounts, p_currencies (NULL: the
# account's), p_rates, p_dimensions, p_counterparties, each line naming its entry by
# position (1-based) in p_line_entries and its number in the entry in p_line_nos.
# An idempotency key's stored response is {"entry_id": <the entry's id>}. p_sessions (per
# entry, NULL: none to confirm) are the callers' sessions, confirmed in this transaction as a
# request's access check does: live (not revoked, not expired) and the user's current role in
# the organization among p_roles; otherwise it answers {"outcome": "refused", role, sessions:
# [{session, live}]} having written nothing.
#
# Answers {"outcome": "rejected", accounts, closed_through, stored} having written nothing
# (a line's account is unknown, archived or in another currency, a rate is missing, an entry
# does not balance per currency or falls into the closed period: the caller names it), or
# {"outcome": "posted", currencies, stored}: every entry whose key was new is posted,
# `currencies` holds each line's currency (the account's), `stored` the keys used before
# (same fingerprint: the caller replays the stored response). A key used before with
# another fingerprint raises SQLSTATE FI409 (DETAIL: the key) and rolls everything back.
POST = (
    "fiscus_ledger_post(uuid, uuid, uuid[], text[], uuid[], date[], text[], uuid[],"
    " timestamptz[], text[], text[], text[], uuid[], text[], jsonb[], integer[], smallint[],"
    " uuid[], numeric[], text[], numeric[], jsonb[], text[], text[])"
)
POST_SQL = """
    CREATE FUNCTION fiscus_ledger_post(
        p_org uuid, p_user uuid, p_sessions uuid[], p_roles text[],
        p_ids uuid[], p_dates date[], p_memos text[], p_reverses uuid[],
        p_posted_at timestamptz[], p_scopes text[], p_keys text[], p_fingerprints text[],
        p_event_ids uuid[], p_actions text[], p_details jsonb[],
        p_line_entries integer[], p_line_nos smallint[], p_accounts uuid[],
        p_amounts numeric[], p_currencies text[], p_rates numeric[], p_dimensions jsonb[],
        p_counterparties text[], p_line_memos text[]) RETURNS jsonb
    LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
    DECLARE
      v_org_key integer := fiscus_ledger_lock_key(p_org);
      v_closed date;
      v_ok boolean;
      v_currencies text[];
      v_claimed integer;
      v_stored jsonb;
      v_reused text;
      v_role text;
      v_refused jsonb;
    BEGIN
      PERFORM set_config('app.org_id', p_org::text, true),
              set_config('app.user_id', coalesce(p_user::text, ''), true);
      -- The callers' access, in the transaction that writes.
      IF p_sessions IS NOT NULL THEN
        SELECT m.role INTO v_role FROM memberships m
        WHERE m.org_id = p_org AND m.user_id = p_user;
        SELECT jsonb_agg(jsonb_build_object('session', s.id, 'live', s.live))
        INTO v_refused
        FROM (SELECT DISTINCT i.id,
                     EXISTS (SELECT FROM auth_sessions a
                             WHERE a.id = i.id AND a.user_id = p_user
                               AND a.revoked_at IS NULL AND a.expires_at > now()) AS live
              FROM unnest(p_sessions) i(id) WHERE i.id IS NOT NULL) s
        WHERE NOT s.live OR NOT coalesce(v_role = ANY (p_roles), false);
        IF v_refused IS NOT NULL THEN
          RETURN jsonb_build_object('outcome', 'refused', 'role', v_role,
                                    'sessions', v_refused);
        END IF;
      END IF;
      -- The period lock shared (closing takes it exclusively), then the accounts' locks in
      -- one sorted order: writers sharing accounts queue, never deadlock.
      PERFORM pg_advisory_xact_lock_shared(1279607879, v_org_key);
      PERFORM pg_advisory_xact_lock(v_org_key, k.k)
      FROM (SELECT DISTINCT fiscus_ledger_lock_key(a) AS k FROM unnest(p_accounts) a
            ORDER BY 1) k;
      -- One statement, a new snapshot (it sees every close committed before the locks):
      -- every line's account exists here, is open and kept in the line's currency; lines
      -- not in the entry's first currency carry a rate; every entry has lines, balances
      -- per currency and falls after the closed period.
      SELECT c.closed,
             coalesce(bool_and(l.currency IS NOT NULL AND NOT l.archived
                               AND (l.given IS NULL OR l.given = l.currency)
                               AND (l.rate IS NOT NULL OR l.currency = l.first_currency)
                               AND l.entry_total = 0
                               AND (c.closed IS NULL OR p_dates[l.entry_no] > c.closed)), false)
               AND count(DISTINCT l.entry_no) = cardinality(p_ids)
               AND min(l.entry_no) >= 1 AND max(l.entry_no) <= cardinality(p_ids),
             array_agg(l.currency ORDER BY l.line_no)
      INTO v_closed, v_ok, v_currencies
      FROM (SELECT (SELECT p.closed_through FROM ledger_period_closes p
                    WHERE p.org_id = p_org ORDER BY p.seq DESC LIMIT 1) AS closed) c
      CROSS JOIN (
        SELECT x.entry_no, x.line_no, x.given, x.rate, a.archived, a.currency,
               first_value(a.currency) OVER (PARTITION BY x.entry_no ORDER BY x.line_no)
                 AS first_currency,
               sum(x.amount) OVER (PARTITION BY x.entry_no, a.currency) AS entry_total
        FROM unnest(p_line_entries, p_accounts, p_currencies, p_rates, p_amounts)
             WITH ORDINALITY x(entry_no, account_id, given, rate, amount, line_no)
        LEFT JOIN ledger_accounts a ON a.org_id = p_org AND a.id = x.account_id) l
      GROUP BY c.closed;
      IF v_ok IS NOT TRUE THEN
        RETURN jsonb_build_object(
          'outcome', 'rejected',
          'closed_through', v_closed,
          'accounts', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                          'id', a.id, 'code', a.code, 'name', a.name, 'type', a.type,
                          'currency', a.currency, 'parent_id', a.parent_id,
                          'archived', a.archived, 'tags', a.tags)), '[]'::jsonb)
                       FROM ledger_accounts a
                       WHERE a.org_id = p_org AND a.id = ANY (p_accounts)),
          'stored', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                        'scope', k.scope, 'key', k.key, 'fingerprint', k.request_fingerprint,
                        'response', k.response)), '[]'::jsonb)
                     FROM unnest(p_scopes, p_keys) i(scope, key)
                     JOIN idempotency_keys k ON k.org_id = p_org
                      AND k.scope = i.scope AND k.key = i.key));
      END IF;
      -- Claim the keys (in key order: two callers sharing keys queue, never deadlock; a
      -- concurrent claim of the same key waits here until its transaction ends), then
      -- write what the claimed entries need: entries, audit events, lines, and both
      -- summaries upserted in key order.
      WITH input AS (
        SELECT * FROM unnest(p_ids, p_dates, p_memos, p_reverses, p_posted_at, p_scopes,
                             p_keys, p_fingerprints, p_event_ids, p_actions, p_details)
          WITH ORDINALITY i(id, day, memo, reverses, at, scope, key, fingerprint, event_id,
                            action, details, entry_no)),
      claimed AS (
        INSERT INTO idempotency_keys (org_id, scope, key, request_fingerprint, response,
                                      created_at)
        SELECT p_org, scope, key, fingerprint, jsonb_build_object('entry_id', id), at
        FROM input ORDER BY scope, key
        ON CONFLICT (org_id, scope, key) DO NOTHING
        RETURNING scope, key),
      posted AS (
        SELECT i.* FROM input i JOIN claimed c ON c.scope = i.scope AND c.key = i.key),
      entries AS (
        INSERT INTO journal_entries (org_id, id, entry_date, memo, status, reverses,
                                     posted_at, created_by, created_at)
        SELECT p_org, id, day, memo, 'posted', reverses, at, p_user, at FROM posted
        RETURNING 1),
      events AS (
        INSERT INTO audit_events (org_id, id, occurred_at, actor_user_id, action,
                                  subject_type, subject_id, details)
        SELECT p_org, event_id, at, p_user, action, 'journal_entry', id::text, details
        FROM posted
        RETURNING 1),
      lines AS (
        INSERT INTO journal_lines (org_id, entry_id, line_no, account_id, entry_date,
                                   amount, currency, rate, dimensions, counterparty, memo)
        SELECT p_org, p.id, x.line_no, x.account_id, p.day, x.amount, x.currency, x.rate,
               coalesce(x.dimensions, '{}'::jsonb), x.counterparty, x.memo
        FROM unnest(p_line_entries, p_line_nos, p_accounts, p_amounts, v_currencies,
                    p_rates, p_dimensions, p_counterparties, p_line_memos)
             x(entry_no, line_no, account_id, amount, currency, rate, dimensions,
               counterparty, memo)
        JOIN posted p ON p.entry_no = x.entry_no
        RETURNING account_id, currency, entry_date, amount),
      days AS (
        INSERT INTO ledger_account_days AS d (org_id, account_id, currency, day,
                                              amount_sum, line_count)
        SELECT p_org, account_id, currency, entry_date, sum(amount), count(*) FROM lines
        GROUP BY account_id, currency, entry_date
        ORDER BY account_id, currency, entry_date
        ON CONFLICT (org_id, account_id, currency, day) DO UPDATE SET
          amount_sum = d.amount_sum + EXCLUDED.amount_sum,
          line_count = d.line_count + EXCLUDED.line_count
        RETURNING 1),
      months AS (
        INSERT INTO ledger_account_months AS m (org_id, account_id, currency, month,
                                                amount_sum, line_count)
        SELECT p_org, account_id, currency, date_trunc('month', entry_date)::date,
               sum(amount), count(*) FROM lines
        GROUP BY 2, 3, 4 ORDER BY 2, 3, 4
        ON CONFLICT (org_id, account_id, currency, month) DO UPDATE SET
          amount_sum = m.amount_sum + EXCLUDED.amount_sum,
          line_count = m.line_count + EXCLUDED.line_count
        RETURNING 1)
      SELECT count(*) INTO v_claimed FROM claimed;
      IF v_claimed < cardinality(p_ids) THEN
        -- Keys used before (a new snapshot: it sees the claims it waited for).
        SELECT coalesce(jsonb_agg(jsonb_build_object(
                 'scope', k.scope, 'key', k.key, 'fingerprint', k.request_fingerprint,
                 'response', k.response)), '[]'::jsonb),
               min(k.key) FILTER (WHERE k.request_fingerprint <> i.fingerprint)
        INTO v_stored, v_reused
        FROM unnest(p_ids, p_scopes, p_keys, p_fingerprints) i(id, scope, key, fingerprint)
        JOIN idempotency_keys k ON k.org_id = p_org AND k.scope = i.scope AND k.key = i.key
        WHERE k.response->>'entry_id' IS DISTINCT FROM i.id::text;
        IF v_reused IS NOT NULL THEN
          RAISE EXCEPTION 'idempotency key reused with a different request'
            USING ERRCODE = 'FI409', DETAIL = v_reused;
        END IF;
      END IF;
      RETURN jsonb_build_object(
        'outcome', 'posted',
        'stored', coalesce(v_stored, '[]'::jsonb),
        'currencies', to_jsonb(v_currencies));
    END $$"""

# The insert check of migration 0004, one statement instead of two: lines go only into an
# entry posted by this very transaction, and every INSERT statement's lines balance per
# entry and currency. The entry is looked up by its key, once per (entry, currency).
LINES_INSERTED_SQL = """
    CREATE OR REPLACE FUNCTION fiscus_ledger_lines_inserted() RETURNS trigger
    LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
    DECLARE
      v_foreign boolean;
      v_unbalanced boolean;
    BEGIN
      SELECT coalesce(bool_or((SELECT e.status <> 'posted'
                                      OR e.xmin <> pg_current_xact_id()::xid
                               FROM journal_entries e
                               WHERE e.org_id = g.org_id AND e.id = g.entry_id)
                              IS NOT FALSE), false),
             coalesce(bool_or(g.total <> 0), false)
      INTO v_foreign, v_unbalanced
      FROM (SELECT l.org_id, l.entry_id, l.currency, sum(l.amount) AS total
            FROM new_lines l GROUP BY 1, 2, 3) g;
      IF v_foreign THEN
        RAISE EXCEPTION 'lines may only be added to an entry posted by the same transaction'
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF v_unbalanced THEN
        RAISE EXCEPTION 'journal lines must balance per entry and currency'
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NULL;
    END $$"""

MONTHS_TRIGGER = "journal_lines_months_maintained"
MONTHS_FUNCTION = "fiscus_ledger_months_maintained()"


def _revision(number: str) -> ModuleType:
    """An earlier revision's module, for the definitions this one replaces."""
    path = next(Path(__file__).parent.glob(f"*-{number}_*.py"))
    spec = importlib.util.spec_from_file_location(f"fiscus_revision_{number}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    previous = _revision("0005")
    op.execute(f"DROP FUNCTION {previous.POST}")
    op.execute(POST_SQL)
    op.execute(f"REVOKE ALL ON FUNCTION {POST} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {POST} TO {app_role()}")
    op.execute(f"DROP TRIGGER {MONTHS_TRIGGER} ON journal_lines")
    op.execute(f"DROP FUNCTION {MONTHS_FUNCTION}")
    op.execute(LINES_INSERTED_SQL)


def downgrade() -> None:
    posting, months, ledger = _revision("0005"), _revision("0006"), _revision("0004")
    op.execute(
        ledger.FUNCTIONS["fiscus_ledger_lines_inserted()"].replace(
            "CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1
        )
    )
    op.execute(months.MAINTAIN_SQL)
    op.execute(months.TRIGGER_SQL)
    op.execute(f"DROP FUNCTION {POST}")
    op.execute(posting.POST_SQL)
    op.execute(f"REVOKE ALL ON FUNCTION {posting.POST} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {posting.POST} TO {app_role()}")
