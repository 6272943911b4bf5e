"""Rules, learned suggestions, recurring series and segments through the service layer,
against the real database."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import asyncpg
import pytest

from fiscus.domain.categorization import (
    AmountCondition,
    Direction,
    RuleActions,
    RuleConditions,
    TextCondition,
    TextField,
    TextOperator,
)
from fiscus.domain.errors import ValidationFailed
from fiscus.domain.imports.records import CategorySource
from fiscus.domain.imports.samples import chase_checking_csv, sample_lines
from fiscus.services.categorization import insights, rules, suggestions
from fiscus.services.categorization.rules import RuleSpec
from tests.conftest import _plain
from tests.services.imports_fixtures import fixture, household, import_bytes


@pytest.fixture
async def owner(database_url: str):
    connection = await asyncpg.connect(_plain(database_url))
    yield connection
    await connection.close()


def contains(text: str, field: TextField = TextField.PAYEE) -> RuleConditions:
    return RuleConditions(text=(TextCondition(field, TextOperator.CONTAINS, text),))


async def categories(owner, org_id) -> dict[str, tuple[str, str]]:
    rows = await owner.fetch(
        "SELECT b.payee, a.code, b.category_source FROM bank_lines b "
        "JOIN ledger_accounts a ON a.id = b.category_account_id WHERE b.org_id = $1",
        org_id,
    )
    return {r["payee"]: (r["code"], r["category_source"]) for r in rows}


async def test_rules_categorize_imported_lines_first_match_wins(runtime, owner):
    h = await household(runtime)
    ctx, p = runtime.categorization, h.principal
    await rules.create_rule(
        ctx,
        p,
        RuleSpec(
            "Payroll",
            contains("PAYROLL", TextField.DESCRIPTION),
            RuleActions(category_account_id=h.codes["4000"], tags=("income",)),
        ),
    )
    coffee = await rules.create_rule(
        ctx, p, RuleSpec("Coffee", contains("coffee"), RuleActions(h.codes["5400"]))
    )
    big = await rules.create_rule(
        ctx,
        p,
        RuleSpec(
            "Big spending",
            RuleConditions(amount=AmountCondition(min=Decimal(50), direction=Direction.OUTFLOW)),
            RuleActions(h.codes["5900"], payee="Something big"),
        ),
    )
    await import_bytes(runtime, p, h.codes["1010"], fixture("chase_checking.csv"))
    found = await categories(owner, p.org_id)
    assert found["Acme Corp Payroll"] == ("4000", "rule")
    assert found["Blue Bottle Coffee"] == ("5400", "rule")
    assert found["Something big"] == ("5900", "rule")  # the check of 100.00, renamed
    assert found["Starbucks"] == ("UNCAT-USD", "uncategorized")
    tags = await owner.fetchval(
        "SELECT tags FROM bank_lines WHERE org_id = $1 AND payee = 'Acme Corp Payroll'", p.org_id
    )
    assert tags == ["income"]
    # Moving "Big spending" first: the coffee rule no longer decides anything it matches.
    ordered = await rules.reorder_rules(
        ctx,
        p,
        [
            big.id,
            coffee.id,
            *[r.id for r in await rules.rules(ctx, p) if r.id not in (big.id, coffee.id)],
        ],
    )
    assert [r.name for r in ordered] == ["Big spending", "Coffee", "Payroll"]


async def test_rules_apply_to_unposted_lines_and_leave_decisions_of_people_alone(runtime, owner):
    h = await household(runtime)
    ctx, p = runtime.categorization, h.principal
    await import_bytes(runtime, p, h.codes["1010"], fixture("chase_checking.csv"))
    starbucks = await owner.fetchval(
        "SELECT id FROM bank_lines WHERE org_id = $1 AND payee = 'Starbucks'", p.org_id
    )
    await suggestions.set_category(
        ctx, p, [starbucks], account_id=h.codes["5100"], source=CategorySource.MANUAL
    )
    await rules.create_rule(
        ctx,
        p,
        RuleSpec(
            "Coffee shops",
            RuleConditions(
                text=(
                    TextCondition(TextField.DESCRIPTION, TextOperator.REGEX, r"COFFEE|STARBUCKS"),
                )
            ),
            RuleActions(h.codes["5400"], dimension=("shop", "cafe")),
        ),
    )
    preview = await rules.preview_rule(
        ctx,
        p,
        spec=RuleSpec(
            "x",
            RuleConditions(
                text=(
                    TextCondition(TextField.DESCRIPTION, TextOperator.REGEX, r"COFFEE|STARBUCKS"),
                )
            ),
            RuleActions(h.codes["5400"]),
        ),
    )
    assert (preview.scanned, preview.matched) == (7, 3)
    assert {line.payee for line in preview.lines} == {"Blue Bottle Coffee", "Starbucks"}
    applied = await rules.apply_rules(ctx, p)
    assert (applied.scanned, applied.changed) == (7, 2)  # the two coffees; Starbucks stays
    found = await categories(owner, p.org_id)
    assert found["Blue Bottle Coffee"] == ("5400", "rule")
    assert found["Starbucks"] == ("5100", "manual")
    draft = json.loads(
        await owner.fetchval(
            "SELECT e.draft_lines FROM journal_entries e JOIN bank_lines b ON b.entry_id = e.id "
            "WHERE b.org_id = $1 AND b.payee = 'Blue Bottle Coffee' LIMIT 1",
            p.org_id,
        )
    )
    assert draft[1]["account_id"] == str(h.codes["5400"])
    assert draft[1]["dimensions"] == {"shop": "cafe"}
    # Applying again changes nothing.
    assert (await rules.apply_rules(ctx, p)).changed == 0


async def test_rule_inputs_naming_another_organizations_accounts_are_refused(runtime):
    h = await household(runtime)
    with pytest.raises(ValidationFailed) as failure:
        await rules.create_rule(
            runtime.categorization,
            h.principal,
            RuleSpec(
                "Theirs",
                RuleConditions(
                    text=(TextCondition(TextField.PAYEE, TextOperator.CONTAINS, "x"),),
                    account_ids=frozenset({h.other_codes["1010"]}),
                ),
                RuleActions(h.other_codes["5100"]),
            ),
        )
    assert {(i.field, i.code) for i in failure.value.issues} == {
        ("conditions.accountIds[0]", "NOT_FOUND"),
        ("actions.categoryAccountId", "NOT_FOUND"),
    }
    assert await rules.rules(runtime.categorization, h.principal) == []


async def test_suggestions_learn_from_labels_and_categorize_the_next_import(runtime, owner):
    h = await household(runtime)
    ctx, p = runtime.categorization, h.principal
    history = sample_lines(date(2025, 1, 1), 800, seed=11)
    await import_bytes(runtime, p, h.codes["1010"], chase_checking_csv(history[:600]))
    truth = {line.description: line.category for line in history}
    rows = await owner.fetch("SELECT id, description FROM bank_lines WHERE org_id = $1", p.org_id)
    by_category: dict[str, list] = defaultdict(list)
    for row in rows:
        by_category[truth[row["description"]]].append(row["id"])
    for code, line_ids in by_category.items():
        for start in range(0, len(line_ids), 100):
            await suggestions.set_category(
                ctx,
                p,
                line_ids[start : start + 100],
                account_id=h.codes[code],
                source=CategorySource.MANUAL,
            )
    trained = await suggestions.train_model(ctx, p.org_id, p.user_id)
    assert trained is not None and trained.labels == 600 and trained.held_out == 120
    assert trained.accuracy is not None and trained.accuracy >= 0.85
    info = await suggestions.model_info(ctx, p)
    assert info is not None and info.accuracy == pytest.approx(trained.accuracy, abs=1e-4)

    later = await import_bytes(runtime, p, h.codes["1010"], chase_checking_csv(history[600:]))
    assert later.created == 200
    new = await owner.fetch(
        "SELECT b.id, b.description, b.category_source, a.code FROM bank_lines b "
        "JOIN ledger_accounts a ON a.id = b.category_account_id "
        "WHERE b.import_id = $1",
        later.id,
    )
    suggested = [r for r in new if r["category_source"] == "suggestion"]
    assert len(suggested) >= 150
    right = sum(1 for r in suggested if r["code"] == truth[r["description"]])
    assert right / len(suggested) >= 0.85
    answers = await suggestions.suggest(ctx, p, [r["id"] for r in new[:5]])
    assert all(a.account_id is not None and a.confidence for a in answers)
    accepted = await suggestions.set_category(
        ctx, p, [suggested[0]["id"]], account_id=None, source=CategorySource.ACCEPTED
    )
    assert accepted == [suggested[0]["id"]]
    assert (
        await owner.fetchval("SELECT category_source FROM bank_lines WHERE id = $1", accepted[0])
        == "accepted"
    )
    # Another organization has no model, and never gets this one.
    assert await suggestions.model_for(ctx, h.other.org_id, h.other.user_id) is None
    foreign = await suggestions.suggest(ctx, h.other, [r["id"] for r in new[:3]])
    assert all(a.account_id is None for a in foreign)


async def test_recurring_series_and_spending_segments_of_imported_lines(runtime):
    h = await household(runtime)
    today = date(2026, 9, 30)
    history = sample_lines(today - timedelta(days=330), 900, seed=5)
    history = [line for line in history if line.date <= today]
    await import_bytes(runtime, h.principal, h.codes["1010"], chase_checking_csv(history))
    series = await insights.recurring(runtime.categorization, h.principal, today=today)
    by_payee = {s.payee: s for s in series}
    assert by_payee["Netflix.com"].kind == "subscription"
    assert by_payee["Netflix.com"].period == "monthly"
    assert by_payee["Netflix.com"].next_date == date(2026, 10, 12)
    assert by_payee["Acme Corp Payroll"].kind == "income"
    assert by_payee["City Light Utility Web Pmt"].kind == "bill"
    segments = await insights.segments(runtime.categorization, h.principal, today=today)
    assert 2 <= len(segments) <= 5
    assert any(s.name.startswith("Fixed bills") for s in segments)
    # Another organization sees none of it.
    assert await insights.recurring(runtime.categorization, h.other, today=today) == []
