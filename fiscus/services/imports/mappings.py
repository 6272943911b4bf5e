"""Saved column mappings for generic CSV statements (named per organization)."""

from __future__ import annotations

import uuid
from uuid import UUID

from fiscus.domain.errors import FieldIssue, NotFound, ValidationFailed
from fiscus.domain.imports import CsvMapping
from fiscus.persistence.models.imports import ImportCsvMappingRow
from fiscus.persistence.reads.imports import CsvMappingRecord
from fiscus.services.identity import audit
from fiscus.services.imports.context import Acting, ImportsContext

MAX_NAME = 100


async def save_mapping(
    ctx: ImportsContext, acting: Acting, *, name: str, mapping: CsvMapping
) -> CsvMappingRecord:
    cleaned = " ".join(name.split())
    issues: list[FieldIssue] = []
    if not cleaned or len(cleaned) > MAX_NAME:
        issues.append(FieldIssue("name", "INVALID", f"A name is 1-{MAX_NAME} characters."))
    try:
        mapping.check()
    except ValidationFailed as failure:
        issues.extend(failure.issues)
    if issues:
        raise ValidationFailed(issues)
    now = ctx.clock()
    async with ctx.unit(org_id=acting.org_id, user_id=acting.user_id) as uow:
        if await uow.imports.mapping_named(cleaned) is not None:
            raise ValidationFailed(
                [FieldIssue("name", "CODE_TAKEN", f"A mapping named {cleaned!r} exists.")]
            )
        row = await uow.imports.add_mapping(
            ImportCsvMappingRow(
                org_id=acting.org_id,
                id=uuid.uuid4(),
                name=cleaned,
                mapping=mapping.to_json(),
                created_at=now,
            )
        )
        await audit.record(
            uow,
            org_id=acting.org_id,
            actor_user_id=acting.user_id,
            action="imports.mapping_saved",
            subject_type="import_csv_mapping",
            subject_id=row.id,
            at=now,
            details={"name": cleaned},
        )
        await uow.commit()
    return CsvMappingRecord(row.id, row.name, dict(row.mapping), now)


async def delete_mapping(ctx: ImportsContext, acting: Acting, mapping_id: UUID) -> UUID:
    now = ctx.clock()
    async with ctx.unit(org_id=acting.org_id, user_id=acting.user_id) as uow:
        row = await uow.imports.mapping(mapping_id)
        if row is None:
            raise NotFound("No such saved mapping.", field="mappingId")
        await uow.imports.delete_mapping(mapping_id)
        await audit.record(
            uow,
            org_id=acting.org_id,
            actor_user_id=acting.user_id,
            action="imports.mapping_deleted",
            subject_type="import_csv_mapping",
            subject_id=mapping_id,
            at=now,
            details={"name": row.name},
        )
        await uow.commit()
    return mapping_id


async def mappings(ctx: ImportsContext, acting: Acting) -> list[CsvMappingRecord]:
    async with ctx.reading(acting.org_id, acting.user_id) as reads:
        return await reads.imports.mappings()
