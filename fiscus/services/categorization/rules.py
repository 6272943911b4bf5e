"""An organization's categorization rules: create, change, delete, reorder (first match
wins), preview on existing lines, apply to lines whose entries are still drafts. Every
change is audit-logged."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from uuid import UUID

from fiscus.domain.categorization import Rule, RuleActions, RuleBook, RuleConditions, check_rule
from fiscus.domain.categorization.categorize import apply_rule
from fiscus.domain.categorization.rules import MAX_RULES, actions_to_json, conditions_to_json
from fiscus.domain.errors import FieldIssue, NotFound, ValidationFailed
from fiscus.domain.imports.records import BankLine, CategorySource
from fiscus.domain.ledger import Account
from fiscus.persistence.models.categorization import CategorizationRuleRow
from fiscus.persistence.reads.imports import LineFactsRecord, rule_of
from fiscus.persistence.repositories.imports import CategoryChange
from fiscus.services.categorization.accounts import ensure_uncategorized
from fiscus.services.categorization.context import Acting, CategorizationContext
from fiscus.services.categorization.suggestions import maybe_retrain
from fiscus.services.identity import audit

PREVIEW_SCANNED = 20_000
PREVIEW_SHOWN = 50
APPLY_LINES = 100_000
APPLY_CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class RuleSpec:
    name: str
    conditions: RuleConditions
    actions: RuleActions
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Preview:
    scanned: int
    matched: int
    lines: list[BankLine]
    """The newest matching lines (at most ``PREVIEW_SHOWN``)."""


@dataclass(frozen=True, slots=True)
class Applied:
    scanned: int
    changed: int


async def _check(ctx: CategorizationContext, acting: Acting, spec: RuleSpec) -> str:
    name = check_rule(spec.name, spec.conditions, spec.actions)
    wanted = list(spec.conditions.account_ids)
    if spec.actions.category_account_id:
        wanted.append(spec.actions.category_account_id)
    async with ctx.reading(acting.org_id, acting.user_id) as reads:
        chart = {a.id: a for a in await reads.ledger.accounts_by_ids(wanted)}
    issues: list[FieldIssue] = []
    for i, account_id in enumerate(sorted(spec.conditions.account_ids, key=str)):
        if account_id not in chart:
            issues.append(
                FieldIssue(f"conditions.accountIds[{i}]", "NOT_FOUND", "No such account.")
            )
    category = spec.actions.category_account_id
    if category is not None:
        found: Account | None = chart.get(category)
        if found is None:
            issues.append(FieldIssue("actions.categoryAccountId", "NOT_FOUND", "No such account."))
        elif found.archived:
            issues.append(
                FieldIssue(
                    "actions.categoryAccountId",
                    "ACCOUNT_ARCHIVED",
                    f"Account {found.code} is archived and takes no postings.",
                )
            )
    if issues:
        raise ValidationFailed(issues)
    return name


def _row(
    acting: Acting, rule_id: UUID, name: str, position: int, spec: RuleSpec, at: object
) -> CategorizationRuleRow:
    return CategorizationRuleRow(
        org_id=acting.org_id,
        id=rule_id,
        name=name,
        position=position,
        enabled=spec.enabled,
        conditions=conditions_to_json(spec.conditions),
        actions=actions_to_json(spec.actions),
        created_at=at,
    )


def _domain(row: CategorizationRuleRow) -> Rule:
    return rule_of(
        {
            "id": row.id,
            "name": row.name,
            "position": row.position,
            "enabled": row.enabled,
            "conditions": row.conditions,
            "actions": row.actions,
        }
    )


async def create_rule(ctx: CategorizationContext, acting: Acting, spec: RuleSpec) -> Rule:
    """Appends the rule after the others (``reorderCategorizationRules`` moves it)."""
    name = await _check(ctx, acting, spec)
    now = ctx.clock()
    async with ctx.unit(org_id=acting.org_id, user_id=acting.user_id) as uow:
        await uow.categorization.lock_rules()
        existing = await uow.categorization.rules()
        if len(existing) >= MAX_RULES:
            raise ValidationFailed(
                [FieldIssue(None, "INVALID", f"An organization keeps at most {MAX_RULES} rules.")]
            )
        row = await uow.categorization.add_rule(
            _row(acting, uuid.uuid4(), name, await uow.categorization.next_position(), spec, now)
        )
        await audit.record(
            uow,
            org_id=acting.org_id,
            actor_user_id=acting.user_id,
            action="categorization.rule_created",
            subject_type="categorization_rule",
            subject_id=row.id,
            at=now,
            details={"name": name, "position": row.position},
        )
        await uow.commit()
    return _domain(row)


async def update_rule(
    ctx: CategorizationContext, acting: Acting, rule_id: UUID, spec: RuleSpec
) -> Rule:
    name = await _check(ctx, acting, spec)
    now = ctx.clock()
    async with ctx.unit(org_id=acting.org_id, user_id=acting.user_id) as uow:
        await uow.categorization.lock_rules()
        row = await uow.categorization.rule(rule_id)
        if row is None:
            raise NotFound("No such rule.", field="ruleId")
        row.name = name
        row.enabled = spec.enabled
        row.conditions = conditions_to_json(spec.conditions)
        row.actions = actions_to_json(spec.actions)
        row.updated_at = now
        await uow.flush()
        await audit.record(
            uow,
            org_id=acting.org_id,
            actor_user_id=acting.user_id,
            action="categorization.rule_updated",
            subject_type="categorization_rule",
            subject_id=row.id,
            at=now,
            details={"name": name, "enabled": spec.enabled},
        )
        await uow.commit()
    return _domain(row)


async def delete_rule(ctx: CategorizationContext, acting: Acting, rule_id: UUID) -> UUID:
    """Lines it categorized keep their category (apply the rules again to revisit them)."""
    now = ctx.clock()
    async with ctx.unit(org_id=acting.org_id, user_id=acting.user_id) as uow:
        await uow.categorization.lock_rules()
        row = await uow.categorization.rule(rule_id)
        if row is None:
            raise NotFound("No such rule.", field="ruleId")
        await uow.categorization.delete_rule(rule_id)
        await audit.record(
            uow,
            org_id=acting.org_id,
            actor_user_id=acting.user_id,
            action="categorization.rule_deleted",
            subject_type="categorization_rule",
            subject_id=rule_id,
            at=now,
            details={"name": row.name},
        )
        await uow.commit()
    return rule_id


async def reorder_rules(
    ctx: CategorizationContext, acting: Acting, ordered: Sequence[UUID]
) -> list[Rule]:
    """``ordered`` names every rule of the organization once: its new order."""
    now = ctx.clock()
    async with ctx.unit(org_id=acting.org_id, user_id=acting.user_id) as uow:
        await uow.categorization.lock_rules()
        existing = {row.id: row for row in await uow.categorization.rules()}
        issues = [
            FieldIssue(f"ruleIds[{i}]", "NOT_FOUND", "No such rule.")
            for i, rule_id in enumerate(ordered)
            if rule_id not in existing
        ]
        if not issues and (len(set(ordered)) != len(ordered) or set(ordered) != set(existing)):
            issues.append(
                FieldIssue("ruleIds", "INVALID", "Name every rule of the organization once.")
            )
        if issues:
            raise ValidationFailed(issues)
        await uow.categorization.reorder(ordered, now)
        await audit.record(
            uow,
            org_id=acting.org_id,
            actor_user_id=acting.user_id,
            action="categorization.rules_reordered",
            subject_type="organization",
            subject_id=acting.org_id,
            at=now,
            details={"rules": [str(r) for r in ordered]},
        )
        await uow.commit()
    return sorted((_domain(r) for r in existing.values()), key=lambda r: (r.position, str(r.id)))


async def rules(ctx: CategorizationContext, acting: Acting) -> list[Rule]:
    async with ctx.reading(acting.org_id, acting.user_id) as reads:
        return await reads.imports.rules()


async def preview_rule(
    ctx: CategorizationContext,
    acting: Acting,
    *,
    rule_id: UUID | None = None,
    spec: RuleSpec | None = None,
) -> Preview:
    """Which of the newest ``PREVIEW_SCANNED`` lines the rule (saved, or as given) would
    match, whatever their state; nothing changes."""
    rule: Rule | None = None
    if spec is not None:
        name = await _check(ctx, acting, spec)
        rule = Rule(uuid.uuid4(), name, 0, True, spec.conditions, spec.actions)
    async with ctx.reading(acting.org_id, acting.user_id) as reads:
        if rule is None:
            rule = next((r for r in await reads.imports.rules() if r.id == rule_id), None)
        if rule is None:
            raise NotFound("No such rule.", field="ruleId")
        facts = await reads.imports.recent_facts(limit=PREVIEW_SCANNED)
    book = RuleBook([replace(rule, enabled=True)])
    hits = await asyncio.to_thread(book.matches, rule.id, [f.facts for f in facts])
    matched = [f.id for f, hit in zip(facts, hits, strict=True) if hit]
    async with ctx.reading(acting.org_id, acting.user_id) as reads:
        shown = await reads.imports.lines_by_ids(matched[:PREVIEW_SHOWN])
    order = {line_id: i for i, line_id in enumerate(matched)}
    shown.sort(key=lambda line: order[line.id])
    return Preview(len(facts), len(matched), shown)


def _changes(
    records: Sequence[LineFactsRecord],
    book: RuleBook,
    uncategorized: dict[str, UUID],
    chart: dict[UUID, Account],
) -> list[CategoryChange]:
    changes: list[CategoryChange] = []
    for record in records:
        if record.category_source in (CategorySource.MANUAL, CategorySource.ACCEPTED):
            continue  # a person decided these

        def usable(rule: Rule, currency: str = record.currency) -> bool:
            category = rule.actions.category_account_id
            found = chart.get(category) if category else None
            return category is None or (
                found is not None and not found.archived and found.currency == currency
            )

        rule = book.first_match(record.facts, usable)
        if rule is not None and rule.actions.category_account_id is not None:
            outcome = apply_rule(rule, record.facts)
            if (
                record.category_source is CategorySource.RULE
                and record.category_account_id == outcome.category_account_id
            ):
                continue
            changes.append(
                CategoryChange(
                    record.id,
                    rule.actions.category_account_id,
                    CategorySource.RULE.value,
                    rule.id,
                    rule.actions.payee,
                    outcome.counterparty,
                    outcome.dimensions,
                    outcome.tags,
                )
            )
        elif record.category_source is CategorySource.RULE:
            changes.append(
                CategoryChange(
                    record.id, uncategorized[record.currency], CategorySource.UNCATEGORIZED.value
                )
            )
    return changes


async def apply_rules(
    ctx: CategorizationContext,
    acting: Acting,
    *,
    account_id: UUID | None = None,
    line_ids: Sequence[UUID] | None = None,
) -> Applied:
    """Runs the rules again over lines whose entries are drafts (of one account, or the
    lines named): a matching rule sets the category; a line a rule categorized that no rule
    matches any more goes back to Uncategorized; categories set by hand or accepted stay."""
    async with ctx.reading(acting.org_id, acting.user_id) as reads:
        if account_id is not None and not await reads.ledger.accounts_by_ids([account_id]):
            raise NotFound("No such account.", field="accountId")
        records = await reads.imports.unposted_facts(
            account_id=account_id, ids=line_ids, limit=APPLY_LINES
        )
        rules_found = await reads.imports.rules()
        chart = {a.id: a for a in await reads.ledger.accounts()}
    book = RuleBook(rules_found)
    uncategorized = {
        currency: await ensure_uncategorized(ctx, acting, currency)
        for currency in sorted({r.currency for r in records})
    }
    changes = await asyncio.to_thread(_changes, records, book, uncategorized, chart)
    now = ctx.clock()
    async with ctx.unit(org_id=acting.org_id, user_id=acting.user_id) as uow:
        for start in range(0, len(changes), APPLY_CHUNK):
            await uow.imports.recategorize(changes[start : start + APPLY_CHUNK])
        await audit.record(
            uow,
            org_id=acting.org_id,
            actor_user_id=acting.user_id,
            action="categorization.rules_applied",
            subject_type="organization",
            subject_id=acting.org_id,
            at=now,
            details={"scanned": len(records), "changed": len(changes)},
        )
        await maybe_retrain(ctx, uow, acting.org_id)
        await uow.commit()
    return Applied(len(records), len(changes))
