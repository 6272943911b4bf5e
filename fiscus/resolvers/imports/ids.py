"""Global ids of import and categorization inputs. A malformed id, or one naming another
type, becomes the nil UUID, which nothing has: the service then answers NOT_FOUND, exactly
as for another organization's id."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from fiscus.domain import categorization as domain
from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.schema import categorization as types
from fiscus.schema.relay import parse_global_id
from fiscus.services.categorization.rules import RuleSpec

NIL = UUID(int=0)


def of(raw: str, type_name: str, field: str) -> UUID:
    return parse_global_id(raw, type_name, field=field) or NIL


def account(raw: str, field: str = "accountId") -> UUID:
    return of(raw, "Account", field)


def line_ids(raw: Sequence[str]) -> list[UUID]:
    return [of(r, "BankLine", f"lineIds[{i}]") for i, r in enumerate(raw)]


def rule_spec(raw: types.RuleInput) -> RuleSpec:
    c, a = raw.conditions, raw.actions
    when = c.date
    days = None
    if when is not None and when.days_of_month is not None:
        if len(when.days_of_month) != 2:
            raise ValidationFailed(
                [
                    FieldIssue(
                        "conditions.date.daysOfMonth", "INVALID", "Give [low, high]: two days."
                    )
                ]
            )
        days = (when.days_of_month[0], when.days_of_month[1])
    return RuleSpec(
        name=raw.name,
        enabled=raw.enabled,
        conditions=domain.RuleConditions(
            text=tuple(domain.TextCondition(t.field, t.operator, t.value) for t in c.text or []),
            amount=domain.AmountCondition(c.amount.min, c.amount.max, c.amount.direction)
            if c.amount
            else None,
            account_ids=frozenset(
                account(x, f"conditions.accountIds[{i}]") for i, x in enumerate(c.account_ids or [])
            ),
            date=domain.DateCondition(when.from_, when.to, days, frozenset(when.weekdays or []))
            if when
            else None,
        ),
        actions=domain.RuleActions(
            category_account_id=account(a.category_account_id, "actions.categoryAccountId")
            if a.category_account_id
            else None,
            payee=a.payee,
            counterparty=a.counterparty,
            dimension=(a.dimension.key, a.dimension.value) if a.dimension else None,
            tags=tuple(a.tags or ()),
        ),
    )
