"""Amortization schedules, golden (worked by hand in the comments) and properties.

Rounding rule under test: interest half-even to the cent each period; the EMI rounded up to
the cent; the final payment is what remains (it absorbs the residue)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import ROUND_CEILING
from decimal import Decimal as D
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from fiscus.domain.debts import (
    Accrual,
    Debt,
    DebtKind,
    DebtPayment,
    Overpayment,
    PaymentRule,
    PaymentRuleKind,
    RateChange,
    RatePolicy,
    annuity_payment,
    full_schedule,
    projection,
    replay,
    split_payment,
)
from fiscus.domain.debts.arithmetic import Rounding, half_even
from fiscus.domain.errors import ValidationFailed


def loan(
    balance: str,
    rate: str,
    term: int | None = None,
    *,
    rule: PaymentRule | None = None,
    start: date = date(2026, 1, 10),
    day: int = 10,
    changes: tuple[RateChange, ...] = (),
    policy: RatePolicy = RatePolicy.KEEP_PAYMENT,
    accrual: Accrual = Accrual.MONTHLY,
) -> Debt:
    return Debt(
        uuid.uuid4(),
        uuid.uuid4(),
        "Loan",
        DebtKind.PERSONAL_LOAN,
        None,
        "USD",
        D(balance),
        D(rate),
        accrual,
        rule or PaymentRule(PaymentRuleKind.ANNUITY, term_months=term),
        day,
        start,
        policy,
        uuid.uuid4(),
        uuid.uuid4(),
        rate_changes=changes,
    )


def rows(debt: Debt, **kwargs) -> list[tuple]:
    schedule = full_schedule(debt, **kwargs)
    return [
        (
            r.date.isoformat(),
            str(r.payment),
            str(r.interest),
            str(r.principal),
            str(r.extra),
            str(r.balance),
        )
        for r in schedule.rows
    ]


def test_half_even_rounds_ties_to_even():
    assert [half_even(n, 10) for n in (4, 5, 6, 15, 25, 26)] == [0, 0, 1, 2, 2, 3]


def test_fixed_rate_annuity_by_hand():
    # EMI = 1000 x 0.01 x 1.01^3 / (1.01^3 - 1) = 340.0221... -> 340.03 (up).
    # 1: interest 10.00; 2: 669.97 x 1% = 6.6997 -> 6.70; 3: 336.64 x 1% = 3.3664 -> 3.37,
    # the final payment is 336.64 + 3.37 = 340.01 (the residue of rounding the EMI up).
    debt = loan("1000.00", "12", 3)
    assert full_schedule(debt).standard_payment == D("340.03")
    assert rows(debt) == [
        ("2026-02-10", "340.03", "10.00", "330.03", "0.00", "669.97"),
        ("2026-03-10", "340.03", "6.70", "333.33", "0.00", "336.64"),
        ("2026-04-10", "340.01", "3.37", "336.64", "0.00", "0.00"),
    ]
    assert full_schedule(debt).total_interest == D("20.07")


def test_zero_rate_splits_the_principal_evenly_and_the_last_payment_absorbs_the_rest():
    # 1000 / 3 = 333.333... -> 333.34 (up); the last pays 333.32.
    assert rows(loan("1000.00", "0", 3)) == [
        ("2026-02-10", "333.34", "0.00", "333.34", "0.00", "666.66"),
        ("2026-03-10", "333.34", "0.00", "333.34", "0.00", "333.32"),
        ("2026-04-10", "333.32", "0.00", "333.32", "0.00", "0.00"),
    ]


RISE = (RateChange(date(2026, 3, 1), D(24)),)


def test_rate_change_keeping_the_payment_moves_the_term():
    # EMI(1200, 1%, 4) = 307.5374... -> 307.54. From March the rate is 2 % a month:
    # 904.46 x 2% = 18.0892 -> 18.09; 615.01 x 2% = 12.3002 -> 12.30; 319.77 x 2% = 6.3954
    # -> 6.40; a fifth payment of 18.63 + 0.37 (18.63 x 2% = 0.3726).
    assert rows(loan("1200.00", "12", 4, changes=RISE)) == [
        ("2026-02-10", "307.54", "12.00", "295.54", "0.00", "904.46"),
        ("2026-03-10", "307.54", "18.09", "289.45", "0.00", "615.01"),
        ("2026-04-10", "307.54", "12.30", "295.24", "0.00", "319.77"),
        ("2026-05-10", "307.54", "6.40", "301.14", "0.00", "18.63"),
        ("2026-06-10", "19.00", "0.37", "18.63", "0.00", "0.00"),
    ]


def test_rate_change_reamortizing_moves_the_payment_and_keeps_the_term():
    # At the change: EMI(904.46, 2%, 3 left) = 313.6257... -> 313.63.
    # 608.92 x 2% = 12.1784 -> 12.18; 307.47 x 2% = 6.1494 -> 6.15; final 313.62.
    debt = loan("1200.00", "12", 4, changes=RISE, policy=RatePolicy.REAMORTIZE)
    assert rows(debt) == [
        ("2026-02-10", "307.54", "12.00", "295.54", "0.00", "904.46"),
        ("2026-03-10", "313.63", "18.09", "295.54", "0.00", "608.92"),
        ("2026-04-10", "313.63", "12.18", "301.45", "0.00", "307.47"),
        ("2026-05-10", "313.62", "6.15", "307.47", "0.00", "0.00"),
    ]


def test_an_extra_payment_goes_to_principal_and_shortens_the_last_payment():
    # 1000 - 330.03 - 100 = 569.97; 5.6997 -> 5.70; 235.64 x 1% = 2.3564 -> 2.36.
    assert rows(loan("1000.00", "12", 3), extras={date(2026, 2, 10): D(100)}) == [
        ("2026-02-10", "340.03", "10.00", "330.03", "100.00", "569.97"),
        ("2026-03-10", "340.03", "5.70", "334.33", "0.00", "235.64"),
        ("2026-04-10", "238.00", "2.36", "235.64", "0.00", "0.00"),
    ]


CARD = PaymentRule(PaymentRuleKind.PERCENT, percent=D(2), floor=D(25))


def test_card_minimum_payments_with_daily_interest_by_hand():
    # 45 days (Jan 1 - Feb 15): 500 x 18% x 45 / 365 = 11.0958 -> 11.10; 2% of 511.10 is
    # 10.22 < the 25.00 floor. 28 days: 486.10 x 18% x 28 / 365 = 6.7121 -> 6.71.
    card = loan("500.00", "18", rule=CARD, start=date(2026, 1, 1), day=15, accrual=Accrual.DAILY)
    schedule = full_schedule(card)
    assert rows(card)[:2] == [
        ("2026-02-15", "25.00", "11.10", "13.90", "0.00", "486.10"),
        ("2026-03-15", "25.00", "6.71", "18.29", "0.00", "467.81"),
    ]
    assert schedule.complete and len(schedule.rows) == 25
    assert schedule.payoff_date == date(2028, 2, 15)
    assert schedule.total_interest == D("103.56")


def test_a_percent_minimum_below_the_interest_never_pays_off():
    # 1 % of the balance against 2 % interest a month, no floor to speak of.
    rule = PaymentRule(PaymentRuleKind.PERCENT, percent=D(1), floor=D("0.01"))
    schedule = full_schedule(loan("1000.00", "24", rule=rule))
    assert not schedule.complete and schedule.rows == () and schedule.payoff_date is None


def payment(debt: Debt, day: date, split, n: int) -> DebtPayment:
    return DebtPayment(
        uuid.UUID(int=n),
        debt.id,
        day,
        split.total,
        split.interest,
        split.principal,
        split.extra,
        uuid.uuid4(),
    )


def test_paying_on_schedule_reproduces_the_schedule_and_then_refuses_more():
    debt = loan("1200.00", "12", 4, changes=RISE, policy=RatePolicy.REAMORTIZE)
    paid: list[DebtPayment] = []
    for n, row in enumerate(full_schedule(debt).rows):
        split = split_payment(debt, paid, paid_on=row.date, amount=row.payment)
        assert (split.interest, split.principal) == (row.interest, row.principal)
        paid.append(payment(debt, row.date, split, n))
    state = replay(debt, paid, date(2026, 6, 1))
    assert state.paid_off and state.balance == 0
    # 12.00 + 18.09 + 12.18 + 6.15
    assert state.interest_paid == D("48.42") and state.total_paid == D("1248.42")
    try:
        split_payment(debt, paid, paid_on=date(2026, 6, 10), amount=D("0.01"))
    except Overpayment as refused:
        assert refused.code == "OVERPAYMENT" and refused.payoff == D("0.00")
    else:
        raise AssertionError("a payment on a paid-off debt was accepted")


def test_a_late_payment_pays_the_charged_interest_first_and_the_projection_carries_it():
    debt = loan("1000.00", "12", 3)
    # Nothing paid on Feb 10: the 10.00 charged then is unpaid on Feb 20.
    state = replay(debt, [], date(2026, 2, 20))
    assert (state.balance, state.unpaid_interest) == (D("1000.00"), D("10.00"))
    split = split_payment(debt, [], paid_on=date(2026, 2, 20), amount=D("100.00"))
    assert (split.interest, split.principal) == (D("10.00"), D("90.00"))
    ahead = projection(debt, state)
    assert ahead.rows[0].date == date(2026, 3, 10) and ahead.rows[0].interest == D("20.00")


def test_payments_are_refused_out_of_order_or_beyond_the_balance():
    debt = loan("1000.00", "12", 3)
    first = split_payment(debt, [], paid_on=date(2026, 2, 10), amount=D("340.03"))
    paid = [payment(debt, date(2026, 2, 10), first, 1)]
    try:
        split_payment(debt, paid, paid_on=date(2026, 2, 1), amount=D(1))
    except ValidationFailed as refused:
        assert refused.field == "date"
    else:
        raise AssertionError("a back-dated payment was accepted")
    try:
        split_payment(debt, paid, paid_on=date(2026, 2, 11), amount=D(1), extra=D(700))
    except Overpayment as refused:
        assert refused.payoff == D("669.97")
    else:
        raise AssertionError("an overpayment was accepted")


# -- properties -----------------------------------------------------------------------------

amounts = st.integers(min_value=100, max_value=5_000_000).map(lambda c: D(c) / 100)
rates = st.integers(min_value=0, max_value=3000).map(lambda bp: D(bp) / 100)
terms = st.integers(min_value=1, max_value=120)


@settings(max_examples=60, deadline=None)
@given(
    amounts,
    rates,
    terms,
    st.sampled_from(list(RatePolicy)),
    rates,
    st.integers(min_value=0, max_value=200),
    st.sampled_from(list(Accrual)),
)
def test_annuity_schedules_balance_exactly(balance, rate, term, policy, new_rate, extra, accrual):
    changes = (RateChange(date(2026, 6, 1), new_rate),)
    debt = loan(str(balance), str(rate), term, changes=changes, policy=policy, accrual=accrual)
    schedule = full_schedule(debt, extra_per_month=D(extra))
    previous = debt.opening_balance
    for row in schedule.rows:
        assert row.balance >= 0
        assert row.payment == row.interest + row.principal
        assert previous - row.principal - row.extra == row.balance
        previous = row.balance
    if schedule.complete:
        assert sum(r.principal + r.extra for r in schedule.rows) == debt.opening_balance
        assert schedule.rows[-1].balance == 0


@settings(max_examples=40, deadline=None)
@given(amounts, rates, terms)
def test_in_exact_arithmetic_the_annuity_ends_exactly_at_its_term(balance, rate, term):
    debt = loan(str(balance), str(rate), term)
    schedule = full_schedule(debt, rounding=Rounding.EXACT)
    assert schedule.complete and len(schedule.rows) == term
    assert all(r.payment == schedule.rows[0].payment for r in schedule.rows)
    assert schedule.rows[-1].balance == 0
    # Rounded to the cent, the EMI is that exact payment rounded up.
    emi = annuity_payment(int(balance * 100), Fraction(rate) / 1200, term, Rounding.MINOR_UNIT)
    assert D(emi) / 100 == schedule.rows[0].payment.quantize(D("0.01"), rounding=ROUND_CEILING)
