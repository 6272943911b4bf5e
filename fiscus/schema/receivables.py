"""GraphQL types of the receivables sub-ledger. ``Counterparty``, ``Charge`` and ``Payment``
are Relay nodes of the caller's organization (``RECEIVABLES_READ``); amounts are Decimals as
strings. No balance is stored: ``openAmount``, ``balance`` and ``credit`` are computed from
charges and allocations (nested values come through the request's loaders)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry.types import Info

from fiscus.domain import receivables as domain
from fiscus.schema.ledger import Account, JournalEntry, Tag
from fiscus.schema.relay import Node, to_global_id
from fiscus.services.receivables.reports import AccountStatement, AgingReport

strawberry.enum(domain.CounterpartyKind, name="CounterpartyKind")
strawberry.enum(domain.ChargeKind, name="ChargeKind")
strawberry.enum(domain.ChargeStatus, name="ChargeStatus")
strawberry.enum(domain.PaymentMethod, name="PaymentMethod")
strawberry.enum(domain.PaymentStatus, name="PaymentStatus")
strawberry.enum(
    domain.AllocationMode,
    name="AllocationMode",
    description="AUTO: oldest due first; NONE: keep it as credit; EXPLICIT: the listed "
    "charges and amounts.",
)
strawberry.enum(domain.StatementLineKind, name="AccountStatementLineKind")


@strawberry.enum(description="How aging rows are grouped.")
class AgingGroupBy(enum.Enum):
    COUNTERPARTY = "counterparty"
    BUILDING = "building"
    UNIT = "unit"
    TOTAL = "total"


def _tags(tags: object) -> list[Tag]:
    return [Tag(key=k, value=v) for k, v in sorted(dict(tags).items())]  # type: ignore[call-overload]


async def _account(info: Info, account_id: object) -> Account | None:
    if account_id is None:
        return None
    found = await info.context.loaders.ledger_accounts.load(account_id)
    return Account.from_domain(found) if found else None


async def _entry(info: Info, entry_id: object) -> JournalEntry | None:
    if entry_id is None:
        return None
    found = await info.context.loaders.journal_entries.load(entry_id)
    return JournalEntry.from_domain(found) if found else None


@strawberry.type
class Counterparty(Node):
    id: strawberry.ID
    kind: domain.CounterpartyKind
    name: str
    currency: str
    email: str | None
    phone: str | None
    address: str | None
    archived: bool
    created_at: datetime | None
    source: strawberry.Private[domain.Counterparty]

    @classmethod
    def from_domain(cls, c: domain.Counterparty) -> Counterparty:
        return cls(
            id=to_global_id("Counterparty", c.id),
            kind=c.kind,
            name=c.name,
            currency=c.currency,
            email=c.email,
            phone=c.phone,
            address=c.address,
            archived=c.archived,
            created_at=c.created_at,
            source=c,
        )

    @strawberry.field(description="Receivable (payable for a vendor) account.")
    async def control_account(self, info: Info) -> Account | None:
        return await _account(info, self.source.control_account_id)

    @strawberry.field(description="Where payments wait until allocated (the credit).")
    async def credit_account(self, info: Info) -> Account | None:
        return await _account(info, self.source.credit_account_id)

    @strawberry.field
    async def default_account(self, info: Info) -> Account | None:
        return await _account(info, self.source.default_account_id)

    @strawberry.field(
        description="Charges less allocations at the end of `asOf` (default: today): what is "
        "owed (by a vendor's counterparty: what the organization owes)."
    )
    async def balance(self, info: Info, as_of: date | None = None) -> Decimal:
        day = as_of or info.context.ledger.clock().date()
        found = await info.context.loaders.receivables.positions.load((self.source.id, day))
        return found.balance  # type: ignore[no-any-return]

    @strawberry.field(description="Payments not yet allocated at the end of `asOf`.")
    async def credit(self, info: Info, as_of: date | None = None) -> Decimal:
        day = as_of or info.context.ledger.clock().date()
        found = await info.context.loaders.receivables.positions.load((self.source.id, day))
        return found.credit  # type: ignore[no-any-return]


@strawberry.type
class Allocation:
    id: strawberry.ID
    amount: Decimal
    allocated_on: date
    voided_on: date | None
    source: strawberry.Private[domain.Allocation]

    @classmethod
    def from_domain(cls, a: domain.Allocation) -> Allocation:
        return cls(
            id=to_global_id("Allocation", a.id),
            amount=a.amount,
            allocated_on=a.allocated_on,
            voided_on=a.voided_on,
            source=a,
        )

    @strawberry.field
    async def charge(self, info: Info) -> Charge | None:
        found = await info.context.loaders.receivables.charges.load(self.source.charge_id)
        return Charge.from_domain(found) if found else None

    @strawberry.field
    async def payment(self, info: Info) -> Payment | None:
        found = await info.context.loaders.receivables.payments.load(self.source.payment_id)
        return Payment.from_domain(found) if found else None

    @strawberry.field
    async def entry(self, info: Info) -> JournalEntry | None:
        return await _entry(info, self.source.entry_id)


@strawberry.type
class Charge(Node):
    id: strawberry.ID
    kind: domain.ChargeKind
    amount: Decimal
    currency: str
    issued_on: date
    due_on: date
    description: str | None
    dimensions: list[Tag]
    status: domain.ChargeStatus
    voided_on: date | None
    void_reason: str | None
    lease_id: strawberry.ID | None
    source: strawberry.Private[domain.Charge]

    @classmethod
    def from_domain(cls, c: domain.Charge) -> Charge:
        return cls(
            id=to_global_id("Charge", c.id),
            kind=c.kind,
            amount=c.amount,
            currency=c.currency,
            issued_on=c.issued_on,
            due_on=c.due_on,
            description=c.description,
            dimensions=_tags(c.dimensions),
            status=c.status,
            voided_on=c.voided_on,
            void_reason=c.void_reason,
            lease_id=to_global_id("Lease", c.lease_id) if c.lease_id else None,
            source=c,
        )

    @strawberry.field
    async def counterparty(self, info: Info) -> Counterparty | None:
        found = await info.context.loaders.receivables.counterparties.load(
            self.source.counterparty_id
        )
        return Counterparty.from_domain(found) if found else None

    @strawberry.field
    async def account(self, info: Info) -> Account | None:
        return await _account(info, self.source.account_id)

    @strawberry.field(description="Allocations, oldest first, voided ones included.")
    async def allocations(self, info: Info, first: int = 100) -> list[Allocation]:
        found = await info.context.loaders.receivables.charge_allocations.load(self.source.id)
        return [Allocation.from_domain(a) for a in found[: max(first, 0)]]

    @strawberry.field(description="The amount less its live allocations (zero once voided).")
    async def open_amount(self, info: Info) -> Decimal:
        if self.source.voided_on is not None:
            return Decimal("0.0000")
        found = await info.context.loaders.receivables.charge_allocations.load(self.source.id)
        live = sum((a.amount for a in found if a.voided_on is None), Decimal(0))
        return self.source.amount - live

    @strawberry.field
    async def entry(self, info: Info) -> JournalEntry | None:
        return await _entry(info, self.source.entry_id)


@strawberry.type
class Payment(Node):
    id: strawberry.ID
    amount: Decimal
    currency: str
    received_on: date
    method: domain.PaymentMethod
    reference: str | None
    memo: str | None
    status: domain.PaymentStatus
    voided_on: date | None
    void_reason: str | None
    source: strawberry.Private[domain.Payment]

    @classmethod
    def from_domain(cls, p: domain.Payment) -> Payment:
        return cls(
            id=to_global_id("Payment", p.id),
            amount=p.amount,
            currency=p.currency,
            received_on=p.received_on,
            method=p.method,
            reference=p.reference,
            memo=p.memo,
            status=p.status,
            voided_on=p.voided_on,
            void_reason=p.void_reason,
            source=p,
        )

    @strawberry.field
    async def counterparty(self, info: Info) -> Counterparty | None:
        found = await info.context.loaders.receivables.counterparties.load(
            self.source.counterparty_id
        )
        return Counterparty.from_domain(found) if found else None

    @strawberry.field(description="The cash or bank account.")
    async def account(self, info: Info) -> Account | None:
        return await _account(info, self.source.account_id)

    @strawberry.field(description="Allocations, oldest first, voided ones included.")
    async def allocations(self, info: Info, first: int = 100) -> list[Allocation]:
        found = await info.context.loaders.receivables.payment_allocations.load(self.source.id)
        return [Allocation.from_domain(a) for a in found[: max(first, 0)]]

    @strawberry.field(description="What is left to allocate (the counterparty's credit).")
    async def unallocated_amount(self, info: Info) -> Decimal:
        if self.source.voided_on is not None:
            return Decimal("0.0000")
        found = await info.context.loaders.receivables.payment_allocations.load(self.source.id)
        live = sum((a.amount for a in found if a.voided_on is None), Decimal(0))
        return self.source.amount - live

    @strawberry.field
    async def entry(self, info: Info) -> JournalEntry | None:
        return await _entry(info, self.source.entry_id)


@strawberry.type
class AgingBuckets:
    currency: str
    current: Decimal
    days_1_to_30: Decimal
    days_31_to_60: Decimal
    days_61_to_90: Decimal
    over_90: Decimal
    total: Decimal
    open_charges: int

    @classmethod
    def of(cls, currency: str, f: domain.AgingFigures) -> AgingBuckets:
        return cls(
            currency=currency,
            current=f.current,
            days_1_to_30=f.days_1_30,
            days_31_to_60=f.days_31_60,
            days_61_to_90=f.days_61_90,
            over_90=f.over_90,
            total=f.total,
            open_charges=f.charges,
        )


@strawberry.type
class AgingRow:
    key: str | None = strawberry.field(
        description="The group's id (a counterparty's, building's or unit's global id); null "
        "for charges without that dimension and for TOTAL."
    )
    label: str
    buckets: AgingBuckets


@strawberry.type
class Aging:
    as_of: date
    rows: list[AgingRow]
    totals: list[AgingBuckets] = strawberry.field(description="One per currency.")
    csv: str

    @classmethod
    def from_report(cls, report: AgingReport, key_type: str | None) -> Aging:
        rows = [
            AgingRow(
                key=to_global_id(key_type, row.key) if key_type and row.key else row.key,
                label=row.label,
                buckets=AgingBuckets.of(currency, row.figures),
            )
            for currency, row in report.rows
        ]
        totals = [AgingBuckets.of(c, f) for c, f in sorted(report.totals.items())]
        return cls(as_of=report.as_of, rows=rows, totals=totals, csv=report.csv())


@strawberry.type(name="AccountStatementLine")
class AccountStatementLine:
    day: date = strawberry.field(name="date")
    kind: domain.StatementLineKind
    description: str
    reference: str | None
    due_on: date | None
    charged: Decimal
    paid: Decimal
    balance: Decimal


@strawberry.type(
    description="Opening balance, charges, payments and the running balance (charges less "
    "payments: a credit shows negative) over a period; `csv` is the same table."
)
class StatementOfAccount:
    counterparty: Counterparty
    from_: date = strawberry.field(name="from")
    to: date
    currency: str
    opening_balance: Decimal
    total_charged: Decimal
    total_paid: Decimal
    closing_balance: Decimal
    lines: list[AccountStatementLine]
    csv: str

    @classmethod
    def from_domain(cls, found: AccountStatement) -> StatementOfAccount:
        s = found.statement
        return cls(
            counterparty=Counterparty.from_domain(found.counterparty),
            from_=s.from_day,
            to=s.to_day,
            currency=s.currency,
            opening_balance=s.opening,
            total_charged=s.total_charged,
            total_paid=s.total_paid,
            closing_balance=s.closing,
            lines=[
                AccountStatementLine(
                    day=line.day,
                    kind=line.kind,
                    description=line.description,
                    reference=line.reference,
                    due_on=line.due_on,
                    charged=line.charged,
                    paid=line.paid,
                    balance=line.balance,
                )
                for line in s.lines
            ],
            csv=found.csv(),
        )
