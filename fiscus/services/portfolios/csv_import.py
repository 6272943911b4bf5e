"""Importing a broker's CSV into a portfolio: a saved or given column mapping
(``csv_mapping``), the file parsed off the event loop, then recorded exactly like
``recordPortfolioTransactions`` (all or nothing, one replay) except that rows whose
``reference`` is already recorded are skipped and reported as duplicates: re-importing a
file, or a later file overlapping it, adds only what is new. Errors name the file's line
(``csv[<line>].<field>``). The mapping is saved (``saveMappingAs``; an existing name is
replaced) once the import succeeded. Idempotency: the key covers the file, the mapping
and the portfolio.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass
from uuid import UUID

from fiscus.domain.errors import ErrorCode, FieldIssue, NotFound, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.persistence.models.portfolios import PortfolioCsvMappingRow
from fiscus.persistence.reads.portfolios import CsvMapping as StoredMapping
from fiscus.services.identity import audit
from fiscus.services.portfolios.context import PortfolioContext
from fiscus.services.portfolios.csv_mapping import CsvMapping, parse_csv
from fiscus.services.portfolios.recording import Recorded, record_transactions

SCOPE = "portfolio.import_csv"
MAX_NAME = 100


@dataclass(frozen=True, slots=True)
class Imported:
    recorded: Recorded
    lines: list[int]
    mapping: StoredMapping | None

    @property
    def duplicates(self) -> list[tuple[int, str]]:
        """(line, reference) of the rows skipped."""
        return [(self.lines[index], reference) for index, reference in self.recorded.duplicates]


async def _mapping(
    ctx: PortfolioContext, principal: Principal, mapping_id: UUID | None
) -> CsvMapping:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        found = {m.id: m for m in await reads.portfolios.csv_mappings()}
    stored = found.get(mapping_id) if mapping_id else None
    if stored is None:
        raise NotFound("No such mapping.", field="mappingId")
    return CsvMapping.from_json(stored.mapping)


async def import_csv(
    ctx: PortfolioContext,
    principal: Principal,
    portfolio_id: UUID,
    *,
    csv_text: str,
    mapping: CsvMapping | None,
    mapping_id: UUID | None,
    save_as: str | None,
    idempotency_key: str,
) -> Imported:
    if mapping is None and mapping_id is None:
        raise ValidationFailed(
            [FieldIssue("mapping", ErrorCode.REQUIRED, "Give a mapping or a mappingId.")]
        )
    name = (save_as or "").strip() or None
    if name is not None and (mapping is None or len(name) > MAX_NAME):
        problem = "Save a mapping given in `mapping`." if mapping is None else "At most 100."
        raise ValidationFailed([FieldIssue("saveMappingAs", ErrorCode.INVALID, problem)])
    used = mapping or await _mapping(ctx, principal, mapping_id)
    parsed = await asyncio.to_thread(parse_csv, csv_text, used)
    lines = parsed.lines
    digest = hashlib.sha256(csv_text.encode()).hexdigest()
    recorded = await record_transactions(
        ctx,
        principal,
        portfolio_id,
        parsed.rows,
        idempotency_key=idempotency_key,
        field_name=lambda index, field: f"csv[{lines[index]}].{field}",
        skip_existing_references=True,
        scope=SCOPE,
        request={"portfolio_id": str(portfolio_id), "file": digest, "mapping": used.to_json()},
        action="portfolio.csv_imported",
    )
    saved = await save_mapping(ctx, principal, name, used) if name else None
    return Imported(recorded, lines, saved)


async def save_mapping(
    ctx: PortfolioContext, principal: Principal, name: str, mapping: CsvMapping
) -> StoredMapping:
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        row = await uow.portfolios.csv_mapping_by_name(name)
        if row is None:
            row = PortfolioCsvMappingRow(
                org_id=principal.org_id,
                id=uuid.uuid4(),
                name=name,
                mapping=mapping.to_json(),
                created_at=now,
            )
            await uow.portfolios.save_csv_mapping(row)
        else:
            row.mapping = mapping.to_json()
            await uow.flush()
        await audit.record_by(
            uow,
            principal,
            action="portfolio.csv_mapping_saved",
            subject_type="portfolio_csv_mapping",
            subject_id=row.id,
            at=now,
            details={"name": name},
        )
        await uow.commit()
    return StoredMapping(row.id, row.name, dict(row.mapping))
