"""GraphQL types of categorization: rules (conditions and actions), rule previews,
suggestions and the model behind them, recurring series and spending segments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from fiscus.domain import categorization as domain
from fiscus.domain.categorization.recurring import RecurringSeries
from fiscus.domain.categorization.segments import PayeeProfile
from fiscus.domain.categorization.segments import SpendingSegment as DomainSegment
from fiscus.schema.bank_lines import BankLine
from fiscus.schema.errors import ConflictError, NotFoundError, RuleViolationError, ValidationError
from fiscus.schema.ledger import Account, Tag, TagInput
from fiscus.schema.relay import Node, parse_global_id, to_global_id

strawberry.enum(domain.TextField, name="RuleTextField")
strawberry.enum(domain.TextOperator, name="RuleTextOperator")
strawberry.enum(domain.Direction, name="AmountDirection")


async def _account(info: Info, raw_id: strawberry.ID | None) -> Account | None:
    key = parse_global_id(raw_id, "Account", field="accountId") if raw_id else None
    found = await info.context.loaders.ledger_accounts.load(key) if key else None
    return Account.from_domain(found) if found else None


@strawberry.type
class TextCondition:
    field: domain.TextField
    operator: domain.TextOperator
    value: str


@strawberry.type
class AmountCondition:
    min: Decimal | None
    max: Decimal | None
    direction: domain.Direction | None


@strawberry.type
class DateCondition:
    from_: date | None = strawberry.field(name="from")
    to: date | None
    days_of_month: list[int] | None
    weekdays: list[int]


@strawberry.type
class RuleConditions:
    text: list[TextCondition]
    amount: AmountCondition | None
    account_ids: list[strawberry.ID]
    date: DateCondition | None


@strawberry.type
class RuleActions:
    category_account_id: strawberry.ID | None
    payee: str | None
    counterparty: str | None
    dimension: Tag | None
    tags: list[str]

    @strawberry.field
    async def category(self, info: Info) -> Account | None:
        return await _account(info, self.category_account_id)


@strawberry.type(description="Ordered: the first enabled rule whose conditions all hold wins.")
class CategorizationRule(Node):
    id: strawberry.ID
    name: str
    position: int
    enabled: bool
    conditions: RuleConditions
    actions: RuleActions

    @classmethod
    def from_domain(cls, rule: domain.Rule) -> CategorizationRule:
        c, a = rule.conditions, rule.actions
        return cls(
            id=to_global_id("CategorizationRule", rule.id),
            name=rule.name,
            position=rule.position,
            enabled=rule.enabled,
            conditions=RuleConditions(
                text=[
                    TextCondition(field=t.field, operator=t.operator, value=t.value) for t in c.text
                ],
                amount=AmountCondition(
                    min=c.amount.min, max=c.amount.max, direction=c.amount.direction
                )
                if c.amount
                else None,
                account_ids=[to_global_id("Account", x) for x in sorted(c.account_ids, key=str)],
                date=DateCondition(
                    from_=c.date.from_date,
                    to=c.date.to_date,
                    days_of_month=list(c.date.days_of_month) if c.date.days_of_month else None,
                    weekdays=sorted(c.date.weekdays),
                )
                if c.date
                else None,
            ),
            actions=RuleActions(
                category_account_id=to_global_id("Account", a.category_account_id)
                if a.category_account_id
                else None,
                payee=a.payee,
                counterparty=a.counterparty,
                dimension=Tag(key=a.dimension[0], value=a.dimension[1]) if a.dimension else None,
                tags=list(a.tags),
            ),
        )


@strawberry.input
class TextConditionInput:
    field: domain.TextField = domain.TextField.DESCRIPTION
    operator: domain.TextOperator = domain.TextOperator.CONTAINS
    value: str


@strawberry.input
class AmountConditionInput:
    min: Decimal | None = strawberry.field(default=None, description="On the amount's size.")
    max: Decimal | None = None
    direction: domain.Direction | None = None


@strawberry.input
class DateConditionInput:
    from_: date | None = strawberry.field(default=None, name="from")
    to: date | None = None
    days_of_month: list[int] | None = strawberry.field(
        default=None, description="[low, high], inclusive."
    )
    weekdays: list[int] | None = strawberry.field(default=None, description="0 = Monday.")


@strawberry.input
class RuleConditionsInput:
    text: list[TextConditionInput] | None = None
    amount: AmountConditionInput | None = None
    account_ids: list[strawberry.ID] | None = None
    date: DateConditionInput | None = None


@strawberry.input
class RuleActionsInput:
    category_account_id: strawberry.ID | None = None
    payee: str | None = None
    counterparty: str | None = None
    dimension: TagInput | None = None
    tags: list[str] | None = None


@strawberry.input
class RuleInput:
    name: str
    enabled: bool = True
    conditions: RuleConditionsInput
    actions: RuleActionsInput


@strawberry.input
class UpdateCategorizationRuleInput:
    rule_id: strawberry.ID
    rule: RuleInput


@strawberry.input
class RuleIdInput:
    rule_id: strawberry.ID


@strawberry.input
class ReorderCategorizationRulesInput:
    rule_ids: list[strawberry.ID] = strawberry.field(description="Every rule, in its new order.")


@strawberry.input
class ApplyCategorizationRulesInput:
    account_id: strawberry.ID | None = None
    line_ids: list[strawberry.ID] | None = None


@strawberry.input
class LineIdsInput:
    line_ids: list[strawberry.ID]


@strawberry.input
class CategorizeLinesInput:
    line_ids: list[strawberry.ID]
    account_id: strawberry.ID


@strawberry.type
class RulePreview:
    scanned: int = strawberry.field(description="The newest lines looked at.")
    matched: int
    lines: list[BankLine] = strawberry.field(description="The newest matching lines.")


@strawberry.type
class CategorySuggestion:
    line_id: strawberry.ID
    account_id: strawberry.ID | None
    confidence: float | None

    @strawberry.field
    async def account(self, info: Info) -> Account | None:
        return await _account(info, self.account_id)


@strawberry.type(description="The organization's learned model, as it measured itself.")
class CategorizationModel:
    trained_at: datetime
    labels: int
    held_out: int
    accuracy: float | None = strawberry.field(
        description="Share of the held-out (newest) labelled lines it categorized right."
    )
    classes: int
    training_seconds: float


@strawberry.type
class RecurringTransaction:
    payee: str
    account_id: strawberry.ID
    kind: str = strawberry.field(description="subscription, bill or income")
    period: str
    occurrences: int
    typical_amount: Decimal
    last_date: date
    last_amount: Decimal
    next_date: date
    next_amount: Decimal
    regularity: float
    active: bool
    category_account_id: strawberry.ID | None

    @classmethod
    def from_domain(cls, s: RecurringSeries) -> RecurringTransaction:
        return cls(
            payee=s.payee,
            account_id=to_global_id("Account", s.account_id),
            kind=s.kind,
            period=s.period,
            occurrences=s.occurrences,
            typical_amount=s.typical_amount,
            last_date=s.last_date,
            last_amount=s.last_amount,
            next_date=s.next_date,
            next_amount=s.next_amount,
            regularity=s.regularity,
            active=s.active,
            category_account_id=to_global_id("Account", s.category_account_id)
            if s.category_account_id
            else None,
        )

    @strawberry.field
    async def account(self, info: Info) -> Account | None:
        return await _account(info, self.account_id)

    @strawberry.field
    async def category(self, info: Info) -> Account | None:
        return await _account(info, self.category_account_id)


@strawberry.type
class SegmentPayee:
    payee: str
    lines: int
    total: Decimal
    average: Decimal
    per_month: float
    variation: float
    weekend_share: float

    @classmethod
    def from_domain(cls, p: PayeeProfile) -> SegmentPayee:
        return cls(
            payee=p.payee,
            lines=p.lines,
            total=p.total,
            average=p.average,
            per_month=p.per_month,
            variation=p.variation,
            weekend_share=p.weekend_share,
        )


@strawberry.type(description="Payees grouped by how money goes to them (k-means).")
class SpendingSegment:
    name: str
    description: str
    lines: int
    total: Decimal = strawberry.field(description="Money out, as a positive amount.")
    average: Decimal
    per_month: float
    weekend_share: float
    payees: list[SegmentPayee]

    @classmethod
    def from_domain(cls, s: DomainSegment) -> SpendingSegment:
        return cls(
            name=s.name,
            description=s.description,
            lines=s.lines,
            total=s.total,
            average=s.average,
            per_month=s.per_month,
            weekend_share=s.weekend_share,
            payees=[SegmentPayee.from_domain(p) for p in s.payees],
        )


@strawberry.type
class CategorizationRuleSuccess:
    rule: CategorizationRule


@strawberry.type
class CategorizationRulesSuccess:
    rules: list[CategorizationRule]


@strawberry.type
class DeleteCategorizationRuleSuccess:
    deleted_rule_id: strawberry.ID


@strawberry.type
class ApplyCategorizationRulesSuccess:
    scanned: int
    changed: int


@strawberry.type
class CategorizeLinesSuccess:
    lines: list[BankLine]


@strawberry.type
class TrainCategorizerSuccess:
    queued: bool


def _union(name: str, success: Any) -> Any:
    return Annotated[
        success | ValidationError | NotFoundError | RuleViolationError | ConflictError,
        strawberry.union(name),
    ]


CategorizationRuleResult = _union("CategorizationRuleResult", CategorizationRuleSuccess)
CategorizationRulesResult = _union("CategorizationRulesResult", CategorizationRulesSuccess)
DeleteCategorizationRuleResult = _union(
    "DeleteCategorizationRuleResult", DeleteCategorizationRuleSuccess
)
ApplyCategorizationRulesResult = _union(
    "ApplyCategorizationRulesResult", ApplyCategorizationRulesSuccess
)
CategorizeLinesResult = _union("CategorizeLinesResult", CategorizeLinesSuccess)
TrainCategorizerResult = _union("TrainCategorizerResult", TrainCategorizerSuccess)
PreviewRuleResult = _union("PreviewRuleResult", RulePreview)
