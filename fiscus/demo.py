"""The demo account: a household organization that watches a few dozen instruments of the
simulated market (equities, ETFs, crypto, FX) with ten years of daily history, and keeps
its books in the ledger (household chart, two years of entries through the posting
service, so every invariant, summary and audit event is what a user's postings produce),
and has imported its checking account's statement (``demo_bank``: rules, drafts to review,
learned suggestions)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from fiscus.config import Settings

if TYPE_CHECKING:
    from fiscus.domain.identity import Principal
    from fiscus.services.ledger.context import LedgerContext

DEMO_EMAIL = "demo@fiscus.dev"
DEMO_PASSWORD = "demo-password-123"
DEMO_DISPLAY_NAME = "Demo User"
DEMO_ORGANIZATION = "Demo Household"


async def seed_demo(settings: Settings, *, backfill_now: bool) -> bool:
    """Create the demo account unless it exists; True if it was created.

    The account watches every instrument of the simulated market and has two years of
    household books ending today. ``backfill_now`` loads
    their history before returning (``fiscus demo``); otherwise the backfill jobs that
    tracking enqueues load it in the worker (``fiscus serve --demo`` runs one).
    """
    # Imported here: the CLI reads this module's constants without loading the app.
    from fiscus.domain.errors import ValidationFailed
    from fiscus.marketdata.providers.simulated import CATALOGUE
    from fiscus.runtime import Runtime
    from fiscus.services.identity.auth import sign_up
    from fiscus.services.marketdata import refresh, tracking

    runtime = await Runtime.open(settings)
    try:
        try:
            account = await sign_up(
                runtime.identity,
                email=DEMO_EMAIL,
                password=DEMO_PASSWORD,
                display_name=DEMO_DISPLAY_NAME,
                organization_name=DEMO_ORGANIZATION,
            )
        except ValidationFailed as failure:
            if any(issue.code == "EMAIL_TAKEN" for issue in failure.issues):
                return False
            raise
        owner = runtime.identity.tokens.decode(account.access_token)
        await seed_books(runtime.ledger, owner, runtime.ledger.clock().date())
        from fiscus.demo_bank import seed_bank_import

        await seed_bank_import(runtime, owner, runtime.ledger.clock().date())
        watched = []
        for symbol in sorted(CATALOGUE):
            tracked = await tracking.track_instrument(runtime.marketdata, owner, symbol=symbol)
            watched.append(tracked.instrument.id)
        if backfill_now:
            await refresh.refresh_instruments(runtime.marketdata, runtime.providers, watched)
        return True
    finally:
        await runtime.close()


CURRENCY = "USD"
MONTHS = 24

# (day of month, memo, debit code, credit code, amount range in cents) — monthly entries.
MONTHLY = (
    (1, "Rent", "5010", "1010", (185_000, 185_000)),
    (5, "Electricity and water", "5020", "1010", (9_000, 16_000)),
    (12, "Transit pass", "5200", "2000", (8_900, 8_900)),
    (18, "Pharmacy", "5300", "2000", (1_500, 9_000)),
    (21, "Dinner and cinema", "5400", "2000", (6_000, 24_000)),
    (25, "Salary", "1010", "4000", (420_000, 420_000)),
    (26, "Savings transfer", "1020", "1010", (50_000, 50_000)),
    (28, "Savings interest", "1020", "4100", (600, 1_800)),
)


def _cents(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low, high)) / 100


def _first_month(today: date) -> date:
    year, month = divmod(today.year * 12 + today.month - 1 - MONTHS, 12)
    return date(year, month + 1, 1)


def _months(today: date) -> Iterator[date]:
    month = _first_month(today)
    while month <= today:
        yield month
        month = (month + timedelta(days=32)).replace(day=1)


def _entries(today: date, rng: random.Random) -> Iterator[tuple[date, str, str, str, Decimal]]:
    """(date, memo, debit code, credit code, amount), in date order, none after today."""
    found: list[tuple[date, str, str, str, Decimal]] = []
    for month in _months(today):
        for day, memo, debit, credit, (low, high) in MONTHLY:
            found.append((month.replace(day=day), memo, debit, credit, _cents(rng, low, high)))
    weekly = _first_month(today) + timedelta(days=2)
    while weekly <= today:
        found.append((weekly, "Groceries", "5100", "2000", _cents(rng, 6_000, 17_000)))
        weekly += timedelta(days=7)
    # The card is paid from checking at the start of each month: last month's spending.
    spent: dict[date, Decimal] = {}
    for when, _, _, credit, amount in found:
        if credit == "2000":
            month = when.replace(day=1)
            spent[month] = spent.get(month, Decimal(0)) + amount
    for month, amount in spent.items():
        paid = (month + timedelta(days=32)).replace(day=3)
        found.append((paid, "Credit card payment", "2000", "1010", amount))
    found = [entry for entry in found if entry[0] <= today]
    found.sort(key=lambda entry: entry[0])
    return iter(found)


async def seed_books(ctx: LedgerContext, owner: Principal, today: date) -> int:
    """Posts the demo household's books; answers the number of entries posted."""
    from fiscus.services.ledger import accounts, periods, posting
    from fiscus.services.ledger.accounts import AccountChanges
    from fiscus.services.ledger.posting import LineInput

    chart = await accounts.apply_account_template(
        ctx, owner, template="household", currency=CURRENCY
    )
    ids: dict[str, UUID] = {a.code: a.id for a in chart}
    await accounts.update_account(ctx, owner, ids["1000"], AccountChanges(tags={"cash": "true"}))
    rng = random.Random(2024)
    start = _first_month(today)
    posted = 0

    async def post(day: date, memo: str, lines: list[LineInput]) -> UUID:
        nonlocal posted
        posted += 1
        done = await posting.post_journal_entry(
            ctx,
            owner,
            entry_date=day,
            memo=memo,
            lines=lines,
            idempotency_key=f"demo-{posted}",
        )
        return done.entry.id

    def pair(debit: str, credit: str, amount: Decimal) -> list[LineInput]:
        return [LineInput(ids[debit], amount), LineInput(ids[credit], -amount)]

    opening = Decimal("8000.00")
    await post(
        start, "Opening balances", pair("1010", "3000", opening) + pair("1020", "3000", opening)
    )
    mistakes: list[UUID] = []
    for n, (day, memo, debit, credit, amount) in enumerate(_entries(today, rng)):
        await post(day, memo, pair(debit, credit, amount))
        if memo == "Groceries" and n % 37 == 0:
            # A returned purchase: the shop refunds part of it to the card.
            refund = (amount / 4).quantize(Decimal("0.01"))
            await post(
                day + timedelta(days=1), "Refund: returned groceries", pair("2000", "5100", refund)
            )
        if memo == "Dinner and cinema" and len(mistakes) < 2:
            # Charged twice by mistake: the duplicate is reversed below.
            mistakes.append(
                await post(day, f"{memo} (duplicate charge)", pair(debit, credit, amount))
            )
    for entry in mistakes:
        await posting.reverse_entry(ctx, owner, entry, idempotency_key=f"demo-reverse-{entry}")
        posted += 1
    checking = ids["1010"]
    month_end = today.replace(day=1) - timedelta(days=1)
    balance = await _balance(ctx, owner, checking, month_end)
    await periods.assert_balance(
        ctx, owner, account_id=checking, day=month_end, amount=balance, currency=CURRENCY
    )
    return posted


async def _balance(ctx: LedgerContext, owner: Principal, account_id: UUID, day: date) -> Decimal:
    from fiscus.services.ledger import queries

    found = await queries.balances_as_of(ctx, owner, [account_id], day)
    return found[account_id]
