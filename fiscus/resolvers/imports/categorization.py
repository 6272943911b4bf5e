"""Categorization queries and mutations: rules (CRUD, reorder, preview, apply), learned
suggestions (suggest, accept, categorize by hand, retrain), recurring series and spending
segments. Reading needs ``LEDGER_READ``, changing ``LEDGER_WRITE``."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import strawberry
from strawberry.types import Info

from fiscus.domain.categorization import Rule
from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.identity import Permission
from fiscus.domain.imports.records import CategorySource
from fiscus.resolvers.imports import ids
from fiscus.schema import categorization as types
from fiscus.schema.bank_lines import BankLine
from fiscus.schema.errors import attempt
from fiscus.schema.permissions import requires
from fiscus.schema.relay import to_global_id
from fiscus.services.categorization import insights, rules, suggestions
from fiscus.services.imports import queries

READ = [requires(Permission.LEDGER_READ)]
WRITE = [requires(Permission.LEDGER_WRITE)]


def _rules(found: Sequence[Rule]) -> list[types.CategorizationRule]:
    return [types.CategorizationRule.from_domain(r) for r in found]


@strawberry.type
class CategorizationQuery:
    @strawberry.field(description="The organization's rules, in order.", permission_classes=READ)
    async def categorization_rules(self, info: Info) -> list[types.CategorizationRule]:
        principal = await info.context.require_principal()
        return _rules(await rules.rules(info.context.categorization, principal))

    @strawberry.field(
        description="Which of the newest lines a rule (saved: `ruleId`, or as given: `rule`) "
        "would match. Changes nothing.",
        permission_classes=READ,
    )
    async def preview_rule(
        self, info: Info, rule_id: strawberry.ID | None = None, rule: types.RuleInput | None = None
    ) -> types.PreviewRuleResult:
        principal = await info.context.require_principal()

        async def run() -> types.RulePreview:
            if (rule_id is None) == (rule is None):
                raise ValidationFailed(
                    [FieldIssue("ruleId", "REQUIRED", "Give a ruleId or a rule.")]
                )
            preview = await rules.preview_rule(
                info.context.categorization,
                principal,
                rule_id=ids.of(rule_id, "CategorizationRule", "ruleId") if rule_id else None,
                spec=ids.rule_spec(rule) if rule else None,
            )
            return types.RulePreview(
                scanned=preview.scanned,
                matched=preview.matched,
                lines=[BankLine.from_domain(line) for line in preview.lines],
            )

        return await attempt(run)

    @strawberry.field(
        description="The learned model's category for each line, with its confidence.",
        permission_classes=READ,
    )
    async def suggest_categories(
        self, info: Info, line_ids: list[strawberry.ID]
    ) -> list[types.CategorySuggestion]:
        principal = await info.context.require_principal()
        try:
            found = await suggestions.suggest(
                info.context.categorization, principal, ids.line_ids(line_ids)
            )
        except ValidationFailed as failure:
            from graphql import GraphQLError

            raise GraphQLError(
                failure.message, extensions={"code": "BAD_USER_INPUT", "argument": "lineIds"}
            ) from None
        return [
            types.CategorySuggestion(
                line_id=raw,
                account_id=to_global_id("Account", s.account_id) if s.account_id else None,
                confidence=s.confidence,
            )
            for raw, s in zip(line_ids, found, strict=True)
        ]

    @strawberry.field(
        description="How the suggestion model measured (null: not trained).",
        permission_classes=READ,
    )
    async def categorization_model(self, info: Info) -> types.CategorizationModel | None:
        principal = await info.context.require_principal()
        found = await suggestions.model_info(info.context.categorization, principal)
        if found is None:
            return None
        return types.CategorizationModel(
            trained_at=found.trained_at,
            labels=found.labels,
            held_out=found.held_out,
            accuracy=found.accuracy,
            classes=found.classes,
            training_seconds=found.training_seconds,
        )

    @strawberry.field(
        description="Subscriptions, bills and income that recur, with their next date.",
        permission_classes=READ,
    )
    async def recurring_transactions(
        self, info: Info, account_id: strawberry.ID | None = None
    ) -> list[types.RecurringTransaction]:
        principal = await info.context.require_principal()
        found = await insights.recurring(
            info.context.categorization,
            principal,
            account_id=ids.account(account_id) if account_id else None,
        )
        return [types.RecurringTransaction.from_domain(s) for s in found]

    @strawberry.field(
        description="Payees grouped into named spending segments over the last months.",
        permission_classes=READ,
    )
    async def spending_clusters(self, info: Info, months: int = 12) -> list[types.SpendingSegment]:
        principal = await info.context.require_principal()
        found = await insights.segments(info.context.categorization, principal, months=months)
        return [types.SpendingSegment.from_domain(s) for s in found]


@strawberry.type
class CategorizationMutation:
    @strawberry.mutation(description="Adds a rule after the others.", permission_classes=WRITE)
    async def create_categorization_rule(
        self, info: Info, input: types.RuleInput
    ) -> types.CategorizationRuleResult:
        principal = await info.context.require_principal()

        async def run() -> types.CategorizationRuleSuccess:
            created = await rules.create_rule(
                info.context.categorization, principal, ids.rule_spec(input)
            )
            return types.CategorizationRuleSuccess(
                rule=types.CategorizationRule.from_domain(created)
            )

        return await attempt(run)

    @strawberry.mutation(permission_classes=WRITE)
    async def update_categorization_rule(
        self, info: Info, input: types.UpdateCategorizationRuleInput
    ) -> types.CategorizationRuleResult:
        principal = await info.context.require_principal()

        async def run() -> types.CategorizationRuleSuccess:
            updated = await rules.update_rule(
                info.context.categorization,
                principal,
                ids.of(input.rule_id, "CategorizationRule", "ruleId"),
                ids.rule_spec(input.rule),
            )
            return types.CategorizationRuleSuccess(
                rule=types.CategorizationRule.from_domain(updated)
            )

        return await attempt(run)

    @strawberry.mutation(permission_classes=WRITE)
    async def delete_categorization_rule(
        self, info: Info, input: types.RuleIdInput
    ) -> types.DeleteCategorizationRuleResult:
        principal = await info.context.require_principal()

        async def run() -> types.DeleteCategorizationRuleSuccess:
            gone = await rules.delete_rule(
                info.context.categorization,
                principal,
                ids.of(input.rule_id, "CategorizationRule", "ruleId"),
            )
            return types.DeleteCategorizationRuleSuccess(
                deleted_rule_id=to_global_id("CategorizationRule", gone)
            )

        return await attempt(run)

    @strawberry.mutation(permission_classes=WRITE)
    async def reorder_categorization_rules(
        self, info: Info, input: types.ReorderCategorizationRulesInput
    ) -> types.CategorizationRulesResult:
        principal = await info.context.require_principal()

        async def run() -> types.CategorizationRulesSuccess:
            ordered = [
                ids.of(r, "CategorizationRule", f"ruleIds[{i}]")
                for i, r in enumerate(input.rule_ids)
            ]
            found = await rules.reorder_rules(info.context.categorization, principal, ordered)
            return types.CategorizationRulesSuccess(rules=_rules(found))

        return await attempt(run)

    @strawberry.mutation(
        description="Runs the rules again over lines whose entries are drafts (one account's, "
        "the lines given, or all); categories set by hand or accepted stay.",
        permission_classes=WRITE,
    )
    async def apply_categorization_rules(
        self, info: Info, input: types.ApplyCategorizationRulesInput
    ) -> types.ApplyCategorizationRulesResult:
        principal = await info.context.require_principal()

        async def run() -> types.ApplyCategorizationRulesSuccess:
            applied = await rules.apply_rules(
                info.context.categorization,
                principal,
                account_id=ids.account(input.account_id) if input.account_id else None,
                line_ids=ids.line_ids(input.line_ids) if input.line_ids is not None else None,
            )
            return types.ApplyCategorizationRulesSuccess(
                scanned=applied.scanned, changed=applied.changed
            )

        return await attempt(run)

    @strawberry.mutation(
        description="Takes each line's suggested category (a label for the next training).",
        permission_classes=WRITE,
    )
    async def accept_suggestion(
        self, info: Info, input: types.LineIdsInput
    ) -> types.CategorizeLinesResult:
        return await _categorize(info, input.line_ids, None, CategorySource.ACCEPTED)

    @strawberry.mutation(
        description="Sets the lines' category by hand (a label for the next training).",
        permission_classes=WRITE,
    )
    async def categorize_lines(
        self, info: Info, input: types.CategorizeLinesInput
    ) -> types.CategorizeLinesResult:
        return await _categorize(
            info,
            input.line_ids,
            ids.account(input.account_id),
            CategorySource.MANUAL,
        )

    @strawberry.mutation(
        description="Queues a retraining of the suggestion model on the labelled lines.",
        permission_classes=WRITE,
    )
    async def train_categorizer(self, info: Info) -> types.TrainCategorizerResult:
        principal = await info.context.require_principal()

        async def run() -> types.TrainCategorizerSuccess:
            await suggestions.queue_training(info.context.categorization, principal)
            return types.TrainCategorizerSuccess(queued=True)

        return await attempt(run)


async def _categorize(
    info: Info, raw_ids: list[strawberry.ID], account_id: UUID | None, source: CategorySource
) -> types.CategorizeLinesResult:
    principal = await info.context.require_principal()

    async def run() -> types.CategorizeLinesSuccess:
        changed = await suggestions.set_category(
            info.context.categorization,
            principal,
            ids.line_ids(raw_ids),
            account_id=account_id,
            source=source,
        )
        # Read after the write: not through the request's (older) read snapshot.
        found = await queries.lines_by_ids(info.context.imports_context, principal, changed)
        return types.CategorizeLinesSuccess(
            lines=[BankLine.from_domain(found[i]) for i in changed if i in found]
        )

    return await attempt(run)
