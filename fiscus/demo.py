"""The demo account: a household organization that watches a few dozen instruments of the
simulated market (equities, ETFs, crypto, FX) with ten years of daily history, keeps its
books in the ledger (household chart, two years of entries through the posting service,
so every invariant, summary and audit event is what a user's postings produce), two
portfolios (USD and EUR) with years of trades at the simulated market's own closes,
dividends and splits, recorded through the portfolio service, and debts, budgets and goals.
A second organization of the demo user (switch to it) manages a small property portfolio:
two buildings, twelve units, eleven leases (one vacancy, one tenant who pays late and is
behind), six months billed by the billing job's service, payments, late fees, expenses.
The first organization has also imported its checking account's statement
(``demo_bank``: rules, drafts to review, learned suggestions)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from fiscus.config import Settings

if TYPE_CHECKING:
    from fiscus.domain.debts import Debt
    from fiscus.domain.identity import Principal
    from fiscus.marketdata.providers.simulated import SimulatedProvider
    from fiscus.runtime import Runtime
    from fiscus.services.ledger.context import LedgerContext
    from fiscus.services.planning import PlanningContext
    from fiscus.services.portfolios.context import PortfolioContext
    from fiscus.services.portfolios.rows import TransactionInput

DEMO_EMAIL = "demo@fiscus.dev"
DEMO_PASSWORD = "demo-password-123"
DEMO_DISPLAY_NAME = "Demo User"
DEMO_ORGANIZATION = "Demo Household"
DEMO_PROPERTIES_ORGANIZATION = "Demo Properties"


async def seed_demo(settings: Settings, *, backfill_now: bool) -> bool:
    """Create the demo account unless it exists; True if it was created.

    The account watches every instrument of the simulated market and has two years of
    household books ending today. ``backfill_now`` loads
    their history before returning (``fiscus demo``); otherwise the backfill jobs that
    tracking enqueues load it in the worker (``fiscus serve --demo`` runs one).
    """
    # Imported here: the CLI reads this module's constants without loading the app.
    from fiscus.domain.errors import ValidationFailed
    from fiscus.marketdata.providers.simulated import CATALOGUE, SimulatedProvider
    from fiscus.runtime import Runtime
    from fiscus.services.identity.auth import sign_up, switch_organization
    from fiscus.services.identity.members import create_organization
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
        await seed_planning(runtime.planning, owner, runtime.planning.clock().date())
        properties = await create_organization(
            runtime.identity, principal=owner, name=DEMO_PROPERTIES_ORGANIZATION
        )
        switched = await switch_organization(
            runtime.identity, principal=owner, organization_id=properties.id
        )
        landlord = runtime.identity.tokens.decode(switched.access_token)
        await seed_properties(runtime.ledger, landlord, runtime.ledger.clock().date())

        from fiscus.demo_bank import seed_bank_import

        await seed_bank_import(runtime, owner, runtime.ledger.clock().date())
        watched = []
        for symbol in sorted(CATALOGUE):
            tracked = await tracking.track_instrument(runtime.marketdata, owner, symbol=symbol)
            watched.append(tracked.instrument.id)
        market = SimulatedProvider(seed=settings.marketdata.simulated_seed)
        await seed_portfolios(runtime.portfolios, owner, runtime.ledger.clock().date(), market)
        if backfill_now:
            await refresh.refresh_instruments(runtime.marketdata, runtime.providers, watched)
            await run_demo_backtest(runtime, owner)
        return True
    finally:
        await runtime.close()


async def run_demo_backtest(runtime: Runtime, owner: Principal) -> None:
    """Four years of SPY/AGG 60/40 held, rebalanced quarterly, or bought monthly, beside the
    demo's USD brokerage portfolio; run inline (the same ``execute`` as the worker's job)
    and stored for the organization."""
    from fiscus.domain.backtesting import Frequency, StrategyKind
    from fiscus.services.backtesting import runs
    from fiscus.services.backtesting.requests import (
        AllocationInput,
        BacktestInput,
        StrategyInput,
    )
    from fiscus.services.portfolios import queries

    end = runtime.portfolios.clock().date()
    compared = next(
        (
            p.id
            for p in await queries.all_portfolios(runtime.portfolios, owner)
            if p.base_currency == CURRENCY
        ),
        None,
    )
    mix = [AllocationInput("SPY", Decimal("0.6")), AllocationInput("AGG", Decimal("0.4"))]
    fixed, rate = Decimal(1), Decimal("0.0005")
    request = BacktestInput(
        name="60/40: hold, rebalance or buy monthly",
        start=end.replace(year=end.year - PORTFOLIO_YEARS, day=1),
        end=end,
        compare_portfolio_id=compared,
        strategies=[
            StrategyInput(
                "Buy and hold",
                StrategyKind.BUY_AND_HOLD,
                mix,
                Decimal(10_000),
                fee_fixed=fixed,
                fee_rate=rate,
            ),
            StrategyInput(
                "Rebalance quarterly",
                StrategyKind.REBALANCE,
                mix,
                Decimal(10_000),
                rebalance_frequency=Frequency.QUARTERLY,
                fee_fixed=fixed,
                fee_rate=rate,
            ),
            StrategyInput(
                "Monthly 500",
                StrategyKind.DCA,
                mix,
                Decimal(0),
                contribution=Decimal(500),
                dca_amount=Decimal(500),
                fee_fixed=fixed,
                fee_rate=rate,
            ),
        ],
    )
    submitted = await runs.submit(runtime.portfolios, owner, request)
    await runs.execute(
        runtime.portfolios, runtime.broker.publish, owner.org_id, submitted.backtest.id
    )


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


# (name, base currency, cost-basis method, instruments in that currency, monthly deposit)
PORTFOLIOS = (
    ("Brokerage (USD)", "USD", "FIFO", ("AAPL", "MSFT", "V", "KO", "JNJ", "SPY", "VTI"), 1500),
    ("Europe (EUR)", "EUR", "HIFO", ("SAP.DE", "ASML.AS", "IWDA.AS", "VWCE.DE"), 900),
)
PORTFOLIO_YEARS = 4


async def seed_portfolios(
    ctx: PortfolioContext, owner: Principal, today: date, market: SimulatedProvider
) -> int:
    """Two portfolios of monthly deposits and buys at the simulated closes, a sale of a
    quarter of the largest position every seventh month, every cash dividend and split of
    what is held; answers the number of transactions recorded."""
    from fiscus.services.portfolios import portfolios, recording

    recorded = 0
    for name, currency, method, symbols, deposit in PORTFOLIOS:
        created = await portfolios.create_portfolio(
            ctx, owner, name=name, base_currency=currency, cost_basis_method=method
        )
        rows = _trades(market, symbols, today, Decimal(deposit))
        done = await recording.record_transactions(
            ctx, owner, created.id, rows, idempotency_key=f"demo-portfolio-{name}"
        )
        recorded += len(done.transactions)
    return recorded


def _trades(
    market: SimulatedProvider, symbols: tuple[str, ...], today: date, deposit: Decimal
) -> list[TransactionInput]:
    from fiscus.services.portfolios.rows import TransactionInput

    series = {s: market.series(s, today) for s in symbols}
    closes = {s: {bar.day: bar.close for bar in found.bars} for s, found in series.items()}
    start = today.replace(year=today.year - PORTFOLIO_YEARS, day=1)
    splits = [a.day for found in series.values() for a in found.actions if a.ratio is not None]
    # Start early enough to hold something through a split.
    start = min([start, *(d.replace(day=1) - timedelta(days=60) for d in splits if d.year > 2016)])
    events: list[tuple[date, int, TransactionInput]] = []
    held: dict[str, Decimal] = {s: Decimal(0) for s in symbols}
    actions = sorted(
        (a.day, s, a) for s, found in series.items() for a in found.actions if a.day >= start
    )
    month, n = start, 0
    while month <= today:
        day = month + timedelta(days=2)
        events.append((day, 0, TransactionInput(type="DEPOSIT", date=day, amount=deposit)))
        symbol = symbols[n % len(symbols)]
        trade_day = next((d for d in sorted(closes[symbol]) if d >= day), None)
        if trade_day is not None and trade_day <= today:
            price = closes[symbol][trade_day]
            quantity = (deposit * Decimal("0.95") / price).quantize(Decimal("0.0001"))
            events.append(
                (trade_day, 1, _trade("BUY", trade_day, symbol, quantity, price, f"B{n}"))
            )
        n += 1
        month = (month + timedelta(days=32)).replace(day=1)
    events.sort(key=lambda e: (e[0], e[1]))
    rows: list[TransactionInput] = []
    pending = list(actions)
    for number, (day, _, row) in enumerate(events):
        while pending and pending[0][0] <= day:
            rows.extend(_action(pending.pop(0), held))
        if row.type == "BUY" and row.symbol and row.quantity is not None:
            held[row.symbol] += row.quantity
        rows.append(row)
        if row.type == "BUY" and number % 14 == 13:
            biggest = max(held, key=lambda s: held[s] * closes[s].get(day, Decimal(0)))
            if day in closes[biggest] and held[biggest] > 0:
                quantity = (held[biggest] / 4).quantize(Decimal("0.0001"))
                held[biggest] -= quantity
                price = closes[biggest][day]
                rows.append(_trade("SELL", day, biggest, quantity, price, f"S{number}"))
    for pending_action in pending:
        if pending_action[0] <= today:
            rows.extend(_action(pending_action, held))
    return rows


def _trade(
    kind: str, day: date, symbol: str, quantity: Decimal, price: Decimal, reference: str
) -> TransactionInput:
    from fiscus.services.portfolios.rows import TransactionInput

    return TransactionInput(
        type=kind,
        date=day,
        symbol=symbol,
        quantity=quantity,
        price=price,
        fee=Decimal("1.00"),
        reference=reference,
    )


def _action(found: tuple[date, str, object], held: dict[str, Decimal]) -> list[TransactionInput]:
    """The dividend paid on, or the split of, what is held."""
    from fiscus.domain.marketdata import ActionKind, CorporateAction
    from fiscus.services.portfolios.rows import TransactionInput

    day, symbol, action = found
    assert isinstance(action, CorporateAction)
    if held[symbol] <= 0:
        return []
    if action.kind is ActionKind.SPLIT and action.ratio is not None:
        held[symbol] *= action.ratio
        return [TransactionInput(type="SPLIT", date=day, symbol=symbol, ratio=action.ratio)]
    if action.amount is None:
        return []
    amount = (held[symbol] * action.amount).quantize(Decimal("0.01"))
    if amount <= 0:
        return []
    return [TransactionInput(type="DIVIDEND", date=day, symbol=symbol, amount=amount)]


async def seed_planning(ctx: PlanningContext, owner: Principal, today: date) -> None:
    """A mortgage, a car loan and two cards (opening balances posted, this month's payments
    recorded), monthly budgets with housing over its alert threshold, and two goals about
    half-way. Everything it posts is dated this month: the books' balance assertion at the
    end of last month stays true."""
    from fiscus.domain.budgets import Rollover
    from fiscus.domain.debts import (
        DebtKind,
        DebtTermsInput,
        PaymentRule,
        PaymentRuleKind,
        RateChange,
        RatePolicy,
    )
    from fiscus.domain.goals import GoalDraft, GoalKind, GoalTracking
    from fiscus.services.budgets import manage as budgets
    from fiscus.services.debts import payments, terms
    from fiscus.services.goals import manage as goals
    from fiscus.services.ledger import accounts, queries

    chart = {a.code: a for a in await queries.accounts(ctx, owner)}
    for code, name, kind, parent in (
        ("2010", "Visa card", "liability", "2000"),
        ("2020", "Store card", "liability", "2000"),
        ("2110", "Mortgage", "liability", "2100"),
        ("2120", "Car loan", "liability", "2100"),
        ("5950", "Interest charges", "expense", None),
    ):
        if code not in chart:
            chart[code] = await accounts.create_account(
                ctx,
                owner,
                code=code,
                name=name,
                type=kind,
                currency=CURRENCY,
                parent_id=chart[parent].id if parent else None,
            )
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    offset = chart["3000"].id
    interest = chart["5950"].id
    debts = (
        (
            DebtTermsInput(
                "Home mortgage",
                DebtKind.HOME_LOAN,
                CURRENCY,
                Decimal("280000.00"),
                Decimal("6.25"),
                PaymentRule(PaymentRuleKind.ANNUITY, term_months=360),
                1,
                last_month,
                lender="First Federal",
                rate_policy=RatePolicy.REAMORTIZE,
                rate_changes=(
                    RateChange(this_month.replace(year=this_month.year + 3), Decimal("5.5")),
                ),
            ),
            "2110",
        ),
        (
            DebtTermsInput(
                "Car loan",
                DebtKind.AUTO_LOAN,
                CURRENCY,
                Decimal("24000.00"),
                Decimal("5.9"),
                PaymentRule(PaymentRuleKind.ANNUITY, term_months=60),
                1,
                last_month,
                lender="Auto Credit",
            ),
            "2120",
        ),
        (
            DebtTermsInput(
                "Visa card",
                DebtKind.CREDIT_CARD,
                CURRENCY,
                Decimal("3200.00"),
                Decimal("22.9"),
                PaymentRule(PaymentRuleKind.PERCENT, percent=Decimal(2), floor=Decimal(35)),
                1,
                last_month,
                lender="Visa",
            ),
            "2010",
        ),
        (
            DebtTermsInput(
                "Store card",
                DebtKind.CREDIT_CARD,
                CURRENCY,
                Decimal("850.00"),
                Decimal("26.99"),
                PaymentRule(PaymentRuleKind.PERCENT, percent=Decimal(3), floor=Decimal(25)),
                1,
                last_month,
                lender="Store",
            ),
            "2020",
        ),
    )
    for stated, code in debts:
        debt = await terms.create_debt(
            ctx,
            owner,
            stated,
            liability_account_id=chart[code].id,
            interest_account_id=interest,
            opening=terms.Opening(offset, f"demo-debt-{code}"),
        )
        schedule_payment = await _first_payment(debt)
        await payments.record_debt_payment(
            ctx,
            owner,
            debt.id,
            paid_on=this_month,
            amount=schedule_payment,
            from_account_id=chart["1010"].id,
            idempotency_key=f"demo-pay-{code}",
        )
    for name, code, amount, threshold in (
        ("Housing", "5000", "1800.00", "90"),
        ("Groceries", "5100", "600.00", "80"),
        ("Transport", "5200", "150.00", "80"),
        ("Leisure", "5400", "250.00", "80"),
    ):
        await budgets.create_budget(
            ctx,
            owner,
            name=name,
            account_id=chart[code].id,
            include_subtree=True,
            amount=Decimal(amount),
            rollover=Rollover.CARRY_UNSPENT if code == "5400" else Rollover.NONE,
            alert_threshold_percent=Decimal(threshold),
            start_month=this_month.replace(month=1),
        )
    await goals.create_goal(
        ctx,
        owner,
        GoalDraft(
            "Emergency fund",
            GoalKind.EMERGENCY_FUND,
            Decimal("40000.00"),
            CURRENCY,
            this_month.replace(year=this_month.year + 2),
            1,
            GoalTracking.ACCOUNTS,
            (chart["1020"].id,),
        ),
    )
    car = await goals.create_goal(
        ctx,
        owner,
        GoalDraft(
            "New car",
            GoalKind.PURCHASE,
            Decimal("10000.00"),
            CURRENCY,
            this_month.replace(year=this_month.year + 1),
            2,
            GoalTracking.CONTRIBUTIONS,
            (),
        ),
    )
    await goals.contribute_to_goal(
        ctx,
        owner,
        car.id,
        amount=Decimal("4500.00"),
        from_account_id=chart["1010"].id,
        to_account_id=chart["1020"].id,
        on=this_month,
        idempotency_key="demo-goal-car",
    )


async def _first_payment(debt: Debt) -> Decimal:
    from fiscus.domain.debts import full_schedule

    return full_schedule(debt).rows[0].payment


PROPERTY_MONTHS = 6
BUILDINGS = (
    ("Maple Court", "12 Maple Street", ("1A", "1B", "2A", "2B", "3A", "3B")),
    ("Harbor Lofts", "5 Quay Road", ("101", "102", "201", "202", "301", "302")),
)
TENANTS = (
    "Ava Brooks",
    "Ben Carter",
    "Chloe Diaz",
    "Dan Evans",
    "Eli Foster",
    "Fay Green",
    "Gus Hale",
    "Ivy Jones",
    "Jon Kim",
    "Kai Lopez",
    "Sam Slowpay",
)
LATE_PAYER = "Sam Slowpay"


async def seed_properties(ctx: LedgerContext, owner: Principal, today: date) -> int:
    """The property portfolio; answers the number of charges the billing runs wrote."""
    from fiscus.domain.properties import LateFeeKind, LateFeeRule, LeaseParty, month_start
    from fiscus.domain.receivables import CounterpartyKind
    from fiscus.services.ledger import accounts
    from fiscus.services.properties import billing, buildings, expenses, leases
    from fiscus.services.receivables import counterparties, payments, snapshots

    chart = await accounts.apply_account_template(
        ctx, owner, template="property_management", currency=CURRENCY
    )
    ids = {a.code: a.id for a in chart}
    start = month_start(today)
    for _ in range(PROPERTY_MONTHS - 1):
        start = month_start(start - timedelta(days=1))
    tenants = {
        name: (
            await counterparties.create_counterparty(
                ctx,
                owner,
                kind=CounterpartyKind.TENANT,
                name=name,
                currency=CURRENCY,
                email=f"{name.split()[0].lower()}@tenants.example",
            )
        ).id
        for name in TENANTS
    }
    vendor = await counterparties.create_counterparty(
        ctx,
        owner,
        kind=CounterpartyKind.VENDOR,
        name="Fix-It Plumbing",
        currency=CURRENCY,
        default_account_id=ids["5000"],
    )
    rng = random.Random(7)
    rents: dict[UUID, Decimal] = {}
    names = iter(TENANTS)
    made: list[UUID] = []
    for building_name, address, numbers in BUILDINGS:
        building = await buildings.create_building(
            ctx, owner, name=building_name, currency=CURRENCY, address=address
        )
        made.append(building.id)
        for number in numbers:
            rent = Decimal(rng.randrange(1200, 2400, 50))
            unit = await buildings.create_unit(
                ctx,
                owner,
                building_id=building.id,
                number=number,
                bedrooms=int(number[0]) % 3 + 1,
                market_rent=rent,
            )
            if building_name == "Harbor Lofts" and number == "302":
                continue  # the vacancy
            name = next(names)
            parties = [LeaseParty(tenants[name], Decimal(1))]
            await leases.create_lease(
                ctx,
                owner,
                leases.LeaseTerms(
                    unit_id=unit.id,
                    starts_on=start + timedelta(days=9 if name == "Ava Brooks" else 0),
                    ends_on=None,
                    monthly_rent=rent,
                    due_day=1,
                    grace_days=5,
                    parties=parties,
                    deposit=rent,
                    late_fee=LateFeeRule(LateFeeKind.FIXED, Decimal(50)),
                ),
                idempotency_key=f"demo-lease-{name}",
            )
            rents[tenants[name]] = rent
    written = 0
    month = start
    while month <= today:
        written += (await billing.bill_organization(ctx, owner.org_id, month)).rent_charges
        for name, tenant in tenants.items():
            late = name == LATE_PAYER
            day = month + timedelta(days=19 if late else rng.randrange(0, 3))
            if day > today or (late and month > start and month >= _months_ago(today, 1)):
                continue  # the late payer has not paid the last two months
            amount = rents[tenant] * (2 if month == start else 1)  # the deposit, first
            await payments.record_payment(
                ctx,
                owner,
                payments.PaymentInput(tenant, amount, day, ids["1000"]),
                idempotency_key=f"demo-pay-{name}-{month}",
            )
        grace_over = month + timedelta(days=7)
        if grace_over <= today:
            written += (await billing.bill_organization(ctx, owner.org_id, grace_over)).late_fees
        await expenses.record_property_expense(
            ctx,
            owner,
            expenses.ExpenseInput(
                vendor.id,
                made[(month.month % 2)],
                Decimal(rng.randrange(150, 900)),
                min(month + timedelta(days=12), today),
                ids["5000"],
                ids["1000"],
                description="Repairs",
            ),
            idempotency_key=f"demo-expense-{month}",
        )
        month_end = month_start(month + timedelta(days=32)) - timedelta(days=1)
        if month_end < today:
            await snapshots.take_snapshot(ctx, owner.org_id, month_end)
        month = month_start(month + timedelta(days=32))
    written += (await billing.bill_organization(ctx, owner.org_id, today)).rent_charges
    return written


def _months_ago(today: date, months: int) -> date:
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return date(year, month + 1, 1)
