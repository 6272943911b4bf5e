"""Bank import jobs: import a statement, retrain an organization's suggestion model."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fiscus.services.categorization import suggestions
from fiscus.services.categorization.context import Actor
from fiscus.services.imports import running, statements
from fiscus.services.imports.plaid import connections, sync
from fiscus.workers.jobs.context import JobContext, runtime_of

IMPORT_STATEMENT_JOB = statements.IMPORT_JOB
TRAIN_CATEGORIZER_JOB = suggestions.TRAIN_JOB
SYNC_BANK_CONNECTION_JOB = connections.SYNC_JOB


async def import_statement(ctx: JobContext, *, org_id: str, import_id: str) -> dict[str, Any]:
    """Imports one uploaded statement into the ledger; answers its counts."""
    done = await running.run_import(runtime_of(ctx).imports, UUID(org_id), UUID(import_id))
    return {
        "status": done.status.value,
        "created": done.created,
        "duplicates": done.duplicates,
        "skipped": done.skipped,
        "failed": done.failed,
    }


async def train_categorizer(ctx: JobContext, *, org_id: str) -> dict[str, Any]:
    """Trains the organization's suggestion model on its labelled lines (in a thread, off
    the worker's event loop); answers how it measured."""
    trained = await suggestions.train_model(runtime_of(ctx).categorization, UUID(org_id))
    if trained is None:
        return {"trained": False}
    return {
        "trained": True,
        "labels": trained.labels,
        "accuracy": trained.accuracy,
        "seconds": round(trained.seconds, 3),
    }


async def sync_bank_connection(
    ctx: JobContext, *, org_id: str, connection_id: str
) -> dict[str, Any]:
    """Pulls a Plaid item's updates (the webhook queued it) into the books."""
    done = await sync.sync_connection(
        runtime_of(ctx).imports, Actor(UUID(org_id), None), UUID(connection_id)
    )
    return {"added": done.added, "modified": done.modified, "removed": done.removed}
