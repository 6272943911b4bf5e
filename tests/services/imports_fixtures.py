"""Shared set-up for bank import tests: an organization with a household chart in USD, and
importing bytes through the service (the upload, then the job's work in-process)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from fiscus.domain.identity import Principal
from fiscus.domain.imports import CsvMapping, StatementFormat
from fiscus.domain.imports.records import BankImport
from fiscus.services.imports import running, statements
from fiscus.services.ledger import accounts
from tests.persistence.test_marketdata_reads import principal_of
from tests.persistence.test_row_level_security import _two_orgs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bank"


@dataclass
class Household:
    principal: Principal
    other: Principal
    codes: dict[str, UUID]
    other_codes: dict[str, UUID]


async def household(runtime, currency: str = "USD") -> Household:
    a, b = await _two_orgs(runtime)
    pa, pb = principal_of(a), principal_of(b)
    chart = await accounts.apply_account_template(
        runtime.ledger, pa, template="household", currency=currency
    )
    other = await accounts.apply_account_template(
        runtime.ledger, pb, template="household", currency=currency
    )
    return Household(pa, pb, {x.code: x.id for x in chart}, {x.code: x.id for x in other})


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


async def import_bytes(
    runtime,
    principal: Principal,
    account_id: UUID,
    data: bytes,
    *,
    format: StatementFormat | None = None,
    mapping: CsvMapping | None = None,
    file_name: str = "statement.csv",
) -> BankImport:
    started = await statements.start_import(
        runtime.imports,
        principal,
        account_id=account_id,
        upload=statements.Upload(data, file_name),
        format=format,
        mapping=mapping,
    )
    return await running.run_import(runtime.imports, principal.org_id, started.id)
