"""Many writers on the same accounts: no deadlock, no error, invariants hold."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import date, timedelta
from decimal import Decimal

from fiscus.services.ledger import accounts, queries
from fiscus.services.ledger.posting import LineInput
from tests.services.ledger_fixtures import post

WRITERS = 20
POSTINGS_PER_WRITER = 100  # 2,000 entries, 5,000 lines


async def test_twenty_writers_on_ten_shared_accounts_never_deadlock(runtime):
    from tests.persistence.test_marketdata_reads import principal_of
    from tests.persistence.test_row_level_security import _two_orgs

    a, _ = await _two_orgs(runtime)
    principal = principal_of(a)
    shared = [
        (
            await accounts.create_account(
                runtime.ledger,
                principal,
                code=f"{1000 + i}",
                name=f"Account {i}",
                type="asset" if i % 2 else "expense",
                currency="EUR",
            )
        ).id
        for i in range(10)
    ]
    expected = {account: Decimal(0) for account in shared}

    async def writer(n: int) -> int:
        rng = random.Random(n)
        for k in range(POSTINGS_PER_WRITER):
            # Two or three lines, in random order, so writers touch shared accounts in
            # every order: only the sorted locks keep them from deadlocking.
            chosen = rng.sample(shared, rng.choice((2, 3)))
            amounts = [Decimal(rng.randint(1, 10_000)) / 100 for _ in chosen[1:]]
            lines = [LineInput(x, m) for x, m in zip(chosen[1:], amounts, strict=True)]
            lines.insert(rng.randrange(len(lines) + 1), LineInput(chosen[0], -sum(amounts)))
            day = date(2026, 1, 1) + timedelta(days=rng.randrange(2))
            await post(runtime, principal, lines, key=f"w{n}-{k}", day=day)
            for line in lines:
                expected[line.account_id] += line.amount
        return POSTINGS_PER_WRITER

    started = time.perf_counter()
    done = await asyncio.gather(*(writer(n) for n in range(WRITERS)))
    elapsed = time.perf_counter() - started
    assert sum(done) == WRITERS * POSTINGS_PER_WRITER
    balances = await queries.balances_as_of(runtime.ledger, principal, shared, date(2027, 1, 1))
    assert balances == expected
    report = await queries.check_integrity(runtime.ledger, principal)
    assert report.sound, report
    assert elapsed < 60, elapsed
