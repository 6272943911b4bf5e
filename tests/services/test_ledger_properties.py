"""A Hypothesis state machine drives the ledger's services with random postings,
reversals, period closes and assertions; after every step the books are checked against a
model: every entry balances per currency, the trial balance sums to zero, the summary
equals the lines, balances equal the model's (so a reversal of a reversal restores them),
and failing assertions are exactly the ones the model says fail.

CI runs ``max_examples=25``; ``HYPOTHESIS_PROFILE=nightly`` runs 500.
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
from fiscus.domain.errors import RuleViolation
from fiscus.runtime import Runtime
from fiscus.services.identity import auth
from fiscus.services.ledger import accounts, periods, posting, queries
from fiscus.services.ledger.posting import LineInput
from tests.persistence.test_marketdata_reads import principal_of

profiles.register_profile(
    "ci",
    max_examples=25,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
profiles.register_profile(
    "nightly",
    max_examples=500,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
START = date(2026, 1, 1)
DAYS = st.integers(min_value=0, max_value=89).map(lambda n: START + timedelta(days=n))
AMOUNTS = st.integers(min_value=1, max_value=10**8).map(lambda n: Decimal(n) / 100)
_counter = itertools.count()


class LedgerMachine(RuleBasedStateMachine):
    runtime: Runtime

    def __init__(self) -> None:
        super().__init__()
        self.postings: list[tuple[date, uuid.UUID, Decimal]] = []
        self.entries: dict[uuid.UUID, list[LineInput]] = {}
        self.entry_dates: dict[uuid.UUID, date] = {}
        self.reversed: set[uuid.UUID] = set()
        self.closed: date | None = None
        self.assertions: dict[uuid.UUID, tuple[uuid.UUID, date, Decimal]] = {}

    def run(self, coroutine):  # type: ignore[no-untyped-def]
        return self.loop.run_until_complete(coroutine)

    @initialize()
    def open_books(self) -> None:
        self.loop = LOOP
        n = next(_counter)
        account = self.run(
            auth.sign_up(
                self.runtime.identity,
                email=f"p{n}-{uuid.uuid4().hex[:6]}@example.com",
                password="correct horse battery staple",
                display_name="P",
                organization_name=f"Org {n}",
            )
        )
        self.principal = principal_of(account)
        chart = self.run(
            accounts.apply_account_template(
                self.runtime.ledger, self.principal, template="small_business", currency="EUR"
            )
        )
        self.accounts = [a.id for a in chart[:5]]

    def balance(self, account: uuid.UUID, through: date) -> Decimal:
        return sum(
            (amount for day, a, amount in self.postings if a == account and day <= through),
            Decimal(0),
        )

    @rule(data=st.data(), day=DAYS)
    def post(self, data: st.DataObject, day: date) -> None:
        chosen = data.draw(st.lists(st.sampled_from(self.accounts), min_size=2, max_size=4))
        amounts = [data.draw(AMOUNTS) for _ in chosen[1:]]
        lines = [LineInput(a, m) for a, m in zip(chosen[1:], amounts, strict=True)]
        lines.append(LineInput(chosen[0], -sum(amounts)))
        if sum(1 for line in lines if line.amount != 0) < len(lines):
            return
        try:
            posted = self.run(
                posting.post_journal_entry(
                    self.runtime.ledger,
                    self.principal,
                    entry_date=day,
                    memo=None,
                    lines=lines,
                    idempotency_key=uuid.uuid4().hex,
                )
            )
        except RuleViolation as refused:
            assert refused.code == "PERIOD_CLOSED"
            assert self.closed is not None and day <= self.closed
            return
        assert self.closed is None or day > self.closed
        self._record(posted.entry.id, day, lines)

    def _record(self, entry_id: uuid.UUID, day: date, lines: list[LineInput]) -> None:
        self.entries[entry_id] = lines
        self.entry_dates[entry_id] = day
        self.postings.extend((day, line.account_id, line.amount) for line in lines)

    @rule(data=st.data(), later=st.integers(min_value=0, max_value=30))
    def reverse(self, data: st.DataObject, later: int) -> None:
        if not self.entries:
            return
        # Insertion order, not the random ids: a replayed case draws the same entry.
        entry_id = data.draw(st.sampled_from(list(self.entries)))
        day = self.entry_dates[entry_id] + timedelta(days=later)
        try:
            reversal = self.run(
                posting.reverse_entry(
                    self.runtime.ledger,
                    self.principal,
                    entry_id,
                    idempotency_key=uuid.uuid4().hex,
                    entry_date=day,
                )
            )
        except RuleViolation as refused:
            if refused.code == "ALREADY_REVERSED":
                assert entry_id in self.reversed
            else:
                assert refused.code == "PERIOD_CLOSED" and self.closed and day <= self.closed
            return
        assert entry_id not in self.reversed
        self.reversed.add(entry_id)
        mirrored = [LineInput(x.account_id, -x.amount) for x in self.entries[entry_id]]
        self._record(reversal.entry.id, day, mirrored)

    @rule(day=DAYS)
    def close(self, day: date) -> None:
        try:
            self.run(periods.close_period(self.runtime.ledger, self.principal, through=day))
        except RuleViolation:
            assert self.closed is not None and day <= self.closed
            return
        self.closed = day

    @rule(day=DAYS)
    def reopen(self, day: date) -> None:
        if self.closed is None or day > self.closed:
            return
        self.closed = self.run(
            periods.reopen_period(self.runtime.ledger, self.principal, from_day=day)
        )

    @rule(data=st.data(), day=DAYS, off=st.sampled_from([Decimal(0), Decimal("0.01")]))
    def assert_balance(self, data: st.DataObject, day: date, off: Decimal) -> None:
        account = data.draw(st.sampled_from(self.accounts))
        amount = self.balance(account, day) + off
        stored = self.run(
            periods.assert_balance(
                self.runtime.ledger,
                self.principal,
                account_id=account,
                day=day,
                amount=amount,
                currency="EUR",
            )
        )
        assert stored.holds == (off == 0)
        self.assertions[stored.id] = (account, day, amount)

    @invariant()
    def books_agree_with_the_model(self) -> None:
        if not hasattr(self, "principal"):
            return
        report = self.run(queries.check_integrity(self.runtime.ledger, self.principal))
        assert report.sound, report
        end = START + timedelta(days=200)
        balances = self.run(
            queries.balances_as_of(self.runtime.ledger, self.principal, self.accounts, end)
        )
        assert balances == {a: self.balance(a, end) for a in self.accounts}
        failing = self.run(
            queries.assertions(self.runtime.ledger, self.principal, failing_only=True)
        )
        expected = {
            i for i, (a, day, amount) in self.assertions.items() if self.balance(a, day) != amount
        }
        assert {f.id for f in failing} == expected


LOOP: asyncio.AbstractEventLoop


def test_the_ledger_state_machine(settings) -> None:  # type: ignore[no-untyped-def]
    global LOOP
    LOOP = asyncio.new_event_loop()
    runtime = LOOP.run_until_complete(Runtime.open(with_jwt_secret(settings)))
    try:
        LedgerMachine.runtime = runtime
        run_state_machine_as_test(LedgerMachine, settings=profiles.get_profile(PROFILE))
    finally:
        LOOP.run_until_complete(runtime.close())
        LOOP.close()
