"""A Hypothesis state machine drives the receivables sub-ledger with random charges,
payments (allocated automatically or not at all), later allocations, voids of either and
runs of the lease billing job (rent with shares and late fees). After every step:

- the ledger's invariants (entries balance, summaries equal lines, books sum to zero);
- per counterparty, charges less allocations equal the receivable account's balance over
  its lines, and payments less allocations the credit account's (``check_integrity``);
- no charge or payment is allocated beyond its amount; ``settled_from`` is right;
- each counterparty's net position (balance less credit) equals the model's live charges
  less live payments;
- on a few days, the aging's buckets sum to its total, and that total equals the open
  amounts recomputed in Python from every charge and allocation (so the set-based SQL, and
  its ``settled_from`` shortcut, agree with the definition).

CI runs a bounded profile; ``HYPOTHESIS_PROFILE=nightly`` runs more.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import uuid
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck
from hypothesis import settings as profiles
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from fiscus.config import with_jwt_secret
from fiscus.domain.errors import RuleViolation, ValidationFailed
from fiscus.domain.properties import LateFeeKind, LateFeeMode, LateFeeRule, LeaseParty
from fiscus.domain.receivables import AllocationMode, ChargeKind, CounterpartyKind, open_on
from fiscus.runtime import Runtime
from fiscus.services.identity import auth
from fiscus.services.ledger import accounts
from fiscus.services.ledger import queries as ledger_queries
from fiscus.services.properties import billing, buildings, leases
from fiscus.services.receivables import charges, counterparties, payments, queries, reports
from tests.persistence.test_marketdata_reads import principal_of

profiles.register_profile(
    "ci",
    max_examples=8,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
profiles.register_profile(
    "deep",
    max_examples=40,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
profiles.register_profile(
    "nightly",
    max_examples=200,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
START = date(2026, 1, 1)
FAR = date(2030, 1, 1)
DAYS = st.integers(min_value=0, max_value=120).map(lambda n: START + timedelta(days=n))
LATER = st.integers(min_value=0, max_value=40).map(lambda n: timedelta(days=n))
AMOUNTS = st.integers(min_value=1, max_value=200_000).map(lambda n: Decimal(n) / 100)
_counter = itertools.count()


class ReceivablesMachine(RuleBasedStateMachine):
    runtime: Runtime

    def __init__(self) -> None:
        super().__init__()
        self.charges: dict[uuid.UUID, tuple[uuid.UUID, Decimal]] = {}
        self.voided_charges: set[uuid.UUID] = set()
        self.payments: dict[uuid.UUID, tuple[uuid.UUID, Decimal]] = {}
        self.voided_payments: set[uuid.UUID] = set()

    def run(self, coroutine):  # type: ignore[no-untyped-def]
        return self.loop.run_until_complete(coroutine)

    @property
    def ctx(self):  # type: ignore[no-untyped-def]
        return self.runtime.ledger

    @initialize()
    def open_books(self) -> None:
        self.loop = LOOP
        n = next(_counter)
        account = self.run(
            auth.sign_up(
                self.runtime.identity,
                email=f"r{n}-{uuid.uuid4().hex[:6]}@example.com",
                password="correct horse battery staple",
                display_name="R",
                organization_name=f"Org {n}",
            )
        )
        self.principal = principal_of(account)
        chart = self.run(
            accounts.apply_account_template(
                self.ctx, self.principal, template="property_management", currency="USD"
            )
        )
        codes = {a.code: a.id for a in chart}
        self.bank, self.income = codes["1000"], codes["4100"]
        self.counterparties = [
            self.run(
                counterparties.create_counterparty(
                    self.ctx,
                    self.principal,
                    kind=kind,
                    name=name,
                    currency="USD",
                    default_account_id=account_id,
                )
            ).id
            for kind, name, account_id in (
                (CounterpartyKind.TENANT, "Ann", None),
                (CounterpartyKind.TENANT, "Ben", None),
                (CounterpartyKind.CUSTOMER, "Cal", codes["4100"]),
                (CounterpartyKind.VENDOR, "Vic", codes["5000"]),
            )
        ]
        building = self.run(
            buildings.create_building(self.ctx, self.principal, name="Elm", currency="USD")
        )
        unit = self.run(
            buildings.create_unit(self.ctx, self.principal, building_id=building.id, number="1")
        )
        self.run(
            leases.create_lease(
                self.ctx,
                self.principal,
                leases.LeaseTerms(
                    unit_id=unit.id,
                    starts_on=START + timedelta(days=9),
                    ends_on=None,
                    monthly_rent=Decimal("1000.01"),
                    due_day=3,
                    grace_days=2,
                    parties=[
                        LeaseParty(self.counterparties[0], Decimal("0.6")),
                        LeaseParty(self.counterparties[1], Decimal("0.4")),
                    ],
                    late_fee=LateFeeRule(
                        LateFeeKind.PERCENT, Decimal(1), LateFeeMode.DAILY, Decimal(30)
                    ),
                ),
                idempotency_key=uuid.uuid4().hex,
            )
        )

    @rule(who=st.integers(0, 3), amount=AMOUNTS, due=DAYS, credit=st.booleans())
    def create_charge(self, who: int, amount: Decimal, due: date, credit: bool) -> None:
        cp = self.counterparties[who]
        kind = ChargeKind.BILL if who == 3 else ChargeKind.RENT
        made = self.run(
            charges.create_charge(
                self.ctx,
                self.principal,
                charges.ChargeInput(cp, kind, amount, due, apply_credit=credit),
                idempotency_key=uuid.uuid4().hex,
            )
        )
        self.charges[made.charge.id] = (cp, amount)

    @rule(who=st.integers(0, 3), amount=AMOUNTS, day=DAYS, auto=st.booleans())
    def record_payment(self, who: int, amount: Decimal, day: date, auto: bool) -> None:
        cp = self.counterparties[who]
        made = self.run(
            payments.record_payment(
                self.ctx,
                self.principal,
                payments.PaymentInput(
                    cp,
                    amount,
                    day,
                    self.bank,
                    allocate=AllocationMode.AUTO if auto else AllocationMode.NONE,
                ),
                idempotency_key=uuid.uuid4().hex,
            )
        )
        self.payments[made.payment.id] = (cp, amount)

    @rule(data=st.data())
    def allocate(self, data: st.DataObject) -> None:
        if not self.payments:
            return
        payment_id = data.draw(st.sampled_from(list(self.payments)))
        try:
            self.run(
                payments.allocate_payment(
                    self.ctx,
                    self.principal,
                    payment_id,
                    mode=AllocationMode.AUTO,
                    allocations=[],
                    idempotency_key=uuid.uuid4().hex,
                )
            )
        except RuleViolation as refused:
            assert refused.code in {"OVER_ALLOCATED", "ALREADY_VOIDED"}
            if refused.code == "ALREADY_VOIDED":
                assert payment_id in self.voided_payments

    @rule(data=st.data(), day=DAYS, later=LATER)
    def void_charge(self, data: st.DataObject, day: date, later: timedelta) -> None:
        if not self.charges:
            return
        charge_id = data.draw(st.sampled_from(list(self.charges)))
        try:
            self.run(
                charges.void_charge(
                    self.ctx,
                    self.principal,
                    charge_id,
                    idempotency_key=uuid.uuid4().hex,
                    day=day + later,
                )
            )
        except RuleViolation as refused:
            assert refused.code == "ALREADY_VOIDED" and charge_id in self.voided_charges
            return
        except ValidationFailed as early:
            assert early.field == "date"
            self._assert_too_early(charge_id, day + later)
            return
        assert charge_id not in self.voided_charges
        self.voided_charges.add(charge_id)

    def _assert_too_early(self, charge_id: uuid.UUID, day: date) -> None:
        charge = self.run(queries.charges_by_ids(self.ctx, self.principal, [charge_id]))[charge_id]
        found = self.run(queries.allocations_of_charges(self.ctx, self.principal, [charge_id]))
        dates = [charge.issued_on] + [
            a.allocated_on for a in found.get(charge_id, []) if a.voided_on is None
        ]
        assert day < max(dates)

    @rule(data=st.data(), day=DAYS, later=LATER)
    def void_payment(self, data: st.DataObject, day: date, later: timedelta) -> None:
        if not self.payments:
            return
        payment_id = data.draw(st.sampled_from(list(self.payments)))
        try:
            self.run(
                payments.void_payment(
                    self.ctx,
                    self.principal,
                    payment_id,
                    idempotency_key=uuid.uuid4().hex,
                    day=day + later,
                )
            )
        except RuleViolation as refused:
            assert refused.code == "ALREADY_VOIDED" and payment_id in self.voided_payments
            return
        except ValidationFailed as early:
            assert early.field == "date"
            return
        self.voided_payments.add(payment_id)

    @rule(day=DAYS)
    def bill(self, day: date) -> None:
        report = self.run(billing.bill_organization(self.ctx, self.principal.org_id, day))
        if report.charge_ids:
            found = self.run(queries.charges_by_ids(self.ctx, self.principal, report.charge_ids))
            for charge in found.values():
                assert charge.kind in (ChargeKind.RENT, ChargeKind.LATE_FEE)
                self.charges[charge.id] = (charge.counterparty_id, charge.amount)

    @invariant()
    def books_agree(self) -> None:
        if not hasattr(self, "principal"):
            return
        assert self.run(ledger_queries.check_integrity(self.ctx, self.principal)).sound
        report = self.run(queries.check_integrity(self.ctx, self.principal))
        assert report.sound, report
        positions = self.run(queries.positions(self.ctx, self.principal, self.counterparties, FAR))
        for cp in self.counterparties:
            charged = sum(
                (
                    a
                    for i, (c, a) in self.charges.items()
                    if c == cp and i not in self.voided_charges
                ),
                Decimal(0),
            )
            paid = sum(
                (
                    a
                    for i, (c, a) in self.payments.items()
                    if c == cp and i not in self.voided_payments
                ),
                Decimal(0),
            )
            assert positions[cp].balance - positions[cp].credit == charged - paid, cp
            assert report.positions[cp] == (positions[cp].balance, positions[cp].credit)

    @invariant()
    def aging_is_the_open_amounts(self) -> None:
        if not hasattr(self, "principal") or not self.charges:
            return
        ids = list(self.charges)
        found = self.run(queries.charges_by_ids(self.ctx, self.principal, ids))
        allocations = self.run(queries.allocations_of_charges(self.ctx, self.principal, ids))
        for day in (START + timedelta(days=15), START + timedelta(days=70), FAR):
            aging = self.run(reports.aging(self.ctx, self.principal, day, "counterparty"))
            expected: dict[str, Decimal] = {}
            for charge in found.values():
                amount = open_on(
                    charge.amount,
                    charge.issued_on,
                    charge.voided_on,
                    allocations.get(charge.id, []),
                    day,
                )
                if amount > 0:
                    key = str(charge.counterparty_id)
                    expected[key] = expected.get(key, Decimal(0)) + amount
            assert {row.key: row.figures.total for _, row in aging.rows} == expected, day
            total = aging.totals.get("USD")
            assert (total.total if total else 0) == sum(expected.values(), Decimal(0))
            for _, row in aging.rows:
                f = row.figures
                assert (
                    f.current + f.days_1_30 + f.days_31_60 + f.days_61_90 + f.over_90
                    == (expected[row.key or ""])
                )


LOOP: asyncio.AbstractEventLoop


def test_the_receivables_state_machine(settings) -> None:  # type: ignore[no-untyped-def]
    global LOOP
    LOOP = asyncio.new_event_loop()
    runtime = LOOP.run_until_complete(Runtime.open(with_jwt_secret(settings)))
    try:
        ReceivablesMachine.runtime = runtime
        run_state_machine_as_test(ReceivablesMachine, settings=profiles.get_profile(PROFILE))
    finally:
        LOOP.run_until_complete(runtime.close())
        LOOP.close()
