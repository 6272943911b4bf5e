"""The dedupe fingerprint as a property, against the real database (bounded examples):
importing any file twice creates nothing the second time; importing a file and then a
superset of it creates exactly the difference (as multisets: identical lines count)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fiscus.services.ledger import accounts
from tests.services.imports_fixtures import household, import_bytes

ROW = st.tuples(
    st.sampled_from(["09/01/2026", "09/02/2026"]),
    st.sampled_from(["SQ *COFFEE", "RENT", "PAYROLL", "BOOKS"]),
    st.sampled_from(["-4.50", "-12.00", "100.00"]),
)


def csv_of(rows: list[tuple[str, str, str]]) -> bytes:
    header = "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #"
    body = [f'DEBIT,{d},"{text}",{amount},DEBIT_CARD,,,' for d, text, amount in rows]
    return ("\r\n".join([header, *body]) + "\r\n").encode()


async def test_reimports_and_supersets_create_exactly_what_is_new(runtime):
    h = await household(runtime)
    loop = asyncio.get_running_loop()

    async def fresh_account() -> uuid.UUID:
        created = await accounts.create_account(
            runtime.ledger,
            h.principal,
            code=f"B{uuid.uuid4().hex[:8]}",
            name="Bank",
            type="asset",
            currency="USD",
        )
        return created.id

    async def check(base: list, extra: list, shuffled: list) -> None:
        account = await fresh_account()
        first = await import_bytes(runtime, h.principal, account, csv_of(base))
        assert first.created == len(base)
        again = await import_bytes(runtime, h.principal, account, csv_of(base))
        assert again.created == 0 and again.duplicates == len(base)
        # The superset in any order (banks export newest or oldest first).
        grown = await import_bytes(runtime, h.principal, account, csv_of(shuffled))
        missing = Counter(base + extra) - Counter(base)
        assert grown.created == sum(missing.values())

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        base=st.lists(ROW, min_size=1, max_size=6),
        extra=st.lists(ROW, max_size=4),
        data=st.data(),
    )
    def property_holds(base, extra, data) -> None:
        shuffled = data.draw(st.permutations(base + extra))
        asyncio.run_coroutine_threadsafe(check(base, extra, shuffled), loop).result()

    await asyncio.to_thread(property_holds)
