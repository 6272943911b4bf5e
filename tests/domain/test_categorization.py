"""Cleansing and categorization, pure: merchant normalization, rules (first match wins,
linear-time regular expressions), learned suggestions (accuracy on held-out lines, arrays
only), recurring series and spending segments."""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from fiscus.domain.categorization import (
    AmountCondition,
    DateCondition,
    Direction,
    LineFacts,
    Rule,
    RuleActions,
    RuleBook,
    RuleConditions,
    TextCondition,
    TextField,
    TextOperator,
    check_rule,
    clean_payee,
)
from fiscus.domain.categorization.categorize import categorize
from fiscus.domain.categorization.recurring import RecurringInput, detect_recurring
from fiscus.domain.categorization.segments import SegmentInput, spending_segments
from fiscus.domain.categorization.suggestions import Labelled, SuggestionModel, train
from fiscus.domain.errors import ValidationFailed
from fiscus.domain.imports.records import CategorySource
from fiscus.domain.imports.samples import sample_lines

ACCOUNT = uuid.uuid4()
GROCERIES, COFFEE, SALARY = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("SQ *BLUE BOTTLE COFFEE 09/28", "Blue Bottle Coffee"),
        ("TST* PIZZERIA NAPOLI 0923", "Pizzeria Napoli"),
        ("PAYPAL *SPOTIFY 4029357733 CA", "Spotify"),
        ("STARBUCKS STORE 12345 SEATTLE WA", "Starbucks"),
        ("COSTCO WHSE #0001 ISSAQUAH WA", "Costco"),
        ("WHOLEFDS MKT #10234", "Whole Foods Market"),
        (
            "ORIG CO NAME:ACME CORP PAYROLL ORIG ID:9876543210 DESC DATE:260928 "
            "CO ENTRY DESCR:PAYROLL SEC:PPD",
            "Acme Corp Payroll",
        ),
        ("ACME CORP PAYROLL  PPD ID: 9876543210", "Acme Corp Payroll"),
        ("PURCHASE AUTHORIZED ON 09/15 SHELL OIL 57444 SEATTLE WA", "Shell Oil"),
        ("CHECKCARD 0915 NETFLIX.COM", "Netflix.com"),
        ("AMZN Mktp US*2K4LM0X12", "Amazon"),
        ("GOOGLE *YouTube Premium", "YouTube Premium"),
        ("CHECK 1001", "Check 1001"),
        ("TRADER JOE'S #552", "Trader Joe's"),
        ("Payment Thank You-Mobile", "Payment Thank You-Mobile"),
    ],
)
def test_merchant_normalization(raw, clean):
    assert clean_payee(raw) == clean


def rule(name, position, *, conditions, actions, enabled=True) -> Rule:
    return Rule(uuid.uuid4(), name, position, enabled, conditions, actions)


def facts(description, amount, day=date(2026, 9, 15), account=ACCOUNT) -> LineFacts:
    return LineFacts(description, clean_payee(description), Decimal(amount), account, day)


def test_rules_are_ordered_and_the_first_match_wins():
    coffee = rule(
        "Coffee",
        1,
        conditions=RuleConditions(
            text=(TextCondition(TextField.PAYEE, TextOperator.CONTAINS, "coffee"),)
        ),
        actions=RuleActions(category_account_id=COFFEE, tags=("caffeine",)),
    )
    big = rule(
        "Big outflows",
        0,
        conditions=RuleConditions(
            amount=AmountCondition(min=Decimal("100"), direction=Direction.OUTFLOW)
        ),
        actions=RuleActions(category_account_id=GROCERIES),
    )
    disabled = rule(
        "Everything",
        -1,
        enabled=False,
        conditions=RuleConditions(
            text=(TextCondition(TextField.DESCRIPTION, TextOperator.REGEX, "."),)
        ),
        actions=RuleActions(category_account_id=SALARY),
    )
    book = RuleBook([coffee, big, disabled])
    assert book.first_match(facts("SQ *BLUE BOTTLE COFFEE 09/28", "-4.50")) is coffee
    assert book.first_match(facts("SQ *BLUE BOTTLE COFFEE 09/28", "-150")) is big
    assert book.first_match(facts("SQ *BLUE BOTTLE COFFEE 09/28", "150")) is coffee  # inflow
    assert book.first_match(facts("NETFLIX.COM", "-15.49")) is None


def test_date_account_and_equality_conditions():
    other = uuid.uuid4()
    rent = rule(
        "Rent",
        0,
        conditions=RuleConditions(
            text=(TextCondition(TextField.PAYEE, TextOperator.EQUALS, "OAKWOOD PROPERTY"),),
            account_ids=frozenset({ACCOUNT}),
            date=DateCondition(days_of_month=(1, 5), weekdays=frozenset(range(7))),
        ),
        actions=RuleActions(payee="Landlord"),
    )
    book = RuleBook([rent])
    assert book.first_match(facts("OAKWOOD PROPERTY", "-1850", date(2026, 9, 1))) is rent
    assert book.first_match(facts("OAKWOOD PROPERTY", "-1850", date(2026, 9, 9))) is None
    assert book.first_match(facts("OAKWOOD PROPERTY", "-1850", account=other)) is None
    assert book.first_match(facts("OAKWOOD PROPERTY MGMT", "-1850", date(2026, 9, 1))) is None


def test_catastrophic_patterns_run_in_linear_time_and_backreferences_are_refused():
    evil = rule(
        "Evil",
        0,
        conditions=RuleConditions(
            text=(TextCondition(TextField.DESCRIPTION, TextOperator.REGEX, "(a+)+$"),)
        ),
        actions=RuleActions(category_account_id=COFFEE),
    )
    book = RuleBook([evil])
    started = time.perf_counter()
    assert book.first_match(facts("a" * 499 + "!", "-1")) is None
    assert time.perf_counter() - started < 0.5  # Python's re would take ages here
    for pattern, field in (("(a)\\1", "conditions.text[0].value"), ("x" * 201, None)):
        with pytest.raises(ValidationFailed) as failure:
            check_rule(
                "Bad",
                RuleConditions(
                    text=(TextCondition(TextField.DESCRIPTION, TextOperator.REGEX, pattern),)
                ),
                RuleActions(category_account_id=COFFEE),
            )
        assert failure.value.issues[0].field == "conditions.text[0].value"


def test_a_rule_needs_a_condition_and_an_action_and_sane_bounds():
    with pytest.raises(ValidationFailed) as failure:
        check_rule(
            " ",
            RuleConditions(amount=AmountCondition(min=Decimal(5), max=Decimal(1))),
            RuleActions(),
        )
    assert {i.field for i in failure.value.issues} == {
        "name",
        "conditions.amount.max",
        "actions",
    }


def test_categorize_rules_then_confident_suggestions_then_uncategorized():
    coffee = rule(
        "Coffee",
        0,
        conditions=RuleConditions(
            text=(TextCondition(TextField.PAYEE, TextOperator.CONTAINS, "coffee"),)
        ),
        actions=RuleActions(category_account_id=COFFEE),
    )

    class Fixed:
        def suggest(self, lines):
            return [(GROCERIES, 0.9) if "MKT" in f.description else (SALARY, 0.3) for f in lines]

    found = categorize(
        [
            facts("SQ *BLUE BOTTLE COFFEE", "-4"),
            facts("WHOLEFDS MKT #1", "-40"),
            facts("SOMETHING", "-9"),
        ],
        RuleBook([coffee]),
        Fixed(),
        usable=lambda _: True,
    )
    assert [(c.category_account_id, c.source) for c in found] == [
        (COFFEE, CategorySource.RULE),
        (GROCERIES, CategorySource.SUGGESTION),
        (None, CategorySource.UNCATEGORIZED),
    ]
    assert (found[2].suggested_account_id, found[2].confidence) == (SALARY, 0.3)
    # A rule whose category cannot take the line (another currency) is passed over.
    skipped = categorize(
        [facts("SQ *BLUE BOTTLE COFFEE", "-4")],
        RuleBook([coffee]),
        None,
        usable=lambda account: account != COFFEE,
    )
    assert skipped[0].source is CategorySource.UNCATEGORIZED


def labelled(count: int, seed: int = 7) -> list[Labelled]:
    codes: dict[str, uuid.UUID] = {}
    return [
        Labelled(
            LineFacts(
                line.description, clean_payee(line.description), line.amount, ACCOUNT, line.date
            ),
            codes.setdefault(line.category, uuid.UUID(int=int(line.category))),
        )
        for line in sample_lines(date(2025, 1, 1), count, seed=seed)
    ]


def test_suggestions_learn_from_labelled_lines_and_measure_on_the_newest():
    lines = labelled(3_000)
    model = train(lines)
    assert model is not None
    assert model.labels == 3_000 and model.held_out == 600
    assert model.accuracy is not None and model.accuracy >= 0.9
    loaded = SuggestionModel(model.blob)
    fresh = labelled(300, seed=99)
    answers = loaded.suggest([item.facts for item in fresh])
    right = sum(a is not None and a[0] == item.category for a, item in zip(answers, fresh))
    assert right / len(fresh) >= 0.9
    assert all(0 < a[1] <= 1 for a in answers if a)


def test_a_stored_model_is_plain_arrays_never_a_pickle():
    model = train(labelled(200))
    assert model is not None
    import io

    with np.load(io.BytesIO(model.blob), allow_pickle=False) as arrays:
        assert all(arrays[name].dtype != object for name in arrays.files)


def test_too_few_labels_train_nothing():
    assert train(labelled(10)) is None


def monthly(payee, amount, start, count, day=12):
    found = []
    year, month = start.year, start.month
    for _ in range(count):
        found.append(
            RecurringInput(uuid.uuid4(), ACCOUNT, payee, date(year, month, day), Decimal(amount))
        )
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def test_recurring_subscriptions_bills_and_income_with_the_next_date():
    lines = monthly("Netflix", "-15.49", date(2026, 1, 1), 8)
    lines += [
        RecurringInput(uuid.uuid4(), ACCOUNT, "City Light", date(2026, m, 4), Decimal(a))
        for m, a in ((1, "-80.10"), (2, "-95.40"), (3, "-70.00"), (4, "-88.80"), (5, "-101.00"))
    ]
    lines += [
        RecurringInput(
            uuid.uuid4(),
            ACCOUNT,
            "Acme Payroll",
            date(2026, 1, 2) + timedelta(days=14 * i),
            Decimal("3150"),
        )
        for i in range(10)
    ]
    lines += [  # daily coffee is a habit, not a schedule
        RecurringInput(
            uuid.uuid4(), ACCOUNT, "Coffee", date(2026, 1, 1) + timedelta(days=i), Decimal("-4")
        )
        for i in range(30)
    ]
    found = {s.payee: s for s in detect_recurring(lines, today=date(2026, 8, 20))}
    assert set(found) == {"Netflix", "City Light", "Acme Payroll"}
    netflix = found["Netflix"]
    assert (netflix.kind, netflix.period, netflix.next_date, netflix.next_amount) == (
        "subscription",
        "monthly",
        date(2026, 9, 12),
        Decimal("-15.49"),
    )
    assert found["City Light"].kind == "bill" and not found["City Light"].active
    assert (found["Acme Payroll"].kind, found["Acme Payroll"].period) == ("income", "biweekly")


def test_spending_segments_group_payees_by_behaviour_and_name_them():
    lines = [
        SegmentInput(clean_payee(line.description), line.date, line.amount)
        for line in sample_lines(date(2025, 1, 1), 2_000)
    ]
    segments = spending_segments(lines)
    assert 2 <= len(segments) <= 5
    names = [s.name for s in segments]
    assert len(set(names)) == len(names)
    payees = [p.payee for s in segments for p in s.payees]
    assert len(payees) == len(set(payees))  # each payee in one segment
    rent = next(s for s in segments if any(p.payee == "Oakwood Property Mgmt" for p in s.payees))
    assert rent.name.startswith("Fixed bills")
    assert sum(s.total for s in segments) == sum(-line.amount for line in lines if line.amount < 0)
