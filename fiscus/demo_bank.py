"""The demo household's bank import: a few categorization rules, three months of its
checking account's statement (Chase's CSV layout) imported as drafts waiting for review,
the suggestion model trained on what the rules categorized, and the latest month imported
after it, so its unmatched lines carry learned suggestions."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from fiscus.domain.identity import Principal
    from fiscus.runtime import Runtime

STATEMENT_DAYS = 120
LINES = 420

# (name, payee regex, category code)
RULES = (
    ("Groceries", r"WHOLE FOODS|TRADER JOE|SAFEWAY|KROGER|FARMERS MARKET", "5100"),
    ("Coffee and eating out", r"COFFEE|STARBUCKS|PIZZERIA|DOORDASH", "5400"),
    ("Rent", r"OAKWOOD", "5010"),
    ("Utilities", r"CITY LIGHT|COMCAST", "5020"),
    ("Payroll", r"PAYROLL", "4000"),
    ("Fuel and rides", r"SHELL|CHEVRON|UBER|LYFT|CLIPPER", "5200"),
)


async def seed_bank_import(runtime: Runtime, owner: Principal, today: date) -> UUID:
    """Answers the latest import's id."""
    from fiscus.domain.categorization import (
        RuleActions,
        RuleConditions,
        TextCondition,
        TextField,
        TextOperator,
    )
    from fiscus.domain.imports.samples import chase_checking_csv, sample_lines
    from fiscus.services.categorization import rules, suggestions
    from fiscus.services.categorization.rules import RuleSpec
    from fiscus.services.imports import running, statements
    from fiscus.services.ledger import queries

    chart = {a.code: a.id for a in await queries.accounts(runtime.ledger, owner)}
    for name, pattern, code in RULES:
        await rules.create_rule(
            runtime.categorization,
            owner,
            RuleSpec(
                name,
                RuleConditions(
                    text=(TextCondition(TextField.DESCRIPTION, TextOperator.REGEX, pattern),)
                ),
                RuleActions(chart[code]),
            ),
        )
    lines = [
        line
        for line in sample_lines(today - timedelta(days=STATEMENT_DAYS), LINES, seed=2026)
        if line.date <= today
    ]
    split = next(
        (i for i, line in enumerate(lines) if line.date > today - timedelta(days=30)), len(lines)
    )
    imported: UUID | None = None
    for part, name in ((lines[:split], "chase-earlier.csv"), (lines[split:], "chase-latest.csv")):
        if not part:
            continue
        started = await statements.start_import(
            runtime.imports,
            owner,
            account_id=chart["1010"],
            upload=statements.Upload(chase_checking_csv(part, opening=Decimal("3200")), name),
            enqueue=False,
        )
        done = await running.run_import(runtime.imports, owner.org_id, started.id)
        imported = done.id
        if name == "chase-earlier.csv":
            await suggestions.train_model(runtime.categorization, owner.org_id, owner.user_id)
    assert imported is not None
    return imported
