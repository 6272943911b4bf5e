"""Statements from the books' figures: the invariants (the sheet balances, both cash flows
reconcile, the trial balance sums to zero) on random books, and the formulas on small
known ones."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fiscus.domain.errors import ValidationFailed
from fiscus.domain.ledger.accounts import Account, AccountType
from fiscus.domain.ledger.statements import (
    Comparison,
    CurrencySum,
    Figures,
    Interval,
    Period,
    StatementIntegrityError,
    balance_sheet,
    cash_account_ids,
    compare,
    direct_cash_flow,
    figures_from_sums,
    income_statement,
    indirect_cash_flow,
    label,
    shifted,
    split_periods,
    trial_balance,
)

ORG = uuid.uuid4()


def account(
    code: str,
    kind: AccountType,
    *,
    parent: Account | None = None,
    tags: dict[str, str] | None = None,
    currency: str = "USD",
) -> Account:
    return Account(
        id=uuid.uuid4(),
        org_id=ORG,
        code=code,
        name=f"Account {code}",
        type=kind,
        currency=currency,
        parent_id=parent.id if parent else None,
        archived=False,
        tags=tags or {},
    )


@dataclass
class Entry:
    day: date
    lines: list[tuple[Account, Decimal]]


def figures_of(
    accounts: Sequence[Account], entries: Sequence[Entry], columns: tuple[Period, ...]
) -> tuple[Figures, dict[UUID, tuple[Decimal, ...]]]:
    """A reference computation, line by line: figures and the direct method's counterpart
    flows."""
    sums: list[CurrencySum] = []
    cash = cash_account_ids(list(accounts))
    flows: dict[UUID, list[Decimal]] = {}

    def column_of(day: date) -> int | None:
        if day < columns[0].start:
            return -1
        for index, period in enumerate(columns):
            if period.start <= day <= period.end:
                return index
        return None

    for entry in entries:
        column = column_of(entry.day)
        if column is None:
            continue
        touches_cash = any(a.id in cash for a, _ in entry.lines)
        for acct, amount in entry.lines:
            sums.append(CurrencySum(acct.id, "USD", column, amount))
            if column >= 0 and touches_cash and acct.id not in cash:
                row = flows.setdefault(acct.id, [Decimal(0)] * len(columns))
                row[column] -= amount
    figures = figures_from_sums(accounts, columns, sums, "USD")
    return figures, {k: tuple(v) for k, v in flows.items()}


def household() -> dict[str, Account]:
    assets = account("1000", AccountType.ASSET)
    bank = account("1100", AccountType.ASSET, parent=assets, tags={"cash": "true"})
    car = account("1500", AccountType.ASSET, parent=assets, tags={"cashflow": "investing"})
    depreciation = account("1590", AccountType.ASSET, parent=assets, tags={"cashflow": "noncash"})
    loan = account("2100", AccountType.LIABILITY, tags={"cashflow": "financing"})
    card = account("2200", AccountType.LIABILITY)
    opening = account("3000", AccountType.EQUITY)
    salary = account("4000", AccountType.INCOME)
    food = account("5100", AccountType.EXPENSE)
    dep_expense = account("5900", AccountType.EXPENSE)
    return {
        "assets": assets,
        "bank": bank,
        "car": car,
        "depreciation": depreciation,
        "loan": loan,
        "card": card,
        "opening": opening,
        "salary": salary,
        "food": food,
        "dep_expense": dep_expense,
    }


def d(value: str) -> Decimal:
    return Decimal(value)


def known_books() -> tuple[dict[str, Account], list[Entry]]:
    a = household()
    entries = [
        Entry(date(2023, 12, 31), [(a["bank"], d("1000")), (a["opening"], d("-1000"))]),
        Entry(date(2024, 1, 5), [(a["bank"], d("3000")), (a["salary"], d("-3000"))]),
        Entry(date(2024, 1, 9), [(a["food"], d("200")), (a["card"], d("-200"))]),
        Entry(
            date(2024, 1, 20),
            [(a["car"], d("5000")), (a["bank"], d("-1000")), (a["loan"], d("-4000"))],
        ),
        Entry(date(2024, 2, 5), [(a["bank"], d("3000")), (a["salary"], d("-3000"))]),
        Entry(date(2024, 2, 10), [(a["card"], d("200")), (a["bank"], d("-200"))]),
        Entry(date(2024, 2, 28), [(a["dep_expense"], d("100")), (a["depreciation"], d("-100"))]),
        Entry(date(2024, 2, 28), [(a["food"], d("150")), (a["bank"], d("-150"))]),
    ]
    return a, entries


def test_known_books_statements() -> None:
    a, entries = known_books()
    columns = split_periods(date(2024, 1, 1), date(2024, 2, 29), Interval.MONTH)
    figures, flows = figures_of(list(a.values()), entries, columns)

    pnl = income_statement(figures)
    assert pnl.line("total_income").amounts == (d("3000"), d("3000"))
    assert pnl.line("total_expense").amounts == (d("200"), d("250"))
    assert pnl.line("net_income").amounts == (d("2800"), d("2750"))

    sheet = balance_sheet(figures)
    # Assets roll up: the parent line carries bank + car + accumulated depreciation.
    assets = sheet.line(f"account:{a['assets'].id}")
    assert assets.amounts == (d("8000"), d("10550"))
    assert sheet.line("total_asset").amounts == assets.amounts
    assert sheet.line("total_liability").amounts == (d("4200"), d("4000"))
    assert sheet.line("earnings").amounts == (d("2800"), d("5550"))
    assert sheet.line("total_liabilities_and_equity").amounts == (d("8000"), d("10550"))

    tb = trial_balance(figures)
    assert tb.line("total_debits").amounts == tb.line("total_credits").amounts

    indirect = indirect_cash_flow(figures)
    assert indirect.line("net_change_in_cash").amounts == (d("2000"), d("2650"))
    assert indirect.line("total_investing").amounts == (d("-5000"), d("0"))
    assert indirect.line("total_financing").amounts == (d("4000"), d("0"))
    # Operating: net income + depreciation added back + card change.
    assert indirect.line("total_operating").amounts == (d("3000"), d("2650"))
    assert indirect.line("cash_at_start").amounts == (d("1000"), d("3000"))
    assert indirect.line("cash_at_end").amounts == (d("3000"), d("5650"))

    direct = direct_cash_flow(figures, flows)
    assert direct.line("total_operating").amounts == (d("3000"), d("2650"))
    assert direct.line("total_investing").amounts == (d("-5000"), d("0"))
    assert direct.line("total_financing").amounts == (d("4000"), d("0"))


def test_unbalanced_books_raise_an_integrity_error() -> None:
    a, entries = known_books()
    entries.append(Entry(date(2024, 1, 3), [(a["bank"], d("5"))]))
    columns = split_periods(date(2024, 1, 1), date(2024, 1, 31), Interval.MONTH)
    figures, flows = figures_of(list(a.values()), entries, columns)
    for build in (trial_balance, balance_sheet, indirect_cash_flow):
        with pytest.raises(StatementIntegrityError):
            build(figures)
    with pytest.raises(StatementIntegrityError):
        direct_cash_flow(figures, flows)


def test_comparison_carries_the_previous_columns_and_deltas() -> None:
    a, entries = known_books()
    columns = split_periods(date(2024, 2, 1), date(2024, 2, 29), Interval.MONTH)
    previous = shifted(columns, Comparison.PREVIOUS_PERIOD, Interval.MONTH)
    assert previous == (Period(date(2024, 1, 1), date(2024, 1, 31)),)
    now = income_statement(figures_of(list(a.values()), entries, columns)[0])
    before = income_statement(figures_of(list(a.values()), entries, previous)[0])
    compared = compare(now, before)
    net = compared.line("net_income")
    assert net.compared == (d("2800"),)
    assert net.deltas == (d("-50"),)
    assert compared.compared_columns == previous


def test_periods_split_at_calendar_boundaries() -> None:
    months = split_periods(date(2024, 1, 15), date(2024, 3, 10), Interval.MONTH)
    assert months == (
        Period(date(2024, 1, 15), date(2024, 1, 31)),
        Period(date(2024, 2, 1), date(2024, 2, 29)),
        Period(date(2024, 3, 1), date(2024, 3, 10)),
    )
    assert [label(p, Interval.MONTH) for p in months][1] == "2024-02"
    quarters = split_periods(date(2024, 1, 1), date(2024, 12, 31), Interval.QUARTER)
    assert [label(p, Interval.QUARTER) for p in quarters] == [
        "2024-Q1",
        "2024-Q2",
        "2024-Q3",
        "2024-Q4",
    ]
    last_year = shifted(quarters, Comparison.SAME_PERIOD_LAST_YEAR, Interval.QUARTER)
    assert last_year[0] == Period(date(2023, 1, 1), date(2023, 3, 31))
    assert split_periods(date(2020, 3, 1), date(2024, 2, 29), Interval.YEAR)[-1] == Period(
        date(2024, 1, 1), date(2024, 2, 29)
    )
    with pytest.raises(ValidationFailed):
        split_periods(date(2024, 2, 1), date(2024, 1, 1), Interval.MONTH)
    with pytest.raises(ValidationFailed):
        split_periods(date(2000, 1, 1), date(2024, 1, 1), Interval.MONTH)


def test_foreign_lines_convert_at_their_rate_and_are_refused_without_one() -> None:
    a = household()
    columns = (Period(date(2024, 1, 1), date(2024, 1, 31)),)
    sums = [
        CurrencySum(a["bank"].id, "EUR", 0, d("100"), converted=d("110")),
        CurrencySum(a["salary"].id, "USD", 0, d("-110")),
    ]
    figures = figures_from_sums(list(a.values()), columns, sums, "USD")
    assert income_statement(figures).line("net_income").amounts == (d("110"),)
    with pytest.raises(ValidationFailed) as refused:
        figures_from_sums(
            list(a.values()), columns, [CurrencySum(a["bank"].id, "EUR", 0, d("1"))], "USD"
        )
    assert refused.value.field == "currency"


# -- random books ---------------------------------------------------------------------------

_TYPES = list(AccountType)


@st.composite
def books(draw: st.DrawFn) -> tuple[list[Account], list[Entry], tuple[Period, ...], Interval]:
    accounts: list[Account] = [
        account("1000", AccountType.ASSET, tags={"cash": "yes"}),
    ]
    for index in range(draw(st.integers(3, 12))):
        kind = draw(st.sampled_from(_TYPES))
        same = [x for x in accounts if x.type is kind]
        parent = draw(st.sampled_from([None, *same])) if same else None
        tags: dict[str, str] = {}
        if kind is AccountType.ASSET and draw(st.booleans()):
            tags["cash"] = "true"
        if draw(st.booleans()):
            tags["cashflow"] = draw(
                st.sampled_from(["operating", "investing", "financing", "noncash"])
            )
        accounts.append(account(f"{2000 + index}", kind, parent=parent, tags=tags))
    amounts = st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000"), places=2)
    entries = []
    start = date(2023, 1, 1)
    for _ in range(draw(st.integers(0, 30))):
        day = start + timedelta(days=draw(st.integers(0, 730)))
        picked = draw(st.lists(st.sampled_from(accounts), min_size=1, max_size=4))
        values = [draw(amounts) for _ in picked]
        balancing = draw(st.sampled_from(accounts))
        lines = [*zip(picked, values, strict=True), (balancing, -sum(values, Decimal(0)))]
        entries.append(Entry(day, lines))
    interval = draw(st.sampled_from(list(Interval)))
    first = start + timedelta(days=draw(st.integers(0, 400)))
    last = first + timedelta(days=draw(st.integers(0, 330)))
    return accounts, entries, split_periods(first, last, interval), interval


@settings(max_examples=200, deadline=None)
@given(books())
def test_random_books_balance_and_reconcile(
    book: tuple[list[Account], list[Entry], tuple[Period, ...], Interval],
) -> None:
    accounts, entries, columns, _ = book
    figures, flows = figures_of(accounts, entries, columns)
    # Each builder asserts its own invariant; check them again from the outside.
    tb = trial_balance(figures)
    assert tb.line("total_debits").amounts == tb.line("total_credits").amounts
    sheet = balance_sheet(figures)
    assert sheet.line("total_asset").amounts == sheet.line("total_liabilities_and_equity").amounts
    cash = cash_account_ids(accounts)
    change = tuple(
        sum((figures.movement(a, c) for a in cash), Decimal(0)) for c in range(len(columns))
    )
    for statement in (indirect_cash_flow(figures), direct_cash_flow(figures, flows)):
        operating = (
            statement.line("total_operating").amounts
            if _has(statement, "total_operating")
            else (Decimal(0),) * len(columns)
        )
        assert statement.line("net_change_in_cash").amounts == change
        assert all(isinstance(x, Decimal) for x in operating)
    pnl = income_statement(figures)
    assert pnl.line("net_income").amounts == tuple(
        sheet.line("earnings").amounts[c]
        - (
            sheet.line("earnings").amounts[c - 1]
            if c
            else -sum(
                (
                    figures.opening.get(a.id, Decimal(0))
                    for a in accounts
                    if a.type in (AccountType.INCOME, AccountType.EXPENSE)
                ),
                Decimal(0),
            )
        )
        for c in range(len(columns))
    )


def _has(statement: object, key: str) -> bool:
    try:
        statement.line(key)  # type: ignore[attr-defined]
    except KeyError:
        return False
    return True
