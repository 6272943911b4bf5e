"""The receivables read statements, compiled once (``ReadQuery``).

Open amounts as of a day D are computed, never read: a charge counts when issued on or
before D and ``settled_from > D`` (not settled for good by then: this also drops charges
voided by D); its open amount is its amount less its allocations made by D and not voided
by D. The index ``(org_id, settled_from, issued_on)`` serves the first condition.
"""

from __future__ import annotations

from sqlalchemy import text

from fiscus.persistence.reads.compiled import ReadQuery

COUNTERPARTY = """cp.id, cp.kind, cp.name, cp.currency, cp.control_account_id,
    cp.credit_account_id, cp.default_account_id, cp.email, cp.phone, cp.address, cp.archived,
    cp.created_at"""
CHARGE = """c.id, c.counterparty_id, c.kind, c.amount, c.currency, c.issued_on, c.due_on,
    c.description, c.account_id, c.entry_id, c.dimensions, c.lease_id, c.source_key, c.fee_for,
    c.voided_on, c.void_reason, c.settled_from, c.created_at"""
PAYMENT = """p.id, p.counterparty_id, p.amount, p.currency, p.received_on, p.method,
    p.account_id, p.entry_id, p.reference, p.memo, p.voided_on, p.void_reason, p.created_at"""
ALLOCATION = """a.id, a.payment_id, a.charge_id, a.counterparty_id, a.amount, a.allocated_on,
    a.entry_id, a.voided_on"""
# The allocations of charge c live on day :as_of.
LIVE_ALLOCATED = """coalesce((SELECT sum(a.amount) FROM allocations a
      WHERE a.org_id = c.org_id AND a.charge_id = c.id AND a.allocated_on <= :as_of
        AND (a.voided_on IS NULL OR a.voided_on > :as_of)), 0)"""

COUNTERPARTIES_PAGE = ReadQuery.of(
    text(f"""
    SELECT {COUNTERPARTY} FROM counterparties cp
    WHERE cp.org_id = :org_id AND (:kind = '' OR cp.kind = :kind)
      AND (:pattern = '' OR cp.name ILIKE :pattern)
      AND (:archived OR NOT cp.archived)
      AND (cp.name, cp.id) > (:after_name, :after_id)
    ORDER BY cp.name, cp.id
    LIMIT :limit""")  # noqa: S608 -- constant fragments
)
COUNTERPARTIES_BY_IDS = ReadQuery.of(
    text(f"""
    SELECT {COUNTERPARTY} FROM counterparties cp
    WHERE cp.org_id = :org_id AND cp.id = ANY(CAST(:ids AS uuid[]))""")  # noqa: S608
)
# Balance (open charges) and credit (unallocated payments) of each counterparty on :as_of.
POSITIONS = ReadQuery.of(
    text(f"""
    SELECT ids.id AS counterparty_id,
      coalesce((SELECT sum(c.amount - {LIVE_ALLOCATED}) FROM charges c
                WHERE c.org_id = :org_id AND c.counterparty_id = ids.id
                  AND c.settled_from > :as_of AND c.issued_on <= :as_of), 0) AS balance,
      coalesce((SELECT sum(p.amount - coalesce((
                  SELECT sum(a.amount) FROM allocations a
                  WHERE a.org_id = p.org_id AND a.payment_id = p.id
                    AND a.allocated_on <= :as_of
                    AND (a.voided_on IS NULL OR a.voided_on > :as_of)), 0))
                FROM payments p
                WHERE p.org_id = :org_id AND p.counterparty_id = ids.id
                  AND p.received_on <= :as_of
                  AND (p.voided_on IS NULL OR p.voided_on > :as_of)), 0) AS credit
    FROM unnest(CAST(:ids AS uuid[])) AS ids(id)""")  # noqa: S608
)
CHARGES_PAGE = ReadQuery.of(
    text(f"""
    SELECT {CHARGE} FROM charges c
    WHERE c.org_id = :org_id
      AND (CAST(:counterparty_id AS uuid) IS NULL
           OR c.counterparty_id = CAST(:counterparty_id AS uuid))
      AND (CAST(:lease_id AS uuid) IS NULL OR c.lease_id = CAST(:lease_id AS uuid))
      AND (:kind = '' OR c.kind = :kind)
      AND (:status = ''
           OR (:status = 'open' AND c.voided_on IS NULL AND c.settled_from = 'infinity')
           OR (:status = 'paid' AND c.voided_on IS NULL AND c.settled_from <> 'infinity')
           OR (:status = 'void' AND c.voided_on IS NOT NULL))
      AND c.due_on >= :due_from AND c.due_on <= :due_to
      AND (:building = '' OR c.dimensions ->> 'building' = :building)
      AND (c.due_on, c.id) < (:after_due, :after_id)
    ORDER BY c.due_on DESC, c.id DESC
    LIMIT :limit""")  # noqa: S608
)
CHARGES_BY_IDS = ReadQuery.of(
    text(f"""
    SELECT {CHARGE} FROM charges c
    WHERE c.org_id = :org_id AND c.id = ANY(CAST(:ids AS uuid[]))""")  # noqa: S608
)
PAYMENTS_PAGE = ReadQuery.of(
    text(f"""
    SELECT {PAYMENT} FROM payments p
    WHERE p.org_id = :org_id
      AND (CAST(:counterparty_id AS uuid) IS NULL
           OR p.counterparty_id = CAST(:counterparty_id AS uuid))
      AND (:status = ''
           OR (:status = 'active' AND p.voided_on IS NULL)
           OR (:status = 'void' AND p.voided_on IS NOT NULL))
      AND p.received_on >= :from_day AND p.received_on <= :to_day
      AND (p.received_on, p.id) < (:after_day, :after_id)
    ORDER BY p.received_on DESC, p.id DESC
    LIMIT :limit""")  # noqa: S608
)
PAYMENTS_BY_IDS = ReadQuery.of(
    text(f"""
    SELECT {PAYMENT} FROM payments p
    WHERE p.org_id = :org_id AND p.id = ANY(CAST(:ids AS uuid[]))""")  # noqa: S608
)
ALLOCATIONS_OF_CHARGES = ReadQuery.of(
    text(f"""
    SELECT {ALLOCATION} FROM allocations a
    WHERE a.org_id = :org_id AND a.charge_id = ANY(CAST(:ids AS uuid[]))
    ORDER BY a.allocated_on, a.id""")  # noqa: S608
)
ALLOCATIONS_OF_PAYMENTS = ReadQuery.of(
    text(f"""
    SELECT {ALLOCATION} FROM allocations a
    WHERE a.org_id = :org_id AND a.payment_id = ANY(CAST(:ids AS uuid[]))
    ORDER BY a.allocated_on, a.id""")  # noqa: S608
)

# Aging: the open charges on :as_of, bucketed by days past due, per group and currency.
_OPEN_ON = f"""
    WITH open AS (
      SELECT c.counterparty_id, c.currency, c.due_on, c.dimensions,
             c.amount - {LIVE_ALLOCATED} AS amount
      FROM charges c
      WHERE c.org_id = :org_id AND c.settled_from > :as_of AND c.issued_on <= :as_of)"""  # noqa: S608
_BUCKETS = """
      sum(amount) FILTER (WHERE :as_of - due_on <= 0) AS current,
      sum(amount) FILTER (WHERE :as_of - due_on BETWEEN 1 AND 30) AS days_1_30,
      sum(amount) FILTER (WHERE :as_of - due_on BETWEEN 31 AND 60) AS days_31_60,
      sum(amount) FILTER (WHERE :as_of - due_on BETWEEN 61 AND 90) AS days_61_90,
      sum(amount) FILTER (WHERE :as_of - due_on > 90) AS over_90,
      count(*) AS charges"""


def _aging(key: str, label_join: str, label: str) -> ReadQuery:
    return ReadQuery.of(
        text(
            _OPEN_ON  # noqa: S608 -- constant fragments
            + f"""
    SELECT g.key, g.currency, {label} AS label, g.current, g.days_1_30, g.days_31_60,
           g.days_61_90, g.over_90, g.charges
    FROM (SELECT {key} AS key, currency, {_BUCKETS}
          FROM open WHERE amount > 0 GROUP BY 1, 2) g
    {label_join}
    ORDER BY label, g.key, g.currency"""  # noqa: S608 -- constant fragments
        )
    )


AGING_BY_COUNTERPARTY = _aging(
    "counterparty_id::text",
    "JOIN counterparties cp ON cp.org_id = :org_id AND cp.id::text = g.key",
    "cp.name",
)
AGING_BY_BUILDING = _aging(
    "dimensions ->> 'building'",
    "LEFT JOIN buildings b ON b.org_id = :org_id AND b.id::text = g.key",
    "coalesce(b.name, g.key, '')",
)
AGING_BY_UNIT = _aging(
    "dimensions ->> 'unit'",
    "LEFT JOIN units u ON u.org_id = :org_id AND u.id::text = g.key "
    "LEFT JOIN buildings b ON b.org_id = :org_id AND b.id = u.building_id",
    "coalesce(b.name || ' ' || u.number, g.key, '')",
)
AGING_TOTAL = _aging("NULL::text", "", "''")

# A statement of account: the net position (charges less payments) the day before :from_day,
# and every charge, payment and void of the period.
OPENING = ReadQuery.of(
    text("""
    SELECT
      coalesce((SELECT sum(c.amount) FROM charges c
                WHERE c.org_id = :org_id AND c.counterparty_id = :counterparty_id
                  AND c.issued_on < :from_day
                  AND (c.voided_on IS NULL OR c.voided_on >= :from_day)), 0)
      - coalesce((SELECT sum(p.amount) FROM payments p
                  WHERE p.org_id = :org_id AND p.counterparty_id = :counterparty_id
                    AND p.received_on < :from_day
                    AND (p.voided_on IS NULL OR p.voided_on >= :from_day)), 0) AS opening""")
)
MOVEMENTS = ReadQuery.of(
    text("""
    SELECT 'charge' AS kind, c.id, c.issued_on AS day, c.amount,
           coalesce(c.description, initcap(replace(c.kind, '_', ' '))) AS description,
           NULL AS reference, c.due_on
    FROM charges c
    WHERE c.org_id = :org_id AND c.counterparty_id = :counterparty_id
      AND c.issued_on BETWEEN :from_day AND :to_day
    UNION ALL
    SELECT 'charge_void', c.id, c.voided_on, c.amount,
           'Void: ' || coalesce(c.description, initcap(replace(c.kind, '_', ' '))),
           c.void_reason, c.due_on
    FROM charges c
    WHERE c.org_id = :org_id AND c.counterparty_id = :counterparty_id
      AND c.voided_on BETWEEN :from_day AND :to_day
    UNION ALL
    SELECT 'payment', p.id, p.received_on, p.amount,
           'Payment (' || replace(p.method, '_', ' ') || ')', p.reference, NULL
    FROM payments p
    WHERE p.org_id = :org_id AND p.counterparty_id = :counterparty_id
      AND p.received_on BETWEEN :from_day AND :to_day
    UNION ALL
    SELECT 'payment_void', p.id, p.voided_on, p.amount,
           'Void: payment (' || replace(p.method, '_', ' ') || ')', p.reference, NULL
    FROM payments p
    WHERE p.org_id = :org_id AND p.counterparty_id = :counterparty_id
      AND p.voided_on BETWEEN :from_day AND :to_day""")
)
SNAPSHOTS = ReadQuery.of(
    text("""
    SELECT as_of, currency, sum(current) AS current, sum(days_1_30) AS days_1_30,
           sum(days_31_60) AS days_31_60, sum(days_61_90) AS days_61_90,
           sum(over_90) AS over_90, sum(open_charges) AS charges,
           count(*) AS counterparties
    FROM delinquency_snapshots
    WHERE org_id = :org_id AND as_of BETWEEN :from_day AND :to_day
    GROUP BY as_of, currency ORDER BY as_of, currency""")
)
