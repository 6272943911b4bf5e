"""ledger posting in one statement: fiscus_ledger_post(org, user, at, entries) sets the
tenant context, takes the locks, checks every line against the chart and the closed period,
claims the idempotency keys and writes entries, audit events, lines and the summary

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 22:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from fiscus.persistence.migration_roles import app_role

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The advisory-lock key of an id: its first four bytes as a signed int32, as
# fiscus.persistence.repositories.ledger.account_lock_keys computes it in Python.
LOCK_KEY = "fiscus_ledger_lock_key(uuid)"
LOCK_KEY_SQL = """
    CREATE FUNCTION fiscus_ledger_lock_key(id uuid) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
      SELECT ('x' || left(replace(id::text, '-', ''), 8))::bit(32)::integer
    $$"""

# SECURITY INVOKER: it runs as the app role, under row-level security, in the tenant
# context it sets first (transaction-local, like the unit of work's). Called as a statement
# of its own it is its own transaction: one round trip per posting (or per batch).
#
# p_entries: [{id, date, memo, reverses, scope, key, fingerprint, response, event_id, action,
#   details, lines: [{account_id, amount (text), currency | null, rate | null, dimensions,
#   counterparty, memo}]}] with distinct (scope, key).
# Answers {"outcome": "rejected", accounts, closed_through, stored} having written nothing
# (a line's account is unknown, archived or in another currency, a rate is missing, an
# entry does not balance per currency or falls into the closed period: the caller names
# it), or {"outcome": "posted", currencies, stored}: every entry whose key was new is
# posted; `stored` lists the keys already used (same fingerprint: the caller replays the
# stored response). A key used with another fingerprint raises SQLSTATE FI409 (DETAIL: the
# key) and rolls everything back.
POST = "fiscus_ledger_post(uuid, uuid, timestamptz, jsonb)"
POST_SQL = """
    CREATE FUNCTION fiscus_ledger_post(p_org uuid, p_user uuid, p_at timestamptz,
                                       p_entries jsonb) RETURNS jsonb
    LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
    DECLARE
      v_org_key integer := fiscus_ledger_lock_key(p_org);
      v_closed date;
      v_ok boolean;
      v_claimed text[];
      v_stored jsonb;
      v_reused text;
      v_currencies jsonb;
    BEGIN
      PERFORM set_config('app.org_id', p_org::text, true),
              set_config('app.user_id', coalesce(p_user::text, ''), true);
      -- The period lock shared (closing takes it exclusively), then the accounts' locks in
      -- one sorted order: writers sharing accounts queue, never deadlock.
      PERFORM pg_advisory_xact_lock_shared(1279607879, v_org_key);
      PERFORM pg_advisory_xact_lock(v_org_key, k.k)
      FROM (SELECT DISTINCT fiscus_ledger_lock_key((l.v->>'account_id')::uuid) AS k
            FROM jsonb_array_elements(p_entries) e(v),
                 jsonb_array_elements(e.v->'lines') l(v)
            ORDER BY 1) k;
      -- New statements, new snapshots: they see every close committed before the locks.
      v_closed := (SELECT c.closed_through FROM ledger_period_closes c
                   WHERE c.org_id = p_org ORDER BY c.seq DESC LIMIT 1);
      WITH l AS (
        SELECT e.n AS entry_no, x.n AS line_no, (e.v->>'date')::date AS day,
               (x.v->>'amount')::numeric AS amount, x.v->>'rate' AS rate,
               a.id AS account_id, a.archived, a.currency AS account_currency,
               coalesce(x.v->>'currency', a.currency) AS currency
        FROM jsonb_array_elements(p_entries) WITH ORDINALITY e(v, n)
        CROSS JOIN jsonb_array_elements(e.v->'lines') WITH ORDINALITY x(v, n)
        LEFT JOIN ledger_accounts a
          ON a.org_id = p_org AND a.id = (x.v->>'account_id')::uuid)
      SELECT NOT EXISTS (SELECT FROM l WHERE l.account_id IS NULL OR l.archived
                           OR l.currency <> l.account_currency
                           OR (v_closed IS NOT NULL AND l.day <= v_closed))
         AND NOT EXISTS (SELECT FROM l GROUP BY l.entry_no, l.currency
                         HAVING sum(l.amount) <> 0)
         AND NOT EXISTS (SELECT FROM l JOIN l f ON f.entry_no = l.entry_no AND f.line_no = 1
                         WHERE l.currency <> f.currency AND l.rate IS NULL),
             (SELECT jsonb_object_agg(l.account_id, l.account_currency) FROM l
              WHERE l.account_id IS NOT NULL)
      INTO v_ok, v_currencies;
      IF NOT v_ok THEN
        RETURN jsonb_build_object(
          'outcome', 'rejected',
          'closed_through', v_closed,
          'accounts', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                          'id', a.id, 'code', a.code, 'name', a.name, 'type', a.type,
                          'currency', a.currency, 'parent_id', a.parent_id,
                          'archived', a.archived, 'tags', a.tags)), '[]'::jsonb)
                       FROM ledger_accounts a
                       WHERE a.org_id = p_org AND a.id IN (
                         SELECT (l.v->>'account_id')::uuid
                         FROM jsonb_array_elements(p_entries) e(v),
                              jsonb_array_elements(e.v->'lines') l(v))),
          'stored', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                        'scope', k.scope, 'key', k.key, 'fingerprint', k.request_fingerprint,
                        'response', k.response)), '[]'::jsonb)
                     FROM jsonb_array_elements(p_entries) e(v)
                     JOIN idempotency_keys k ON k.org_id = p_org
                      AND k.scope = e.v->>'scope' AND k.key = e.v->>'key'));
      END IF;
      -- A concurrent claim of the same key waits here until its transaction ends.
      WITH claimed AS (
        INSERT INTO idempotency_keys (org_id, scope, key, request_fingerprint, response,
                                      created_at)
        SELECT p_org, e.v->>'scope', e.v->>'key', e.v->>'fingerprint', e.v->'response', p_at
        FROM jsonb_array_elements(p_entries) e(v)
        ON CONFLICT (org_id, scope, key) DO NOTHING
        RETURNING scope || ' ' || key AS claim)
      SELECT coalesce(array_agg(claim), '{}') INTO v_claimed FROM claimed;
      IF cardinality(v_claimed) < jsonb_array_length(p_entries) THEN
        SELECT coalesce(jsonb_agg(jsonb_build_object(
                 'scope', k.scope, 'key', k.key, 'fingerprint', k.request_fingerprint,
                 'response', k.response)), '[]'::jsonb),
               min(k.key) FILTER (WHERE k.request_fingerprint <> e.v->>'fingerprint')
        INTO v_stored, v_reused
        FROM jsonb_array_elements(p_entries) e(v)
        JOIN idempotency_keys k ON k.org_id = p_org
         AND k.scope = e.v->>'scope' AND k.key = e.v->>'key'
        WHERE NOT ((e.v->>'scope') || ' ' || (e.v->>'key')) = ANY (v_claimed);
        IF v_reused IS NOT NULL THEN
          RAISE EXCEPTION 'idempotency key reused with a different request'
            USING ERRCODE = 'FI409', DETAIL = v_reused;
        END IF;
      END IF;
      WITH e AS (
        SELECT v FROM jsonb_array_elements(p_entries) e(v)
        WHERE ((v->>'scope') || ' ' || (v->>'key')) = ANY (v_claimed)),
      entries AS (
        INSERT INTO journal_entries (org_id, id, entry_date, memo, status, reverses,
                                     posted_at, created_by, created_at)
        SELECT p_org, (v->>'id')::uuid, (v->>'date')::date, v->>'memo', 'posted',
               (v->>'reverses')::uuid, p_at, p_user, p_at
        FROM e
        RETURNING 1)
      INSERT INTO audit_events (org_id, id, occurred_at, actor_user_id, action,
                                subject_type, subject_id, details)
      SELECT p_org, (v->>'event_id')::uuid, p_at, p_user, v->>'action', 'journal_entry',
             v->>'id', v->'details'
      FROM e;
      -- One INSERT for every line: the immutability trigger checks them all at once.
      WITH lines AS (
        INSERT INTO journal_lines (org_id, entry_id, line_no, account_id, entry_date, amount,
                                   currency, rate, dimensions, counterparty, memo)
        SELECT p_org, (e.v->>'id')::uuid, x.n - 1, a.id, (e.v->>'date')::date,
               (x.v->>'amount')::numeric, a.currency, (x.v->>'rate')::numeric,
               x.v->'dimensions', x.v->>'counterparty', x.v->>'memo'
        FROM jsonb_array_elements(p_entries) e(v)
        CROSS JOIN jsonb_array_elements(e.v->'lines') WITH ORDINALITY x(v, n)
        JOIN ledger_accounts a ON a.org_id = p_org AND a.id = (x.v->>'account_id')::uuid
        WHERE ((e.v->>'scope') || ' ' || (e.v->>'key')) = ANY (v_claimed)
        RETURNING account_id, currency, entry_date, amount),
      summed AS (
        SELECT account_id, currency, entry_date, sum(amount) AS amount, count(*) AS n
        FROM lines GROUP BY account_id, currency, entry_date
        ORDER BY account_id, currency, entry_date)
      INSERT INTO ledger_account_days AS d (org_id, account_id, currency, day, amount_sum,
                                            line_count)
      SELECT p_org, account_id, currency, entry_date, amount, n FROM summed
      ON CONFLICT (org_id, account_id, currency, day) DO UPDATE SET
        amount_sum = d.amount_sum + EXCLUDED.amount_sum,
        line_count = d.line_count + EXCLUDED.line_count;
      RETURN jsonb_build_object(
        'outcome', 'posted',
        'stored', coalesce(v_stored, '[]'::jsonb),
        'currencies', v_currencies);
    END $$"""


def upgrade() -> None:
    role = app_role()
    op.execute(LOCK_KEY_SQL)
    op.execute(POST_SQL)
    for signature in (LOCK_KEY, POST):
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {role}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {POST}")
    op.execute(f"DROP FUNCTION IF EXISTS {LOCK_KEY}")
