"""Receivables writes (units of work), reached lazily as ``uow.receivables``: counterparties
and their row locks, the documents (charges, payments, allocations) in bulk statements,
voids, the derived ``settled_from`` / ``fully_allocated``, the sub-ledger's standard
accounts, and posting its entries with ``fiscus_ledger_post`` inside the unit's own
transaction (one statement for any number of entries: locks, checks, entries, audit
events, lines, summaries).

Every money-moving use case first locks the counterparties it touches (``lock``, in id
order): their charges' open amounts and their payments' unallocated amounts cannot change
under it, so no allocation can exceed either.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import text

from fiscus.domain.ledger import Account, AccountType
from fiscus.domain.receivables import (
    AgingFigures,
    Allocation,
    Charge,
    ChargeKind,
    Counterparty,
    CounterpartyKind,
    Credit,
    OpenItem,
    Payment,
    PaymentMethod,
)
from fiscus.persistence.models.identity import AuditEventRow
from fiscus.persistence.models.receivables import CounterpartyRow
from fiscus.persistence.repositories.base import AreaRepository
from fiscus.persistence.repositories.ledger import _account
from fiscus.persistence.repositories.ledger_posting import (
    POSTING_ARRAY_TYPES,
    EntryToPost,
    PostingOutcome,
    outcome_of,
    posting_arguments,
)

OPEN = date.max
"""``settled_from`` of a charge with something open (PostgreSQL ``'infinity'``)."""

_POST = text(
    "SELECT fiscus_ledger_post(:org_id, :user_id, NULL, CAST(:roles AS text[]), "
    + ", ".join(f"CAST(:a{n} AS {kind})" for n, kind in enumerate(POSTING_ARRAY_TYPES))
    + ")"
)
_COUNTERPARTY_COLUMNS = """id, kind, name, currency, control_account_id, credit_account_id,
    default_account_id, email, phone, address, archived, created_at"""
_LOCK = text(f"""
    SELECT {_COUNTERPARTY_COLUMNS} FROM counterparties
    WHERE org_id = :org_id AND id = ANY(CAST(:ids AS uuid[]))
    ORDER BY id FOR UPDATE""")  # noqa: S608 -- constant fragments
_ENSURE_ACCOUNT = text("""
    WITH created AS (
      INSERT INTO ledger_accounts (org_id, id, code, name, type, currency, tags, archived,
                                   created_at)
      VALUES (:org_id, :id, :code, :name, :type, :currency, CAST(:tags AS jsonb), false, :at)
      ON CONFLICT (org_id, code) DO NOTHING
      RETURNING id, code, name, type, currency, parent_id, archived, tags)
    SELECT * FROM created
    UNION ALL
    SELECT id, code, name, type, currency, parent_id, archived, tags FROM ledger_accounts
    WHERE org_id = :org_id AND code = :code AND NOT EXISTS (SELECT FROM created)""")
_ACCOUNTS = text("""
    SELECT id, code, name, type, currency, parent_id, archived, tags FROM ledger_accounts
    WHERE org_id = :org_id AND id = ANY(CAST(:ids AS uuid[]))""")
_CHARGE_COLUMNS = """c.id, c.counterparty_id, c.kind, c.amount, c.currency, c.issued_on, c.due_on,
    c.description, c.account_id, c.entry_id, c.dimensions, c.lease_id, c.source_key, c.fee_for,
    c.voided_on, c.void_reason, c.settled_from, c.created_at"""
_PAYMENT_COLUMNS = """p.id, p.counterparty_id, p.amount, p.currency, p.received_on, p.method,
    p.account_id, p.entry_id, p.reference, p.memo, p.voided_on, p.void_reason, p.created_at"""
_ALLOCATION_COLUMNS = """a.id, a.payment_id, a.charge_id, a.counterparty_id, a.amount,
    a.allocated_on, a.entry_id, a.voided_on"""
_CHARGES = text(f"""
    SELECT {_CHARGE_COLUMNS} FROM charges c
    WHERE c.org_id = :org_id AND c.id = ANY(CAST(:ids AS uuid[]))""")  # noqa: S608 -- constant fragments
_LEASE_CHARGES = text(f"""
    SELECT {_CHARGE_COLUMNS} FROM charges c
    WHERE c.org_id = :org_id AND c.lease_id = :lease_id AND c.kind = :kind
    ORDER BY c.issued_on, c.id""")  # noqa: S608 -- constant fragments
_PAYMENTS = text(f"""
    SELECT {_PAYMENT_COLUMNS} FROM payments p
    WHERE p.org_id = :org_id AND p.id = ANY(CAST(:ids AS uuid[]))""")  # noqa: S608 -- constant fragments
_ALLOCATIONS_OF_CHARGES = text(f"""
    SELECT {_ALLOCATION_COLUMNS} FROM allocations a
    WHERE a.org_id = :org_id AND a.charge_id = ANY(CAST(:ids AS uuid[]))
    ORDER BY a.allocated_on, a.id""")  # noqa: S608 -- constant fragments
_ALLOCATIONS_OF_PAYMENTS = text(f"""
    SELECT {_ALLOCATION_COLUMNS} FROM allocations a
    WHERE a.org_id = :org_id AND a.payment_id = ANY(CAST(:ids AS uuid[]))
    ORDER BY a.allocated_on, a.id""")  # noqa: S608 -- constant fragments
# Open now = not voided, and something left after every live allocation (settled_from is
# 'infinity' exactly then).
_OPEN_ITEMS = text("""
    SELECT c.counterparty_id, c.id, c.due_on, c.issued_on,
           c.amount - coalesce((SELECT sum(a.amount) FROM allocations a
                                WHERE a.org_id = c.org_id AND a.charge_id = c.id
                                  AND a.voided_on IS NULL), 0) AS open
    FROM charges c
    WHERE c.org_id = :org_id AND c.counterparty_id = ANY(CAST(:ids AS uuid[]))
      AND c.settled_from = 'infinity' AND c.voided_on IS NULL""")
_CREDITS = text("""
    SELECT p.counterparty_id, p.id, p.received_on,
           p.amount - coalesce((SELECT sum(a.amount) FROM allocations a
                                WHERE a.org_id = p.org_id AND a.payment_id = p.id
                                  AND a.voided_on IS NULL), 0) AS unallocated
    FROM payments p
    WHERE p.org_id = :org_id AND p.counterparty_id = ANY(CAST(:ids AS uuid[]))
      AND NOT p.fully_allocated AND p.voided_on IS NULL""")
_INSERT_CHARGES = text("""
    INSERT INTO charges (org_id, id, counterparty_id, kind, amount, currency, issued_on, due_on,
                         description, dimensions, account_id, lease_id, source_key, fee_for,
                         entry_id, created_by, created_at)
    SELECT :org_id, r.id, r.counterparty_id, r.kind, r.amount, r.currency, r.issued_on,
           r.due_on, r.description, coalesce(r.dimensions, '{}'::jsonb), r.account_id,
           r.lease_id, r.source_key, r.fee_for, r.entry_id, :user_id, :at
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
      id uuid, counterparty_id uuid, kind text, amount numeric, currency text, issued_on date,
      due_on date, description text, dimensions jsonb, account_id uuid, lease_id uuid,
      source_key text, fee_for uuid, entry_id uuid)
    ORDER BY r.source_key, r.id
    ON CONFLICT (org_id, source_key) WHERE source_key IS NOT NULL DO NOTHING
    RETURNING id""")
_INSERT_ALLOCATIONS = text("""
    INSERT INTO allocations (org_id, id, payment_id, charge_id, counterparty_id, amount,
                             allocated_on, entry_id, created_at)
    SELECT :org_id, r.id, r.payment_id, r.charge_id, r.counterparty_id, r.amount,
           r.allocated_on, r.entry_id, :at
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
      id uuid, payment_id uuid, charge_id uuid, counterparty_id uuid, amount numeric,
      allocated_on date, entry_id uuid)""")
_INSERT_PAYMENT = text("""
    INSERT INTO payments (org_id, id, counterparty_id, amount, currency, received_on, method,
                          reference, memo, account_id, entry_id, created_by, created_at)
    VALUES (:org_id, :id, :counterparty_id, :amount, :currency, :received_on, :method,
            :reference, :memo, :account_id, :entry_id, :user_id, :at)""")
_VOID_CHARGE = text("""
    UPDATE charges SET voided_on = :day, void_reason = :reason, void_entry_id = :entry_id
    WHERE org_id = :org_id AND id = :id AND voided_on IS NULL""")
_VOID_PAYMENT = text("""
    UPDATE payments SET voided_on = :day, void_reason = :reason, void_entry_id = :entry_id
    WHERE org_id = :org_id AND id = :id AND voided_on IS NULL""")
_VOID_ALLOCATIONS = text("""
    UPDATE allocations a SET voided_on = :day, void_entry_id = r.entry_id
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(id uuid, entry_id uuid)
    WHERE a.org_id = :org_id AND a.id = r.id AND a.voided_on IS NULL""")
# settled_from: the first event day from which the running open amount (issue +, live
# allocation -, allocation void +) stays at zero; the charge's void day if earlier.
SETTLED_FROM = """
    WITH ids AS (SELECT unnest(CAST(:ids AS uuid[])) AS id),
    ev AS (
      SELECT c.id, c.issued_on AS day, c.amount AS delta
      FROM charges c JOIN ids ON ids.id = c.id WHERE c.org_id = :org_id
      UNION ALL
      SELECT a.charge_id, a.allocated_on, -a.amount
      FROM allocations a JOIN ids ON ids.id = a.charge_id WHERE a.org_id = :org_id
      UNION ALL
      SELECT a.charge_id, a.voided_on, a.amount
      FROM allocations a JOIN ids ON ids.id = a.charge_id
      WHERE a.org_id = :org_id AND a.voided_on IS NOT NULL),
    daily AS (SELECT id, day, sum(delta) AS delta FROM ev GROUP BY id, day),
    running AS (
      SELECT id, day, sum(delta) OVER (PARTITION BY id ORDER BY day) AS open FROM daily),
    tail AS (
      SELECT id, day, bool_or(open > 0) OVER (PARTITION BY id ORDER BY day DESC) AS open_later
      FROM running),
    settled AS (
      SELECT id, coalesce(min(day) FILTER (WHERE NOT open_later), 'infinity'::date) AS day
      FROM tail GROUP BY id)"""
_REFRESH_SETTLED = text(
    SETTLED_FROM  # noqa: S608 -- constant fragments
    + """
    UPDATE charges c SET settled_from = least(s.day, coalesce(c.voided_on, 'infinity'::date))
    FROM settled s
    WHERE c.org_id = :org_id AND c.id = s.id
      AND c.settled_from <> least(s.day, coalesce(c.voided_on, 'infinity'::date))"""
)
_REFRESH_ALLOCATED = text("""
    UPDATE payments p SET fully_allocated = s.full
    FROM (SELECT p2.id, p2.amount <= coalesce((
                   SELECT sum(a.amount) FROM allocations a
                   WHERE a.org_id = p2.org_id AND a.payment_id = p2.id
                     AND a.voided_on IS NULL), 0) AS full
          FROM payments p2
          WHERE p2.org_id = :org_id AND p2.id = ANY(CAST(:ids AS uuid[]))) s
    WHERE p.org_id = :org_id AND p.id = s.id AND p.fully_allocated <> s.full""")
_STORE_SNAPSHOT = text("""
    INSERT INTO delinquency_snapshots (org_id, as_of, counterparty_id, currency, current,
                                       days_1_30, days_31_60, days_61_90, over_90,
                                       open_charges, taken_at)
    SELECT :org_id, :as_of, r.counterparty_id, r.currency, r.current, r.days_1_30,
           r.days_31_60, r.days_61_90, r.over_90, r.open_charges, :at
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
      counterparty_id uuid, currency text, current numeric, days_1_30 numeric,
      days_31_60 numeric, days_61_90 numeric, over_90 numeric, open_charges integer)
    ON CONFLICT (org_id, as_of, counterparty_id) DO NOTHING""")
_INSERT_EVENTS = text("""
    INSERT INTO audit_events (org_id, id, occurred_at, actor_user_id, action, subject_type,
                              subject_id, details)
    SELECT :org_id, r.id, r.occurred_at, r.actor_user_id, r.action, r.subject_type,
           r.subject_id, coalesce(r.details, '{}'::jsonb)
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
      id uuid, occurred_at timestamptz, actor_user_id uuid, action text, subject_type text,
      subject_id text, details jsonb)""")


@dataclass(frozen=True, slots=True)
class StandardAccount:
    code: str
    name: str
    type: AccountType


def _json(rows: Sequence[dict[str, Any]]) -> str:
    return json.dumps(rows, default=str)


def counterparty_of(org_id: UUID, row: Any) -> Counterparty:
    return Counterparty(
        row["id"],
        org_id,
        CounterpartyKind(row["kind"]),
        row["name"],
        row["currency"].strip(),
        row["control_account_id"],
        row["credit_account_id"],
        row["default_account_id"],
        row["email"],
        row["phone"],
        row["address"],
        row["archived"],
        row["created_at"],
    )


def charge_of(org_id: UUID, r: Any) -> Charge:
    return Charge(
        r["id"],
        org_id,
        r["counterparty_id"],
        ChargeKind(r["kind"]),
        Decimal(r["amount"]),
        r["currency"].strip(),
        r["issued_on"],
        r["due_on"],
        r["description"],
        r["account_id"],
        r["entry_id"],
        dict(r["dimensions"] or {}),
        r["lease_id"],
        r["source_key"],
        r["fee_for"],
        r["voided_on"],
        r["void_reason"],
        None if r["settled_from"] == OPEN else r["settled_from"],
        r["created_at"],
    )


def payment_of(org_id: UUID, r: Any) -> Payment:
    return Payment(
        r["id"],
        org_id,
        r["counterparty_id"],
        Decimal(r["amount"]),
        r["currency"].strip(),
        r["received_on"],
        PaymentMethod(r["method"]),
        r["account_id"],
        r["entry_id"],
        r["reference"],
        r["memo"],
        r["voided_on"],
        r["void_reason"],
        r["created_at"],
    )


def allocation_of(org_id: UUID, r: Any) -> Allocation:
    return Allocation(
        r["id"],
        org_id,
        r["payment_id"],
        r["charge_id"],
        r["counterparty_id"],
        Decimal(r["amount"]),
        r["allocated_on"],
        r["entry_id"],
        r["voided_on"],
    )


class ReceivablesRepository(AreaRepository):
    async def _rows(self, statement: Any, **values: Any) -> Sequence[Any]:
        result = await self.session.execute(statement, {"org_id": self.org_id, **values})
        return result.mappings().all()

    # Accounts.

    async def ensure_account(
        self, standard: StandardAccount, currency: str, at: datetime
    ) -> Account:
        """The organization's account with this code, created if missing (concurrent
        creators agree on one row)."""
        rows = await self._rows(
            _ENSURE_ACCOUNT,
            id=uuid.uuid4(),
            code=standard.code,
            name=standard.name,
            type=standard.type.value,
            currency=currency,
            tags=json.dumps({"role": "receivables"}),
            at=at,
        )
        if not rows:  # created by a transaction that rolled back meanwhile: try again
            return await self.ensure_account(standard, currency, at)
        return _account(self.org_id, rows[0])

    async def accounts(self, ids: Sequence[UUID]) -> dict[UUID, Account]:
        rows = await self._rows(_ACCOUNTS, ids=list(set(ids)))
        return {r["id"]: _account(self.org_id, r) for r in rows}

    # Counterparties.

    async def add_counterparty(self, counterparty: Counterparty) -> None:
        self.session.add(
            CounterpartyRow(
                org_id=self.org_id,
                id=counterparty.id,
                kind=counterparty.kind.value,
                name=counterparty.name,
                email=counterparty.email,
                phone=counterparty.phone,
                address=counterparty.address,
                currency=counterparty.currency,
                control_account_id=counterparty.control_account_id,
                credit_account_id=counterparty.credit_account_id,
                default_account_id=counterparty.default_account_id,
                archived=counterparty.archived,
                created_at=counterparty.created_at,
            )
        )
        await self.session.flush()

    async def update_counterparty(self, counterparty: Counterparty) -> None:
        row = await self.session.get(CounterpartyRow, (self.org_id, counterparty.id))
        if row is None:
            raise LookupError(counterparty.id)
        row.name = counterparty.name
        row.email = counterparty.email
        row.phone = counterparty.phone
        row.address = counterparty.address
        row.default_account_id = counterparty.default_account_id
        row.archived = counterparty.archived
        await self.session.flush()

    async def lock(self, ids: Sequence[UUID]) -> dict[UUID, Counterparty]:
        """The counterparties (of this organization) locked until the transaction ends, in
        id order, so two writers of overlapping sets queue instead of deadlocking."""
        rows = await self._rows(_LOCK, ids=sorted(set(ids)))
        return {r["id"]: counterparty_of(self.org_id, r) for r in rows}

    # Documents.

    async def charges(self, ids: Sequence[UUID]) -> dict[UUID, Charge]:
        rows = await self._rows(_CHARGES, ids=list(set(ids)))
        return {r["id"]: charge_of(self.org_id, r) for r in rows}

    async def lease_charges(self, lease_id: UUID, kind: ChargeKind) -> list[Charge]:
        rows = await self._rows(_LEASE_CHARGES, lease_id=lease_id, kind=kind.value)
        return [charge_of(self.org_id, r) for r in rows]

    async def payments(self, ids: Sequence[UUID]) -> dict[UUID, Payment]:
        rows = await self._rows(_PAYMENTS, ids=list(set(ids)))
        return {r["id"]: payment_of(self.org_id, r) for r in rows}

    async def allocations_of_charges(self, ids: Sequence[UUID]) -> list[Allocation]:
        rows = await self._rows(_ALLOCATIONS_OF_CHARGES, ids=list(set(ids)))
        return [allocation_of(self.org_id, r) for r in rows]

    async def allocations_of_payments(self, ids: Sequence[UUID]) -> list[Allocation]:
        rows = await self._rows(_ALLOCATIONS_OF_PAYMENTS, ids=list(set(ids)))
        return [allocation_of(self.org_id, r) for r in rows]

    async def open_items(self, counterparty_ids: Sequence[UUID]) -> dict[UUID, list[OpenItem]]:
        """Charges with something open now, per counterparty."""
        found: dict[UUID, list[OpenItem]] = {}
        for r in await self._rows(_OPEN_ITEMS, ids=list(set(counterparty_ids))):
            open_amount = Decimal(r["open"])
            if open_amount > 0:
                found.setdefault(r["counterparty_id"], []).append(
                    OpenItem(r["id"], r["due_on"], r["issued_on"], open_amount)
                )
        return found

    async def credits(self, counterparty_ids: Sequence[UUID]) -> dict[UUID, list[Credit]]:
        """Payments with something left to allocate now, per counterparty."""
        found: dict[UUID, list[Credit]] = {}
        for r in await self._rows(_CREDITS, ids=list(set(counterparty_ids))):
            left = Decimal(r["unallocated"])
            if left > 0:
                found.setdefault(r["counterparty_id"], []).append(
                    Credit(r["id"], r["received_on"], left)
                )
        return found

    async def insert_charges(
        self, charges: Sequence[Charge], *, user_id: UUID | None, at: datetime
    ) -> set[UUID]:
        """Inserts the charges whose ``source_key`` is new (or absent); returns their ids.
        A concurrent transaction inserting the same key makes this one wait, then skip it."""
        if not charges:
            return set()
        rows = [
            {
                "id": c.id,
                "counterparty_id": c.counterparty_id,
                "kind": c.kind.value,
                "amount": str(c.amount),
                "currency": c.currency,
                "issued_on": c.issued_on,
                "due_on": c.due_on,
                "description": c.description,
                "dimensions": dict(c.dimensions),
                "account_id": c.account_id,
                "lease_id": c.lease_id,
                "source_key": c.source_key,
                "fee_for": c.fee_for,
                "entry_id": c.entry_id,
            }
            for c in charges
        ]
        inserted = await self._rows(_INSERT_CHARGES, rows=_json(rows), user_id=user_id, at=at)
        return {r["id"] for r in inserted}

    async def insert_payment(self, payment: Payment, *, user_id: UUID | None, at: datetime) -> None:
        await self.session.execute(
            _INSERT_PAYMENT,
            {
                "org_id": self.org_id,
                "id": payment.id,
                "counterparty_id": payment.counterparty_id,
                "amount": payment.amount,
                "currency": payment.currency,
                "received_on": payment.received_on,
                "method": payment.method.value,
                "reference": payment.reference,
                "memo": payment.memo,
                "account_id": payment.account_id,
                "entry_id": payment.entry_id,
                "user_id": user_id,
                "at": at,
            },
        )

    async def insert_allocations(self, allocations: Sequence[Allocation], at: datetime) -> None:
        if not allocations:
            return
        rows = [
            {
                "id": a.id,
                "payment_id": a.payment_id,
                "charge_id": a.charge_id,
                "counterparty_id": a.counterparty_id,
                "amount": str(a.amount),
                "allocated_on": a.allocated_on,
                "entry_id": a.entry_id,
            }
            for a in allocations
        ]
        await self.session.execute(
            _INSERT_ALLOCATIONS, {"org_id": self.org_id, "rows": _json(rows), "at": at}
        )

    async def void_charge(
        self, charge_id: UUID, day: date, reason: str | None, entry_id: UUID
    ) -> None:
        await self.session.execute(
            _VOID_CHARGE,
            {
                "org_id": self.org_id,
                "id": charge_id,
                "day": day,
                "reason": reason,
                "entry_id": entry_id,
            },
        )

    async def void_payment(
        self, payment_id: UUID, day: date, reason: str | None, entry_id: UUID
    ) -> None:
        await self.session.execute(
            _VOID_PAYMENT,
            {
                "org_id": self.org_id,
                "id": payment_id,
                "day": day,
                "reason": reason,
                "entry_id": entry_id,
            },
        )

    async def void_allocations(self, voids: Sequence[tuple[UUID, UUID]], day: date) -> None:
        """(allocation id, its reversal's entry id) pairs, all voided on ``day``."""
        if not voids:
            return
        rows = [{"id": a, "entry_id": e} for a, e in voids]
        await self.session.execute(
            _VOID_ALLOCATIONS, {"org_id": self.org_id, "rows": _json(rows), "day": day}
        )

    async def refresh_derived(
        self, charge_ids: Sequence[UUID], payment_ids: Sequence[UUID]
    ) -> None:
        """Recomputes ``settled_from`` of the charges and ``fully_allocated`` of the payments
        from their allocations (to call after any write that touched them)."""
        if charge_ids:
            await self.session.execute(
                _REFRESH_SETTLED, {"org_id": self.org_id, "ids": list(set(charge_ids))}
            )
        if payment_ids:
            await self.session.execute(
                _REFRESH_ALLOCATED, {"org_id": self.org_id, "ids": list(set(payment_ids))}
            )

    # The ledger and the audit trail.

    async def post(
        self, items: Sequence[EntryToPost], *, user_id: UUID | None, at: datetime
    ) -> PostingOutcome:
        """Posts every entry, or none (``posted`` False, nothing written: the caller names
        the problem from ``context`` and rolls back)."""
        arrays = posting_arguments(items)
        parameters: dict[str, Any] = {"org_id": self.org_id, "user_id": user_id, "roles": []}
        for n, (kind, values) in enumerate(zip(POSTING_ARRAY_TYPES, arrays, strict=True)):
            # SQLAlchemy's asyncpg codec takes jsonb as text.
            parameters[f"a{n}"] = (
                [None if v is None else json.dumps(v) for v in values]
                if kind == "jsonb[]"
                else values
            )
        raw = await self.session.scalar(_POST, parameters)
        return outcome_of(self.org_id, raw, items)

    async def store_snapshot(
        self, as_of: date, rows: Sequence[tuple[UUID, str, AgingFigures]], at: datetime
    ) -> int:
        """The month-end aging per counterparty, once: a snapshot already taken is kept."""
        if not rows:
            return 0
        payload = [
            {
                "counterparty_id": counterparty_id,
                "currency": currency,
                "current": str(f.current),
                "days_1_30": str(f.days_1_30),
                "days_31_60": str(f.days_31_60),
                "days_61_90": str(f.days_61_90),
                "over_90": str(f.over_90),
                "open_charges": f.charges,
            }
            for counterparty_id, currency, f in rows
        ]
        result = await self.session.execute(
            _STORE_SNAPSHOT,
            {"org_id": self.org_id, "as_of": as_of, "rows": _json(payload), "at": at},
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def add_events(self, events: Sequence[AuditEventRow]) -> None:
        if not events:
            return
        rows = [
            {
                "id": e.id,
                "occurred_at": e.occurred_at,
                "actor_user_id": e.actor_user_id,
                "action": e.action,
                "subject_type": e.subject_type,
                "subject_id": e.subject_id,
                "details": e.details,
            }
            for e in events
        ]
        await self.session.execute(_INSERT_EVENTS, {"org_id": self.org_id, "rows": _json(rows)})
