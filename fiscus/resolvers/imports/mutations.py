"""Bank import mutations: one ``input`` each, one service call, typed errors. Members
import and reconcile (``LEDGER_WRITE``)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.identity import Permission
from fiscus.resolvers.imports import ids
from fiscus.schema import imports_inputs as types
from fiscus.schema.bank_connections import CsvMapping
from fiscus.schema.errors import attempt
from fiscus.schema.imports import BankImport
from fiscus.schema.ledger import BalanceAssertion
from fiscus.schema.permissions import requires
from fiscus.schema.relay import to_global_id
from fiscus.schema.uploads import UploadedFile
from fiscus.services.imports import mappings, reconcile, statements

WRITE = [requires(Permission.LEDGER_WRITE)]


def _file(value: object) -> UploadedFile:
    if not isinstance(value, UploadedFile):
        raise ValidationFailed(
            [
                FieldIssue(
                    "file",
                    "REQUIRED",
                    "Send the statement as a file of a multipart request "
                    "(GraphQL multipart request spec).",
                )
            ]
        )
    return value


@strawberry.type
class ImportsMutation:
    @strawberry.mutation(
        description="Uploads a statement for an account and queues its import; answers the "
        "import at once (QUEUED). Follow it with `importProgress(importId:)` or `import(id:)`.",
        permission_classes=WRITE,
    )
    async def import_statement(
        self, info: Info, input: types.ImportStatementInput
    ) -> types.ImportStatementResult:
        principal = await info.context.require_principal()

        async def run() -> types.ImportStatementSuccess:
            upload = _file(input.file)
            started = await statements.start_import(
                info.context.imports,
                principal,
                account_id=ids.account(input.account_id),
                upload=statements.Upload(upload.data, upload.filename),
                format=input.format,
                mapping=input.mapping.to_domain() if input.mapping else None,
                mapping_id=ids.of(input.mapping_id, "CsvMapping", "mappingId")
                if input.mapping_id
                else None,
                account_number=input.account_number,
                idempotency_key=input.idempotency_key,
            )
            return types.ImportStatementSuccess(bank_import=BankImport.from_domain(started))

        return await attempt(run)

    @strawberry.mutation(permission_classes=WRITE)
    async def save_csv_mapping(
        self, info: Info, input: types.SaveCsvMappingInput
    ) -> types.CsvMappingResult:
        principal = await info.context.require_principal()

        async def run() -> types.CsvMappingSuccess:
            saved = await mappings.save_mapping(
                info.context.imports, principal, name=input.name, mapping=input.mapping.to_domain()
            )
            return types.CsvMappingSuccess(mapping=CsvMapping.from_record(saved))

        return await attempt(run)

    @strawberry.mutation(permission_classes=WRITE)
    async def delete_csv_mapping(
        self, info: Info, input: types.CsvMappingIdInput
    ) -> types.DeleteCsvMappingResult:
        principal = await info.context.require_principal()

        async def run() -> types.DeleteCsvMappingSuccess:
            gone = await mappings.delete_mapping(
                info.context.imports, principal, ids.of(input.mapping_id, "CsvMapping", "mappingId")
            )
            return types.DeleteCsvMappingSuccess(
                deleted_mapping_id=to_global_id("CsvMapping", gone)
            )

        return await attempt(run)

    @strawberry.mutation(
        description="Asserts the statement's closing balance on the account; when the books "
        "agree, marks the account's posted bank lines up to that day cleared.",
        permission_classes=WRITE,
    )
    async def reconcile_account(
        self, info: Info, input: types.ReconcileAccountInput
    ) -> types.ReconcileResult:
        principal = await info.context.require_principal()

        async def run() -> types.ReconcileSuccess:
            done = await reconcile.reconcile_account(
                info.context.imports,
                principal,
                account_id=ids.account(input.account_id),
                statement_date=input.statement_date,
                statement_balance=input.statement_balance,
            )
            return types.ReconcileSuccess(
                assertion=BalanceAssertion.from_domain(done.assertion),
                books_balance=done.books_balance,
                difference=done.difference,
                reconciled=done.difference == 0,
                cleared=done.cleared,
                unposted_lines=done.unposted_lines,
                unposted_amount=done.unposted_amount,
            )

        return await attempt(run)
