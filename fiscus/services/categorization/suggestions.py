"""Learned suggestions: training an organization's model (a job, off the event loop),
loading it (cached per organization), suggesting categories for lines, accepting a
suggestion or setting a category by hand (both are labels for the next training)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from fiscus.domain.categorization import LineFacts
from fiscus.domain.categorization.suggestions import (
    MIN_LABELS,
    MODEL_VERSION,
    Labelled,
    SuggestionModel,
    TrainedModel,
    train,
)
from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.imports.records import CategorySource
from fiscus.domain.ledger import Account
from fiscus.persistence.reads.imports import ModelRecord
from fiscus.persistence.repositories.imports import CategoryChange
from fiscus.persistence.uow import UnitOfWork
from fiscus.services.categorization.context import Acting, CategorizationContext
from fiscus.services.identity import audit

TRAIN_JOB = "train_categorizer"
MAX_LINES = 100


@dataclass(frozen=True, slots=True)
class Suggestion:
    line_id: UUID
    account_id: UUID | None
    confidence: float | None


@dataclass(frozen=True, slots=True)
class ModelInfo:
    trained_at: datetime
    labels: int
    held_out: int
    accuracy: float | None
    classes: int
    training_seconds: float


def train_job_id(org_id: UUID) -> str:
    """One training per organization queued at a time (arq drops a second enqueue)."""
    return f"train-categorizer:{org_id}"


async def model_for(
    ctx: CategorizationContext, org_id: UUID, user_id: UUID | None
) -> SuggestionModel | None:
    async with ctx.reading(org_id, user_id) as reads:
        meta = await reads.imports.model()
        if meta is None or meta.version != MODEL_VERSION:
            return None
        cached = ctx.models.get(org_id, meta.trained_at)
        if cached is not None:
            return cached
        stored = await reads.imports.model_blob()
    if stored is None:
        return None
    async with ctx.models.lock:
        cached = ctx.models.get(org_id, stored[0])
        if cached is None:
            cached = await asyncio.to_thread(SuggestionModel, stored[1])
            ctx.models.put(org_id, stored[0], cached)
    return cached


async def model_info(ctx: CategorizationContext, acting: Acting) -> ModelInfo | None:
    async with ctx.reading(acting.org_id, acting.user_id) as reads:
        meta: ModelRecord | None = await reads.imports.model()
    if meta is None:
        return None
    return ModelInfo(
        meta.trained_at,
        meta.labels,
        meta.held_out,
        float(meta.accuracy) if meta.accuracy is not None else None,
        meta.classes,
        float(meta.training_seconds),
    )


async def train_model(
    ctx: CategorizationContext, org_id: UUID, user_id: UUID | None = None
) -> TrainedModel | None:
    """Trains on the organization's labelled lines (newest first, up to the settings' cap)
    in a worker thread and stores the model; None when there is too little to learn."""
    limit = ctx.settings.imports.max_training_labels
    async with ctx.reading(org_id, user_id) as reads:
        labels = await reads.imports.labels(limit=limit)
    labelled = [Labelled(facts, category) for facts, category in labels]
    trained = await asyncio.to_thread(train, labelled)
    if trained is None:
        return None
    now = ctx.clock()
    async with ctx.unit(org_id=org_id, user_id=user_id) as uow:
        await uow.categorization.save_model(
            version=MODEL_VERSION,
            trained_at=now,
            labels=trained.labels,
            held_out=trained.held_out,
            accuracy=None if trained.accuracy is None else Decimal(f"{trained.accuracy:.4f}"),
            classes=trained.classes,
            model=trained.blob,
            seconds=Decimal(f"{trained.seconds:.3f}"),
        )
        await audit.record(
            uow,
            org_id=org_id,
            actor_user_id=user_id,
            action="categorization.model_trained",
            subject_type="organization",
            subject_id=org_id,
            at=now,
            details={
                "labels": trained.labels,
                "held_out": trained.held_out,
                "accuracy": trained.accuracy,
                "classes": trained.classes,
            },
        )
        await uow.commit()
    return trained


def request_training(uow: UnitOfWork, org_id: UUID) -> None:
    """Enqueue a retraining after the caller's commit (deduplicated per organization)."""
    uow.enqueue(TRAIN_JOB, job_id=train_job_id(org_id), org_id=str(org_id))


async def queue_training(ctx: CategorizationContext, acting: Acting) -> None:
    """A retraining, queued now (``trainCategorizer``); runs in the worker."""
    async with ctx.unit(org_id=acting.org_id, user_id=acting.user_id) as uow:
        request_training(uow, acting.org_id)
        await uow.commit()


async def labels_since_training(ctx: CategorizationContext, org_id: UUID) -> tuple[int, int]:
    """(labelled lines now, labelled lines the current model learned from)."""
    async with ctx.reading(org_id, None) as reads:
        meta = await reads.imports.model()
        count = await reads.imports.label_count()
    return count, meta.labels if meta else 0


async def maybe_retrain(ctx: CategorizationContext, uow: UnitOfWork, org_id: UUID) -> None:
    """Asks for a training once enough new labels arrived since the last one."""
    count, trained_on = await labels_since_training(ctx, org_id)
    if count >= MIN_LABELS and count - trained_on >= ctx.settings.imports.retrain_after_labels:
        request_training(uow, org_id)


async def suggest(
    ctx: CategorizationContext, acting: Acting, line_ids: Sequence[UUID]
) -> list[Suggestion]:
    """A suggestion per line (in the order asked); lines of other organizations, unknown
    ones and those no model can help with answer ``account_id=None``."""
    org_id, user_id = acting.org_id, acting.user_id
    if len(line_ids) > MAX_LINES:
        raise ValidationFailed(
            [FieldIssue("lineIds", "INVALID", f"At most {MAX_LINES} lines at a time.")]
        )
    async with ctx.reading(org_id, user_id) as reads:
        lines = {line.id: line for line in await reads.imports.lines_by_ids(list(line_ids))}
        accounts = {
            a.id: a
            for a in await reads.ledger.accounts_by_ids(
                list({line.account_id for line in lines.values()})
            )
        }
    model = await model_for(ctx, org_id, user_id)
    found = [lines[i] for i in line_ids if i in lines]
    answers: dict[UUID, tuple[UUID, float] | None] = {}
    if model is not None and found:
        facts = [LineFacts(f.description, f.payee, f.amount, f.account_id, f.date) for f in found]
        suggested = await asyncio.to_thread(model.suggest, facts)
        for item, answer in zip(found, suggested, strict=True):
            answers[item.id] = answer
    out = []
    for line_id in line_ids:
        answer = answers.get(line_id)
        known = lines.get(line_id)
        if answer is None or known is None or known.account_id not in accounts:
            out.append(Suggestion(line_id, None, None))
        else:
            out.append(Suggestion(line_id, answer[0], round(answer[1], 4)))
    return out


async def set_category(
    ctx: CategorizationContext,
    acting: Acting,
    line_ids: Sequence[UUID],
    *,
    account_id: UUID | None,
    source: CategorySource,
) -> list[UUID]:
    """Accept a suggestion (``account_id`` None: each line's own suggestion) or set a
    category by hand, on lines whose entries are still drafts. Every line is a label for the
    next training. Answers the lines changed."""
    org_id, user_id = acting.org_id, acting.user_id
    if not line_ids or len(line_ids) > MAX_LINES:
        raise ValidationFailed(
            [FieldIssue("lineIds", "INVALID", f"1-{MAX_LINES} lines at a time.")]
        )
    async with ctx.reading(org_id, user_id) as reads:
        lines = {line.id: line for line in await reads.imports.lines_by_ids(list(line_ids))}
        wanted = (
            {account_id} if account_id else {line.suggested_account_id for line in lines.values()}
        )
        chart = {
            a.id: a
            for a in await reads.ledger.accounts_by_ids(
                [a for a in wanted if a] + list({line.account_id for line in lines.values()})
            )
        }
    changes: list[CategoryChange] = []
    issues: list[FieldIssue] = []
    for i, line_id in enumerate(line_ids):
        line = lines.get(line_id)
        if line is None:
            issues.append(FieldIssue(f"lineIds[{i}]", "NOT_FOUND", "No such bank line."))
            continue
        if line.entry_status != "draft":
            issues.append(
                FieldIssue(
                    f"lineIds[{i}]",
                    "ALREADY_POSTED",
                    "This line's entry is posted (or deleted); reverse it to change it.",
                )
            )
            continue
        target = account_id or line.suggested_account_id
        if target is None:
            issues.append(
                FieldIssue(f"lineIds[{i}]", "INVALID", "This line has no suggestion to accept.")
            )
            continue
        problem = _category_problem(chart.get(target), line.currency)
        if problem:
            issues.append(FieldIssue("accountId" if account_id else f"lineIds[{i}]", *problem))
            continue
        changes.append(
            CategoryChange(
                line.id,
                target,
                source.value,
                None,
                None,
                line.counterparty,
                dict(line.dimensions),
                tuple(line.tags),
                line.suggested_account_id,
                line.confidence,
            )
        )
    if issues:
        raise ValidationFailed(issues)
    now = ctx.clock()
    async with ctx.unit(org_id=org_id, user_id=user_id) as uow:
        await uow.imports.recategorize(changes)
        await audit.record(
            uow,
            org_id=org_id,
            actor_user_id=user_id,
            action="categorization.suggestion_accepted"
            if source is CategorySource.ACCEPTED
            else "categorization.lines_categorized",
            subject_type="organization",
            subject_id=org_id,
            at=now,
            details={"lines": len(changes), "account_id": str(account_id) if account_id else None},
        )
        await maybe_retrain(ctx, uow, org_id)
        await uow.commit()
    return [c.line_id for c in changes]


def _category_problem(account: Account | None, currency: str) -> tuple[str, str] | None:
    if account is None:
        return ("NOT_FOUND", "No such account.")
    if account.archived:
        return ("ACCOUNT_ARCHIVED", f"Account {account.code} is archived and takes no postings.")
    if account.currency != currency:
        return (
            "CURRENCY_MISMATCH",
            f"Account {account.code} is kept in {account.currency}, the line in {currency}.",
        )
    return None
