"""The payoff planner on hand-worked examples, and its properties.

Avalanche vs snowball. The claim tested, and its conditions: with every minimum a FIXED
amount (it does not shrink with the balance), MONTHLY accrual, rates that never change,
no lump sums, a budget that covers the minimums, and exact arithmetic (no rounding), the
avalanche pays no more total interest than the snowball. Each month both pay the same
budget; the avalanche puts every unit beyond the minimums on the highest rate, so moving any
unit of the snowball's allocation to a higher-rate debt (the exchange argument) never adds
interest. Outside those conditions it is not guaranteed: with cent rounding the two can
differ by rounding noise when the rates are close, and a minimum that shrinks with the
balance changes what a paid-off debt frees."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fiscus.domain.debts import (
    Accrual,
    BudgetBelowMinimums,
    LumpSum,
    Minimum,
    NeverPaidOff,
    PlanDebt,
    PlanInput,
    Rounding,
    Strategy,
    plan_payoff,
)
from fiscus.domain.errors import ValidationFailed

JAN = date(2026, 1, 1)


def debt(name: str, balance: str, rate: str, minimum: str, **kwargs) -> PlanDebt:
    return PlanDebt(
        uuid.uuid5(uuid.NAMESPACE_OID, name),
        name,
        D(balance),
        D(rate),
        Minimum(amount=D(minimum)),
        **kwargs,
    )


def outcome(plan, strategy: Strategy, scenario: int = 0):
    return next(o for o in plan.scenarios[scenario].outcomes if o.strategy is strategy)


def months(track) -> list[tuple[str, str, str]]:
    return [(str(m.payment), str(m.interest), str(m.balance)) for m in track.months()]


def test_avalanche_and_snowball_by_hand():
    a, b = debt("A", "500.00", "12", "20"), debt("B", "200.00", "6", "20")
    plan = plan_payoff(PlanInput("USD", (a, b), D(300), JAN))
    avalanche = outcome(plan, Strategy.AVALANCHE)
    # Jan: interest A 5.00, B 1.00; minimums 40, the other 260 to A (12 %): A 505 - 280.
    # Feb: A 225 x 1% = 2.25, B 181 x 0.5% = 0.905 -> 0.90 (half-even); A takes its last
    #      227.25, the 52.75 left goes to B. Mar: B 109.15 x 0.5% = 0.54575 -> 0.55.
    assert months(avalanche.tracks[0]) == [
        ("280.00", "5.00", "225.00"),
        ("227.25", "2.25", "0.00"),
    ]
    assert months(avalanche.tracks[1]) == [
        ("20.00", "1.00", "181.00"),
        ("72.75", "0.90", "109.15"),
        ("109.70", "0.55", "0.00"),
    ]
    assert (avalanche.interest, avalanche.paid, avalanche.months) == (D("9.70"), D("709.70"), 3)
    assert avalanche.debt_free == date(2026, 3, 1)
    snowball = outcome(plan, Strategy.SNOWBALL)
    # Jan: B (smaller) takes 201 and is gone; its freed 79 goes to A: 505 - 99 = 406.
    # Feb: 4.06 on A, 300 paid: 110.06. Mar: 1.1006 -> 1.10, 111.16 clears it.
    assert months(snowball.tracks[1]) == [("201.00", "1.00", "0.00")]
    assert months(snowball.tracks[0]) == [
        ("99.00", "5.00", "406.00"),
        ("300.00", "4.06", "110.06"),
        ("111.16", "1.10", "0.00"),
    ]
    assert (snowball.interest, snowball.months) == (D("11.16"), 3)
    assert snowball.tracks[1].paid_off == JAN and snowball.tracks[0].paid_off == date(2026, 3, 1)


def test_snowball_reorders_as_balances_change_and_that_changes_the_result():
    # B's large minimum shrinks it below A after one month: the re-ordered snowball then
    # sends the extra 40 to B; a snowball frozen in the starting order (CUSTOM A, B) keeps
    # feeding A while B's interest runs on.
    a, b = debt("A", "1000.00", "0", "10"), debt("B", "1100.00", "12", "400")
    plan = plan_payoff(
        PlanInput(
            "USD",
            (a, b),
            D(450),
            JAN,
            strategies=(Strategy.SNOWBALL, Strategy.CUSTOM),
            custom_order=(a.id, b.id),
        )
    )
    snowball, frozen = outcome(plan, Strategy.SNOWBALL), outcome(plan, Strategy.CUSTOM)
    # Snowball: Jan A 1000 < B 1100: A gets the 40 (950), B 1111 - 400 = 711.
    # Feb: B 711 < A 950, B gets it: 711 + 7.11 - 440 = 278.11.
    # Mar: 278.11 + 2.78 = 280.89 is B's last payment; A takes the other 169.11.
    assert months(snowball.tracks[1]) == [
        ("400.00", "11.00", "711.00"),
        ("440.00", "7.11", "278.11"),
        ("280.89", "2.78", "0.00"),
    ]
    # Frozen order: Feb B 718.11 - 400 = 318.11; Mar 3.1811 -> 3.18, 321.29 clears B.
    assert months(frozen.tracks[1]) == [
        ("400.00", "11.00", "711.00"),
        ("400.00", "7.11", "318.11"),
        ("321.29", "3.18", "0.00"),
    ]
    assert snowball.interest == D("20.89") and frozen.interest == D("21.29")
    assert snowball.months == frozen.months == 5


def test_a_budget_below_the_minimums_names_the_shortfall():
    a, b = debt("A", "1000.00", "0", "10"), debt("B", "1100.00", "12", "400")
    with pytest.raises(BudgetBelowMinimums) as refused:
        plan_payoff(PlanInput("USD", (a, b), D("400.00"), JAN))
    error = refused.value
    assert (error.code, error.field, error.shortfall, error.minimums) == (
        "BUDGET_BELOW_MINIMUMS",
        "monthlyBudget",
        D("10.00"),
        D("410.00"),
    )


def test_a_budget_that_only_covers_interest_never_pays_off():
    a = debt("A", "10000.00", "12", "100")  # 100.00 a month is exactly the interest
    with pytest.raises(NeverPaidOff):
        plan_payoff(PlanInput("USD", (a,), D(100), JAN))


def test_what_if_extra_and_lump_sum_side_by_side():
    a, b = debt("A", "500.00", "12", "20"), debt("B", "200.00", "6", "20")
    plan = plan_payoff(
        PlanInput(
            "USD",
            (a, b),
            D(300),
            JAN,
            extra_per_month=D(100),
            lump_sums=(LumpSum(date(2026, 2, 14), D(200)),),
        )
    )
    assert [s.name for s in plan.scenarios] == ["as planned", "what if"]
    before, after = outcome(plan, Strategy.AVALANCHE), outcome(plan, Strategy.AVALANCHE, 1)
    # Jan: 400 -> A pays 380: 125.00 left. Feb: 600 + 200 clears A (126.25) and B
    # (181 + 0.905 -> 0.90 = 181.90).
    assert (after.months, after.interest) == (2, D("8.15"))
    assert after.interest < before.interest and after.months < before.months


def test_custom_order_must_name_every_debt():
    a, b = debt("A", "500.00", "12", "20"), debt("B", "200.00", "6", "20")
    with pytest.raises(ValidationFailed) as refused:
        plan_payoff(
            PlanInput(
                "USD", (a, b), D(300), JAN, strategies=(Strategy.CUSTOM,), custom_order=(a.id,)
            )
        )
    assert refused.value.field == "customOrder"


def test_percent_minimums_and_daily_interest_on_a_card():
    card = PlanDebt(
        uuid.uuid4(),
        "Card",
        D("1000.00"),
        D("24"),
        Minimum(percent=D(2), floor=D(25)),
        accrual=Accrual.DAILY,
    )
    plan = plan_payoff(PlanInput("USD", (card,), D(25), JAN, strategies=(Strategy.AVALANCHE,)))
    first = outcome(plan, Strategy.AVALANCHE).tracks[0].months()[0]
    # January: 1000 x 24% x 31 / 365 = 20.3836 -> 20.38; 2% of 1020.38 = 20.41 < 25.
    assert (first.interest, first.payment, first.balance) == (D("20.38"), D("25.00"), D("995.38"))


# -- properties -----------------------------------------------------------------------------

cents = st.integers(min_value=1_000, max_value=2_000_000).map(lambda c: D(c) / 100)
whole_rates = st.integers(min_value=0, max_value=30).map(D)


@st.composite
def fixed_minimum_plans(draw):
    count = draw(st.integers(min_value=2, max_value=4))
    debts = []
    for k in range(count):
        balance = draw(cents)
        rate = draw(whole_rates)
        # A minimum that covers a month's interest and more, as a fixed amount.
        floor = (balance * rate / 1200).quantize(D("0.01")) + D(1)
        minimum = draw(st.integers(min_value=int(floor * 100), max_value=int(floor * 100) + 50_000))
        debts.append(debt(f"D{k}", str(balance), str(rate), str(D(minimum) / 100)))
    minimums = sum(d.minimum.amount for d in debts)
    # Bounded: the budget clears the total within about two years.
    floor = max(minimums, (sum(d.balance for d in debts) / 20).quantize(D("0.01")))
    budget = floor + draw(st.integers(min_value=0, max_value=200_000)) / D(100)
    return PlanInput("USD", tuple(debts), budget, JAN)


@settings(max_examples=40, deadline=None)
@given(fixed_minimum_plans())
def test_avalanche_never_pays_more_interest_than_snowball_under_the_stated_conditions(plan):
    exact = plan_payoff(plan, Rounding.EXACT)
    avalanche = outcome(exact, Strategy.AVALANCHE)
    snowball = outcome(exact, Strategy.SNOWBALL)
    assert avalanche.total_interest <= snowball.total_interest


@settings(max_examples=40, deadline=None)
@given(fixed_minimum_plans(), st.sampled_from(list(Strategy)[:2]))
def test_planned_balances_never_go_negative_and_payments_add_up(plan, strategy):
    result = outcome(plan_payoff(plan), strategy)
    for debt_, track in zip(plan.debts, result.tracks, strict=True):
        rows = track.months()
        assert all(m.balance >= 0 for m in rows)
        assert all(m.payment == m.interest + m.principal for m in rows)
        assert sum(m.principal for m in rows) == debt_.balance  # paid off: all principal
    for k in range(result.months):
        paid = sum(t.months()[k].payment for t in result.tracks if k < len(t.rows))
        assert paid <= plan.monthly_budget
