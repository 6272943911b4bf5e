"""The sub-ledger's invariants, checked from the database (tests and the state machine run
them after every step): per counterparty, charges less allocations equal the control
account's balance over the counterparty's ledger lines, and payments less allocations the
credit account's; no charge or payment is allocated beyond its amount; the derived
``settled_from`` and ``fully_allocated`` equal what the allocations say."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from sqlalchemy import text

from fiscus.persistence.reads.compiled import ReadQuery
from fiscus.persistence.reads.repositories import ReadRepository
from fiscus.persistence.repositories.receivables import SETTLED_FROM

_POSITIONS = ReadQuery.of(
    text("""
    SELECT cp.id,
      coalesce((SELECT sum(c.amount) FROM charges c
                WHERE c.org_id = cp.org_id AND c.counterparty_id = cp.id
                  AND c.voided_on IS NULL), 0)
      - coalesce((SELECT sum(a.amount) FROM allocations a
                  WHERE a.org_id = cp.org_id AND a.counterparty_id = cp.id
                    AND a.voided_on IS NULL), 0) AS balance,
      coalesce((SELECT sum(p.amount) FROM payments p
                WHERE p.org_id = cp.org_id AND p.counterparty_id = cp.id
                  AND p.voided_on IS NULL), 0)
      - coalesce((SELECT sum(a.amount) FROM allocations a
                  WHERE a.org_id = cp.org_id AND a.counterparty_id = cp.id
                    AND a.voided_on IS NULL), 0) AS credit,
      (CASE cp.kind WHEN 'vendor' THEN -1 ELSE 1 END)
        * coalesce((SELECT sum(l.amount) FROM journal_lines l
                    WHERE l.org_id = cp.org_id AND l.account_id = cp.control_account_id
                      AND l.counterparty = cp.id::text), 0) AS ledger_balance,
      (CASE cp.kind WHEN 'vendor' THEN 1 ELSE -1 END)
        * coalesce((SELECT sum(l.amount) FROM journal_lines l
                    WHERE l.org_id = cp.org_id AND l.account_id = cp.credit_account_id
                      AND l.counterparty = cp.id::text), 0) AS ledger_credit
    FROM counterparties cp WHERE cp.org_id = :org_id ORDER BY cp.id""")
)
_OVER_ALLOCATED = ReadQuery.of(
    text("""
    SELECT 'charge' AS kind, c.id FROM charges c
    WHERE c.org_id = :org_id AND c.amount < (
      SELECT coalesce(sum(a.amount), 0) FROM allocations a
      WHERE a.org_id = c.org_id AND a.charge_id = c.id AND a.voided_on IS NULL)
    UNION ALL
    SELECT 'payment', p.id FROM payments p
    WHERE p.org_id = :org_id AND p.amount < (
      SELECT coalesce(sum(a.amount), 0) FROM allocations a
      WHERE a.org_id = p.org_id AND a.payment_id = p.id AND a.voided_on IS NULL)
    UNION ALL
    SELECT 'voided_charge_allocated', c.id FROM charges c
    WHERE c.org_id = :org_id AND c.voided_on IS NOT NULL AND EXISTS (
      SELECT FROM allocations a WHERE a.org_id = c.org_id AND a.charge_id = c.id
        AND a.voided_on IS NULL)""")
)
_DERIVED = ReadQuery.of(
    text(
        SETTLED_FROM.replace(  # noqa: S608 -- constant fragments
            "SELECT unnest(CAST(:ids AS uuid[])) AS id",
            "SELECT id FROM charges WHERE org_id = :org_id",
        )
        + """
    SELECT 'settled_from' AS what, c.id FROM charges c JOIN settled s ON s.id = c.id
    WHERE c.org_id = :org_id
      AND c.settled_from <> least(s.day, coalesce(c.voided_on, 'infinity'::date))
    UNION ALL
    SELECT 'fully_allocated', p.id FROM payments p
    WHERE p.org_id = :org_id AND p.fully_allocated <> (p.amount <= (
      SELECT coalesce(sum(a.amount), 0) FROM allocations a
      WHERE a.org_id = p.org_id AND a.payment_id = p.id AND a.voided_on IS NULL))"""
    )
)


@dataclass(frozen=True, slots=True)
class SubLedgerReport:
    positions: dict[UUID, tuple[Decimal, Decimal]] = field(default_factory=dict)
    """Counterparty -> (balance, credit) from the documents."""
    ledger_mismatches: list[tuple[UUID, Decimal, Decimal, Decimal, Decimal]] = field(
        default_factory=list
    )
    """(counterparty, balance, ledger balance, credit, ledger credit) where they differ."""
    over_allocated: list[tuple[str, UUID]] = field(default_factory=list)
    derived_mismatches: list[tuple[str, UUID]] = field(default_factory=list)

    @property
    def sound(self) -> bool:
        return not (self.ledger_mismatches or self.over_allocated or self.derived_mismatches)


class IntegrityReads(ReadRepository):
    async def report(self) -> SubLedgerReport:
        positions: dict[UUID, tuple[Decimal, Decimal]] = {}
        mismatches = []
        for r in await self.fetch(_POSITIONS, org_id=self.org_id):
            balance, credit = Decimal(r["balance"]), Decimal(r["credit"])
            ledger_balance, ledger_credit = (
                Decimal(r["ledger_balance"]),
                Decimal(r["ledger_credit"]),
            )
            positions[r["id"]] = (balance, credit)
            if balance != ledger_balance or credit != ledger_credit:
                mismatches.append((r["id"], balance, ledger_balance, credit, ledger_credit))
        over = [(r["kind"], r["id"]) for r in await self.fetch(_OVER_ALLOCATED, org_id=self.org_id)]
        derived = [(r["what"], r["id"]) for r in await self.fetch(_DERIVED, org_id=self.org_id)]
        return SubLedgerReport(positions, mismatches, over, derived)
