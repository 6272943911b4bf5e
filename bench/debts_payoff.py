"""The payoff planner on 20 debts over 30 years: twenty 30-year loans (mortgages, long
student and personal loans; different balances and rates) with a budget of exactly their
payments, so every simulation runs 360 months x 20 debts. Each plan computes avalanche and
snowball, as planned and with a what-if (200 more a month and a 5,000 lump sum): four
month-by-month simulations. A mixed household (a mortgage, car, student and personal loans,
eight cards with percent minimums and daily interest) is timed too.

Timed (p50/p99 over --rounds, wall and process CPU per plan, plans/s): the domain planner
in process, the service (reading the debts and their payments: SQL statements counted),
and GraphQL through one `fiscus serve` process; next to a floor measured in the same run:
the same four simulations as a bare float loop (no rounding, no objects, no schedule kept).
Target: a plan under 100 ms.

    PYTHONPATH=. python bench/debts_payoff.py [--rounds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx

from bench.harness import bench_settings, free_port, scratch, start_server, wait_ready
from fiscus.domain.debts import (
    Accrual,
    DebtKind,
    DebtTermsInput,
    LumpSum,
    Minimum,
    PaymentRule,
    PaymentRuleKind,
    PlanDebt,
    PlanInput,
    plan_payoff,
)
from fiscus.domain.debts.amortization import annuity_payment
from fiscus.domain.debts.arithmetic import Rounding
from fiscus.persistence.migrate import upgrade
from fiscus.persistence.statements import count_statements
from fiscus.runtime import Runtime
from fiscus.services.debts import planner, terms
from fiscus.services.identity.auth import sign_up
from fiscus.services.ledger import accounts

START = date(2027, 1, 1)

# (name, kind, balance, annual %, rule): ANNUITY (term), FIXED (amount), PERCENT (%, floor).
DEBTS = [
    ("Mortgage", DebtKind.HOME_LOAN, "420000.00", "6.1", ("annuity", 360)),
    ("Car 1", DebtKind.AUTO_LOAN, "28000.00", "5.4", ("annuity", 72)),
    ("Car 2", DebtKind.AUTO_LOAN, "14500.00", "7.9", ("annuity", 48)),
    *[
        (
            f"Student {n}",
            DebtKind.STUDENT_LOAN,
            f"{9000 + 1700 * n}.00",
            f"{4 + n * 0.6:.2f}",
            ("annuity", 120 + 12 * n),
        )
        for n in range(5)
    ],
    *[
        (
            f"Card {n}",
            DebtKind.CREDIT_CARD,
            f"{1200 + 950 * n}.00",
            f"{17.9 + n:.2f}",
            ("percent", "2", "35.00"),
        )
        for n in range(8)
    ],
    *[
        (
            f"Personal {n}",
            DebtKind.PERSONAL_LOAN,
            f"{5000 + 2500 * n}.00",
            f"{9.5 + n:.2f}",
            ("fixed", f"{180 + 40 * n}.00"),
        )
        for n in range(4)
    ],
]


def thirty_year_debts() -> list[PlanDebt]:
    found = []
    for n in range(20):
        balance = Decimal(50_000 + 10_000 * n)
        rate = Decimal("3.5") + Decimal(n) / 4
        emi = annuity_payment(int(balance * 100), Fraction(rate) / 1200, 360, Rounding.MINOR_UNIT)
        found.append(
            PlanDebt(uuid.uuid4(), f"Loan {n}", balance, rate, Minimum(amount=Decimal(emi) / 100))
        )
    return found


def plan_debts() -> list[PlanDebt]:
    found = []
    for name, kind, balance, rate, rule in DEBTS:
        if rule[0] == "annuity":
            monthly = Decimal(rate) / 1200
            emi = annuity_payment(
                int(Decimal(balance) * 100), Fraction(monthly), rule[1], Rounding.MINOR_UNIT
            )
            minimum = Minimum(amount=Decimal(emi) / 100)
        elif rule[0] == "fixed":
            minimum = Minimum(amount=Decimal(rule[1]))
        else:
            minimum = Minimum(percent=Decimal(rule[1]), floor=Decimal(rule[2]))
        accrual = kind.default_accrual
        found.append(
            PlanDebt(uuid.uuid4(), name, Decimal(balance), Decimal(rate), minimum, accrual)
        )
    return found


def budget_for(debts: list[PlanDebt]) -> Decimal:
    """The first month's minimums plus a little: the mortgage takes its 30 years."""
    total = Decimal(0)
    for d in debts:
        if d.minimum.amount is not None:
            total += d.minimum.amount
        else:
            assert d.minimum.percent is not None and d.minimum.floor is not None
            total += max(d.minimum.floor, d.balance * d.minimum.percent / 100 * Decimal("1.03"))
    return (total + 150).quantize(Decimal("0.01"))


def float_floor(debts: list[PlanDebt], budget: float, extra: float, lump: float) -> int:
    """The same four simulations as bare float arithmetic: the cost of the loop alone."""
    months_total = 0
    for scenario_budget, scenario_lump in ((budget, 0.0), (budget + extra, lump)):
        for strategy in ("avalanche", "snowball"):
            balances = [float(d.balance) for d in debts]
            rates = [float(d.annual_rate_percent) / 1200 for d in debts]
            fixed = [
                float(d.minimum.amount) if d.minimum.amount is not None else None for d in debts
            ]
            pct = [float(d.minimum.percent or 0) / 100 for d in debts]
            floors = [float(d.minimum.floor or 0) for d in debts]
            month = 0
            while any(b > 0.005 for b in balances) and month < 1200:
                active = [i for i, b in enumerate(balances) if b > 0.005]
                owed = {i: balances[i] * (1 + rates[i]) for i in active}
                pays = {}
                for i in active:
                    m = fixed[i] if fixed[i] is not None else max(floors[i], pct[i] * owed[i])
                    pays[i] = min(m, owed[i])
                left = scenario_budget + (scenario_lump if month == 6 else 0) - sum(pays.values())
                if strategy == "avalanche":
                    order = sorted(active, key=lambda i, r=rates, b=balances: (-r[i], b[i]))
                else:
                    order = sorted(active, key=lambda i, r=rates, b=balances: (b[i], -r[i]))
                for i in order:
                    take = min(owed[i] - pays[i], left)
                    pays[i] += take
                    left -= take
                    if left <= 0:
                        break
                for i in active:
                    balances[i] = owed[i] - pays[i]
                month += 1
            months_total += month
    return months_total


def stats(samples: list[float], cpu: list[float]) -> str:
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    p50 = statistics.median(samples)
    return (
        f"p50 {p50:8.2f} ms   p99 {p99:8.2f} ms   {1000 / p50:7.1f} plans/s   "
        f"CPU {statistics.median(cpu):7.2f} ms/plan"
    )


async def timed(call: Callable[[], Awaitable[object]], rounds: int) -> str:
    await call()
    samples, cpu = [], []
    for _ in range(rounds):
        wall, process = time.perf_counter(), time.process_time()
        await call()
        samples.append((time.perf_counter() - wall) * 1000)
        cpu.append((time.process_time() - process) * 1000)
    return stats(samples, cpu)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    lump = (LumpSum(date(2027, 7, 1), Decimal(5000)),)
    heavy = thirty_year_debts()
    mixed = plan_debts()
    for label, debts, budget in (
        ("20 debts x 30 years", heavy, sum((d.minimum.amount or Decimal(0)) for d in heavy)),
        ("mixed household", mixed, budget_for(mixed)),
    ):
        plan = PlanInput(
            "USD", tuple(debts), budget, START, extra_per_month=Decimal(200), lump_sums=lump
        )
        result = plan_payoff(plan)
        months = [o.months for s in result.scenarios for o in s.outcomes]
        print(
            f"{label}: budget {budget} a month; months per simulation {months} "
            f"(avalanche debt-free {result.scenarios[0].outcomes[0].debt_free})"
        )

        async def domain(plan: PlanInput = plan) -> None:
            plan_payoff(plan)

        async def floor(debts: list[PlanDebt] = debts, budget: Decimal = budget) -> None:
            float_floor(debts, float(budget), 200.0, 5000.0)

        print(f"  {'floor: float loop, 4 simulations':42s} {await timed(floor, args.rounds)}")
        print(f"  {'planner (domain, in process)':42s} {await timed(domain, args.rounds)}")
    debts, budget = mixed, budget_for(mixed)

    async with scratch("debts_payoff") as (database, prefix):
        with TemporaryDirectory() as data_dir:
            settings = bench_settings(database, prefix, Path(data_dir))
            await asyncio.to_thread(upgrade, settings)
            runtime = await Runtime.open(settings)
            port = free_port()
            server = start_server(settings, port)
            try:
                account = await sign_up(
                    runtime.identity,
                    email="bench@bench.example",
                    password="bench-password-123",
                    display_name="Bench",
                    organization_name="Bench Org",
                )
                principal = runtime.identity.tokens.decode(account.access_token)
                chart = await accounts.apply_account_template(
                    runtime.ledger, principal, template="household", currency="USD"
                )
                codes = {a.code: a.id for a in chart}
                for name, kind, balance, rate, rule in DEBTS:
                    if rule[0] == "annuity":
                        stated = PaymentRule(PaymentRuleKind.ANNUITY, term_months=rule[1])
                    elif rule[0] == "fixed":
                        stated = PaymentRule(PaymentRuleKind.FIXED, amount=Decimal(rule[1]))
                    else:
                        stated = PaymentRule(
                            PaymentRuleKind.PERCENT,
                            percent=Decimal(rule[1]),
                            floor=Decimal(rule[2]),
                        )
                    await terms.create_debt(
                        runtime.planning,
                        principal,
                        DebtTermsInput(
                            name,
                            kind,
                            "USD",
                            Decimal(balance),
                            Decimal(rate),
                            stated,
                            1,
                            date(2026, 12, 1),
                            accrual=Accrual.DAILY if kind is DebtKind.CREDIT_CARD else None,
                        ),
                        liability_account_id=codes["2100"],
                        interest_account_id=codes["5900"],
                    )
                request = planner.PayoffRequest(
                    monthly_budget=budget,
                    extra_per_month=Decimal(200),
                    lump_sums=(LumpSum(date(2027, 7, 1), Decimal(5000)),),
                    start=START,
                )

                async def service() -> None:
                    await planner.payoff_plan(runtime.planning, principal, request)

                with count_statements() as log:
                    await service()
                print("mixed household, stored as debts:")
                print(
                    f"  {'payoffPlan (service: read + plan)':42s} "
                    f"{await timed(service, args.rounds)}   SQL {log.count}/plan"
                )
                await wait_ready(server, f"http://127.0.0.1:{port}")
                query = (
                    f'{{ payoffPlan(input: {{monthlyBudget: "{budget}", extraPerMonth: "200", '
                    f'startMonth: "{START}", lumpSums: [{{date: "2027-07-01", '
                    'amount: "5000"}]}) { ... on PayoffPlan { scenarios(first: 2) { '
                    "strategies(first: 2) { months totalInterest debts(first: 20) { name "
                    "paidOff monthlyBalances } } } } } }"
                )
                async with httpx.AsyncClient(
                    base_url=f"http://127.0.0.1:{port}",
                    headers={"authorization": f"Bearer {account.access_token}"},
                    timeout=60,
                ) as client:

                    async def graphql() -> None:
                        reply = (await client.post("/graphql", json={"query": query})).json()
                        if reply.get("errors") or not reply.get("data"):
                            raise RuntimeError(f"GraphQL failed: {reply}")

                    print(
                        f"  {'payoffPlan (GraphQL, all balances)':42s} "
                        f"{await timed(graphql, args.rounds)}  (CPU: this client)"
                    )
            finally:
                server.terminate()
                server.wait(30)
                await runtime.close()


if __name__ == "__main__":
    asyncio.run(main())
