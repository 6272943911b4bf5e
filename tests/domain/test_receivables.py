"""The receivables rules without a database: buckets, allocation planning, the open amount
on a day and ``settled_from``, the statement's running balance."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fiscus.domain.errors import ValidationFailed
from fiscus.domain.receivables import (
    AgingBucket,
    Allocation,
    Credit,
    Movement,
    OpenAmount,
    OpenItem,
    Requested,
    StatementLineKind,
    age,
    bucket_of,
    build_statement,
    check_amount,
    open_on,
    plan_auto,
    plan_explicit,
    settled_from,
)

D = date(2026, 1, 1)
ORG = uuid.uuid4()


def test_buckets_by_days_past_due():
    assert [bucket_of(n) for n in (-5, 0, 1, 30, 31, 60, 61, 90, 91, 400)] == [
        AgingBucket.CURRENT,
        AgingBucket.CURRENT,
        AgingBucket.DAYS_1_30,
        AgingBucket.DAYS_1_30,
        AgingBucket.DAYS_31_60,
        AgingBucket.DAYS_31_60,
        AgingBucket.DAYS_61_90,
        AgingBucket.DAYS_61_90,
        AgingBucket.OVER_90,
        AgingBucket.OVER_90,
    ]


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=-30, max_value=200),
            st.integers(min_value=1, max_value=10**6),
            st.sampled_from(["a", "b", None]),
        ),
        max_size=30,
    )
)
def test_aging_buckets_sum_to_the_total_open_amount(items):
    as_of = date(2026, 6, 30)
    opens = [
        OpenAmount(i, group, as_of - timedelta(days=days), Decimal(cents) / 100)
        for i, (days, cents, group) in enumerate(items)
    ]
    rows, total = age(opens, as_of)
    assert total.total == sum((o.amount for o in opens), Decimal(0))
    assert sum((r.figures.total for r in rows), Decimal(0)) == total.total
    assert total.charges == len(opens)


def test_auto_plan_takes_oldest_credit_against_oldest_due_first():
    c1, c2, c3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    p1, p2 = uuid.uuid4(), uuid.uuid4()
    items = [
        OpenItem(c2, date(2026, 2, 1), date(2026, 2, 1), Decimal(100)),
        OpenItem(c1, date(2026, 1, 1), date(2026, 1, 1), Decimal(100)),
        OpenItem(c3, date(2026, 3, 1), date(2026, 3, 1), Decimal(100)),
    ]
    credits = [
        Credit(p2, date(2026, 2, 15), Decimal(150)),
        Credit(p1, date(2026, 1, 15), Decimal(30)),
    ]
    planned = plan_auto(credits, items)
    assert [(p.payment_id, p.charge_id, p.amount, p.allocated_on) for p in planned] == [
        (p1, c1, Decimal(30), date(2026, 1, 15)),
        (p2, c1, Decimal(70), date(2026, 2, 15)),
        (p2, c2, Decimal(80), date(2026, 2, 15)),
    ]


def test_explicit_plan_names_every_bad_row():
    c1, c2 = uuid.uuid4(), uuid.uuid4()
    items = {c1: OpenItem(c1, D, D, Decimal(50)), c2: OpenItem(c2, D, D, Decimal(50))}
    credit = Credit(uuid.uuid4(), D, Decimal(60))
    with pytest.raises(ValidationFailed) as failure:
        plan_explicit(
            credit,
            [
                Requested(c1, Decimal(51)),
                Requested(uuid.uuid4(), Decimal(1)),
                Requested(c2, Decimal(40)),
                Requested(c2, Decimal(1)),
            ],
            items,
        )
    assert [(i.field, i.code) for i in failure.value.issues] == [
        ("allocations[0].amount", "OVER_ALLOCATED"),
        ("allocations[1].chargeId", "NOT_FOUND"),
        ("allocations[3].chargeId", "INVALID"),
    ]
    with pytest.raises(ValidationFailed) as too_much:
        plan_explicit(credit, [Requested(c1, Decimal(50)), Requested(c2, Decimal(20))], items)
    assert too_much.value.issues[0].field == "allocations[1].amount"


def _allocation(amount: str, on: date, voided: date | None = None) -> Allocation:
    return Allocation(
        uuid.uuid4(),
        ORG,
        uuid.uuid4(),
        uuid.uuid4(),
        uuid.uuid4(),
        Decimal(amount),
        on,
        uuid.uuid4(),
        voided,
    )


def test_open_amount_on_a_day_and_settled_from():
    paid = _allocation("100", date(2026, 1, 10), voided=date(2026, 1, 20))
    again = _allocation("100", date(2026, 1, 25))
    allocations = [paid, again]
    assert open_on(Decimal(100), D, None, allocations, date(2025, 12, 31)) == 0
    assert open_on(Decimal(100), D, None, allocations, date(2026, 1, 9)) == 100
    assert open_on(Decimal(100), D, None, allocations, date(2026, 1, 10)) == 0
    assert open_on(Decimal(100), D, None, allocations, date(2026, 1, 20)) == 100
    assert open_on(Decimal(100), D, None, allocations, date(2026, 1, 25)) == 0
    # Settled for good only from the second allocation on.
    assert settled_from(Decimal(100), D, None, allocations) == date(2026, 1, 25)
    assert settled_from(Decimal(100), D, None, [paid]) is None
    # A void settles it from the void day (or earlier if settled before and never reopened).
    assert settled_from(Decimal(100), D, date(2026, 2, 1), [paid]) == date(2026, 2, 1)
    assert settled_from(Decimal(100), D, date(2026, 2, 1), [again]) == date(2026, 1, 25)


def test_amounts_keep_the_currency_minor_units():
    assert str(check_amount(Decimal("12.5"), "USD")) == "12.5000"
    with pytest.raises(ValidationFailed):
        check_amount(Decimal("12.505"), "USD")
    with pytest.raises(ValidationFailed):
        check_amount(Decimal("1.5"), "JPY")
    with pytest.raises(ValidationFailed):
        check_amount(Decimal("0"), "USD")


def test_statement_running_balance_with_voids():
    ids = [uuid.uuid4() for _ in range(4)]
    statement = build_statement(
        D,
        date(2026, 1, 31),
        "USD",
        Decimal(50),
        [
            Movement(date(2026, 1, 5), StatementLineKind.PAYMENT, ids[1], "p", None, Decimal(80)),
            Movement(
                date(2026, 1, 1), StatementLineKind.CHARGE, ids[0], "rent", None, Decimal(100)
            ),
            Movement(
                date(2026, 1, 20), StatementLineKind.PAYMENT_VOID, ids[1], "v", None, Decimal(80)
            ),
            Movement(
                date(2026, 1, 20), StatementLineKind.CHARGE_VOID, ids[0], "v", None, Decimal(100)
            ),
        ],
    )
    assert [line.balance for line in statement.lines] == [150, 70, 150, 50]
    assert statement.closing == 50
    assert statement.total_charged == 0 and statement.total_paid == 0
